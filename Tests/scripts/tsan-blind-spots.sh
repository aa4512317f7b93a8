#!/usr/bin/env bash
# Shows whether this toolchain's ThreadSanitizer still has the two blind spots that
# Tests/scripts/tsan-suppressions.txt works around, by building and running the probes in Tests/TSanProbes:
#   1. a contended Synchronization.Mutex (against a pthread mutex, which TSan sees);
#   2. a continuation resumed before its task awaits it (against one resumed after).
# Prints one line per blind spot. Informational: exits 0 whatever it finds, 2 if a probe does not build.
set -euo pipefail
cd "$(dirname "$0")/../.."

swiftc="${SWIFTC:-swiftc}"
symbolizer="$(dirname "$(readlink -f "$(command -v "$swiftc")")")/llvm-symbolizer"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$swiftc" -sanitize=thread -g -o "$work/mutex" Tests/TSanProbes/MutexProbe.swift || exit 2
"$swiftc" -sanitize=thread -g -parse-as-library -o "$work/continuation" Tests/TSanProbes/ContinuationProbe.swift || exit 2

# reports PROBE MODE RUNS: the number of reports the probe makes in up to RUNS runs, stopping at the first
# run that makes any: a race only shows when the threads really meet, which on a busy machine they may
# not every time. The controls run once.
reports() {
    local logs="$work/logs-$1-$2" run found=0
    mkdir -p "$logs"
    for run in $(seq 1 "$3"); do
        TSAN_OPTIONS="log_path=$logs/tsan:external_symbolizer_path=$symbolizer:halt_on_error=0" \
            "$work/$1" "$2" > /dev/null 2>&1 || true
        found=$(cat "$logs"/* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer' || true)
        [ "$found" -gt 0 ] && break
    done
    echo "$found"
}

verdict() {
    if [ "$1" -eq 0 ]; then echo "not shown; check whether its suppression can go"
    elif [ "$2" -eq 0 ]; then echo "still there; its suppression stays"
    else echo "inconclusive: the control reported too (a loaded machine can delay it past its cue)"
    fi
}

mutex=$(reports mutex mutex 5); pthread=$(reports mutex pthread 1)
echo "tsan-blind-spots: contended Synchronization.Mutex: $mutex report(s), pthread mutex: $pthread: $(verdict "$mutex" "$pthread")"
early=$(reports continuation resume-first 5); late=$(reports continuation await-first 1)
echo "tsan-blind-spots: continuation resumed before await: $early report(s), after: $late: $(verdict "$early" "$late")"
