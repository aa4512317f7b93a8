#!/usr/bin/env bash
# Runs devicecred-fuzz's libFuzzer targets one after another (FUZZ_JOBS at once), each for FUZZ_SECONDS on a
# copy of its committed seed corpus (Tests/Fuzz/<target>), so the committed corpus never grows by itself.
# Crashes, hangs and out-of-memory inputs go to .build/fuzz-artifacts/<target>/. Prints per target the
# executions, the corpus size and the crashes; exits 1 when any target crashed.
#
# usage: fuzz.sh FUZZ_BINARY [TARGET...]   (default: every target the binary lists)
# environment: FUZZ_SECONDS (60), FUZZ_JOBS (1), FUZZ_TIMEOUT (10 s per input), FUZZ_RSS_MB (2048)
set -euo pipefail
cd "$(dirname "$0")/../.."

binary=$1
shift
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <("$binary" --list | sed -n 's/^  \([a-z-]*\) .*/\1/p')
fi

corpora=.build/fuzz-corpus
artifacts=.build/fuzz-artifacts
logs=.build/fuzz-logs
mkdir -p "$corpora" "$artifacts" "$logs"

run_one() {
    local target=$1
    rm -rf "${corpora:?}/$target" "${artifacts:?}/$target"
    mkdir -p "$corpora/$target" "$artifacts/$target"
    if [ -d "Tests/Fuzz/$target" ]; then cp Tests/Fuzz/"$target"/* "$corpora/$target/" 2>/dev/null || true; fi
    # A software key to start from, made here: the repository holds no private key, not even a test one.
    if [ "$target" = key-pem ]; then
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$corpora/$target/software.pem" 2>/dev/null || true
    fi
    # Leak checking stays off: the Swift runtime's caches (metadata, protocol conformances) are filled
    # lazily and never freed, which LeakSanitizer would report as a leak of whichever input filled them.
    local status=0
    # A trap ends in the Swift runtime's backtracer, which AddressSanitizer would report too: one report.
    export SWIFT_BACKTRACE=enable=no
    "$binary" "$target" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" \
        -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -detect_leaks=0 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$target/" "$corpora/$target" >"$logs/$target.log" 2>&1 || status=$?
    echo "$status" >"$logs/$target.status"
}

start=$(date +%s)
running=0
for target in "${targets[@]}"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    run_one "$target" &
    running=$((running + 1))
done
wait || true
elapsed=$(($(date +%s) - start))

failed=0
printf '%-20s %12s %10s %8s\n' target executions corpus crashes
for target in "${targets[@]}"; do
    log=$logs/$target.log
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    corpus=$(find "$corpora/$target" -type f | wc -l)
    crashes=$(find "$artifacts/$target" -type f | wc -l)
    status=$(cat "$logs/$target.status")
    if [ "$status" != 0 ] || [ "$crashes" != 0 ]; then
        failed=1
        crashes="$crashes (exit $status)"
    fi
    printf '%-20s %12s %10s %8s\n' "$target" "${executions:-?}" "$corpus" "$crashes"
done
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, ${jobs} at a time, ${elapsed} s in all; logs in $logs"
if [ "$failed" != 0 ]; then
    echo "fuzz: a target crashed, hung or ran out of memory: see $artifacts and $logs (Docs/reliability.md#fuzzing)" >&2
    exit 1
fi
