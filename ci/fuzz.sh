#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) with clang into ${BUILD_DIR:-build-fuzz}
# (cmake -DAUTOREC_FUZZ=ON: library instrumented with -fsanitize=fuzzer-no-link,address,undefined)
# then:
#   1. runs each harness once over its seed corpus (ctest -L fuzz: the regression check);
#   2. fuzzes each harness for FUZZ_SECONDS (default 30) seconds, the model-file harness for
#      FUZZ_MODEL_SECONDS (default 20), starting from a fresh copy of tests/fuzz/corpus/<name>
#      (the repository is not modified).
# Fails on any crash, sanitizer report, leak, timeout or out-of-memory; the input that caused it is
# kept under $BUILD_DIR/fuzz-artifacts/ and its path is printed, together with the command that
# reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_MODEL_SECONDS=${FUZZ_MODEL_SECONDS:-20}
CC_FUZZ=${CC_FUZZ:-clang}
start=$(date +%s)
cmake -S . -B "$BUILD_DIR" -DCMAKE_C_COMPILER="$CC_FUZZ" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DAUTOREC_FUZZ=ON -DAUTOREC_BUILD_TESTS=OFF ${CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j "$(nproc)" --target fuzz_ratings fuzz_titles fuzz_model
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=""
echo "ci/fuzz.sh: seed corpora (regression)"
(cd "$BUILD_DIR" && ctest --output-on-failure -L fuzz) || failed="$failed corpus"

art=$BUILD_DIR/fuzz-artifacts
work=$BUILD_DIR/fuzz-work
mkdir -p "$art"
for h in ratings titles model; do
    secs=$FUZZ_SECONDS
    [ "$h" = model ] && secs=$FUZZ_MODEL_SECONDS
    rm -rf "${work:?}/$h" && mkdir -p "$work/$h"
    cp -r "$ROOT/tests/fuzz/corpus/$h/." "$work/$h/"
    log=$BUILD_DIR/fuzz_$h.log
    echo "ci/fuzz.sh: fuzzing $h for ${secs}s (log: $log)"
    rc=0
    (cd "$work" && "$BUILD_DIR/tests/fuzz/fuzz_$h" -max_total_time="$secs" \
        -rss_limit_mb=2048 -timeout=10 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$art/$h-" "$work/$h" >"$log" 2>&1) || rc=$?
    grep -E "^(stat::number_of_executed_units|stat::new_units_added)" "$log" | sed "s/^/  /" || true
    if [ $rc -ne 0 ]; then
        failed="$failed $h"
        echo "ci/fuzz.sh: fuzz_$h FAILED (exit $rc); the report:"
        sed -n -E '/^==[0-9]+==ERROR|runtime error|check failed|ERROR: libFuzzer/,/^SUMMARY/p' "$log" |
            head -60 | grep . || tail -40 "$log"
        for f in $(grep -oE "Test unit written to [^ ]+" "$log" | awk '{print $5}'); do
            echo "ci/fuzz.sh: crashing input: $f"
            echo "ci/fuzz.sh: reproduce: $BUILD_DIR/tests/fuzz/fuzz_$h $f"
        done
    fi
done
echo "ci/fuzz.sh: took $(( $(date +%s) - start )) s"
if [ -n "$failed" ]; then
    echo "ci/fuzz.sh: FAILED:$failed"
    exit 1
fi
echo "ci/fuzz.sh: no crash"
