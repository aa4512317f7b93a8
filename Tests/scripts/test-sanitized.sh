#!/usr/bin/env bash
# Runs the whole test suite under one sanitizer, in its own build directory:
#   test-sanitized.sh address|thread SWIFT-BUILD-FLAGS...   (TEST_ARGS: more arguments for swift test)
# Every process the tests start (agent, CLI, server, probes) is built with the same sanitizer. Their
# reports all go to one directory, and any report fails the run, even one from a child process whose
# test passed (a race in the agent is a bug whatever the test asserted).
set -euo pipefail
cd "$(dirname "$0")/../.."

kind="$1"; shift
swift="${SWIFT:-swift}"
reports="$PWD/.build/sanitizer-reports/$kind"
rm -rf "$reports"
mkdir -p "$reports"

start=$SECONDS
"$swift" build --build-tests "$@"
bin=$("$swift" build --show-bin-path "$@")
built=$SECONDS

# The sanitizers name a report's frames with llvm-symbolizer, the toolchain's: named explicitly, since a
# process a test starts may not have it on its PATH, and TSan's suppressions match frames by file name.
symbolizer="$(dirname "$(readlink -f "$(command -v "$swift")")")/llvm-symbolizer"
[ -x "$symbolizer" ] || symbolizer=$(command -v llvm-symbolizer || true)
[ -n "$symbolizer" ] || { echo "test-sanitized: no llvm-symbolizer beside $swift or on PATH" >&2; exit 2; }

# Tests that measure memory or CPU skip themselves under a sanitizer: its allocator (ASan's quarantine
# keeps freed memory) and its instrumentation make those figures meaningless.
export DEVICECRED_SANITIZER="$kind"
case "$kind" in
    address)
        # Leak checking is off: the Swift runtime's metadata caches and GLib's type system live until
        # exit by design, so every process would "leak"; growth over time is what the soak measures.
        export ASAN_OPTIONS="log_path=$reports/asan:external_symbolizer_path=$symbolizer:detect_leaks=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
        ;;
    thread)
        # The suppressions work around two blind spots of the toolchain's TSan; say whether they remain.
        SWIFTC="$(dirname "$(readlink -f "$(command -v "$swift")")")/swiftc" Tests/scripts/tsan-blind-spots.sh ||
            echo "test-sanitized: the TSan probes did not build (not a test failure)" >&2
        export TSAN_OPTIONS="log_path=$reports/tsan:external_symbolizer_path=$symbolizer:halt_on_error=0:print_suppressions=1:second_deadlock_stack=1:suppressions=$PWD/Tests/scripts/tsan-suppressions.txt"
        ;;
    *) echo "test-sanitized: unknown sanitizer $kind (address or thread)" >&2; exit 2 ;;
esac

# A sanitized process is two to ten times slower; the suite's hundreds of tests all starting agents, buses
# and tmux sessions at once on a small machine would then outlast the tests' bounded waits. Run fewer at once.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${SANITIZER_TEST_WIDTH:-12}"

status=0
Tests/scripts/with-services.sh --server "$bin/devicecred-server" -- "$swift" test --skip-build "$@" ${TEST_ARGS:-} || status=$?

# With print_suppressions, a TSan process whose reports were all suppressed still leaves a file, holding
# only which suppressions matched. Those are counted, not failed; any other file is a report.
suppressed=""
for file in $(find "$reports" -type f | sort); do
    if awk '/^ThreadSanitizer: Matched [0-9]+ suppressions/ || /^[0-9]+ race(_top)?:/ || /^$/ { next } { exit 1 }' "$file"; then
        suppressed="$suppressed $file"
    fi
done
if [ -n "$suppressed" ]; then
    echo "test-sanitized: suppressed reports, by suppression (count, processes):"
    # shellcheck disable=SC2086
    awk '/^[0-9]+ race(_top)?:/ { count[$2] += $1; processes[$2]++ }
         END { for (s in count) printf "  %6d  %4d  %s\n", count[s], processes[s], s }' $suppressed | sort -k3
    # shellcheck disable=SC2086
    rm -f $suppressed
fi

found=$(find "$reports" -type f | sort)
if [ -n "$found" ]; then
    echo "test-sanitized: $(echo "$found" | wc -l) $kind sanitizer report(s) in $reports:" >&2
    for report in $found; do
        echo "--- $report" >&2
        head -n 60 "$report" >&2
    done
    # CI keeps only the end of a failed run's output, and a report's end is the least telling part
    # (which threads exist). So last comes each report's kind and, for every access, its top frames as
    # file:line: enough to know whose code it is without the whole report.
    echo "test-sanitized: digest of the $kind report(s):" >&2
    for report in $found; do
        awk '
            /^(WARNING|SUMMARY):/ { print "  " $0; frames = 0; next }
            /^  Thread T/ { frames = 0; next }
            /^  [A-Z]/ { print "  " substr($0, 3, 100); frames = 3; next }
            frames > 0 && /^ +#[0-9]+ / {
                where = substr($2, 1, 80)
                for (i = 3; i <= NF; i++) if ($i ~ /:[0-9]+(:[0-9]+)?$/) { where = $i; break }
                if (where ~ /\/checkouts\//) sub(/.*\/checkouts\//, "", where)
                else if (match(where, /\/(Sources|Tests)\//)) where = substr(where, RSTART + 1)
                print "      " $1 " " where
                frames--
            }
        ' "$report" >&2
    done
    status=1
fi
echo "test-sanitized ($kind): build $((built - start)) s, tests $((SECONDS - built)) s, exit $status"
exit $status
