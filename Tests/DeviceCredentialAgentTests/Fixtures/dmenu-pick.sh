#!/bin/sh
# Stands in for dmenu in dunst's context menu: reads the menu on stdin and prints the first entry
# whose label is $1 (dunst's entries read "#Label (summary) [id,key]"), as a person choosing it would.
# Keeps the menu it was shown in $2 when given.
menu=$(cat)
[ -n "${2:-}" ] && printf '%s\n' "$menu" >"$2"
printf '%s\n' "$menu" | grep -m1 "^#$1 "
