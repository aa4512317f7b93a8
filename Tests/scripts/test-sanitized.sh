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
        export TSAN_OPTIONS="log_path=$reports/tsan:external_symbolizer_path=$symbolizer:halt_on_error=0:second_deadlock_stack=1:suppressions=$PWD/Tests/scripts/tsan-suppressions.txt"
        ;;
    *) echo "test-sanitized: unknown sanitizer $kind (address or thread)" >&2; exit 2 ;;
esac

# A sanitized process is two to ten times slower; the suite's hundreds of tests all starting agents, buses
# and tmux sessions at once on a small machine would then outlast the tests' bounded waits. Run fewer at once.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${SANITIZER_TEST_WIDTH:-12}"

status=0
Tests/scripts/with-services.sh --server "$bin/devicecred-server" -- "$swift" test --skip-build "$@" ${TEST_ARGS:-} || status=$?

found=$(find "$reports" -type f | sort)
if [ -n "$found" ]; then
    echo "test-sanitized: $(echo "$found" | wc -l) $kind sanitizer report(s) in $reports:" >&2
    for report in $found; do
        echo "--- $report" >&2
        head -n 60 "$report" >&2
    done
    status=1
fi
echo "test-sanitized ($kind): build $((built - start)) s, tests $((SECONDS - built)) s, exit $status"
exit $status
