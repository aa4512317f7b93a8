#!/usr/bin/env bash
# Writes devicecred's shell completions (bash, zsh, fish) and its man page, generated from the command
# tree of the built binary, into OUT_DIR laid out like $PREFIX/share, so `make install` can point it at
# $(DESTDIR)$(PREFIX)/share directly:
#   OUT_DIR/bash-completion/completions/devicecred
#   OUT_DIR/zsh/site-functions/_devicecred
#   OUT_DIR/fish/vendor_completions.d/devicecred.fish
#   OUT_DIR/man/man1/devicecred.1
# Needs nothing but the binary: ArgumentParser writes the completions, `devicecred generate-manual`
# (hidden) renders the man page.
#
# usage: generate-cli-extras.sh BIN_DIR OUT_DIR
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: generate-cli-extras.sh BIN_DIR OUT_DIR" >&2
    exit 2
fi
devicecred="$1/devicecred"
out="$2"
[ -x "$devicecred" ] || { echo "generate-cli-extras: no executable devicecred in $1 (run swift build first)" >&2; exit 1; }

mkdir -p "$out/bash-completion/completions" "$out/zsh/site-functions" "$out/fish/vendor_completions.d" "$out/man/man1"

# Each file is written next to its destination and renamed into place, so a failure leaves no half file.
generate() {
    local destination="$1"; shift
    "$@" >"$destination.tmp"
    [ -s "$destination.tmp" ] || { echo "generate-cli-extras: '$*' printed nothing" >&2; rm -f "$destination.tmp"; exit 1; }
    chmod 644 "$destination.tmp"
    mv -f "$destination.tmp" "$destination"
}

generate "$out/bash-completion/completions/devicecred" "$devicecred" --generate-completion-script bash
generate "$out/zsh/site-functions/_devicecred" "$devicecred" --generate-completion-script zsh
generate "$out/fish/vendor_completions.d/devicecred.fish" "$devicecred" --generate-completion-script fish
generate "$out/man/man1/devicecred.1" "$devicecred" generate-manual
echo "generate-cli-extras: completions and devicecred.1 written to $out"
