#!/usr/bin/env bash
# Builds autorec-cl and runs the whole test suite with ctest:
#   1. the tests that run once (data, CLI, MovieLens quality, PoCL/Rusticl agreement), on the
#      default device;
#   2. every device test (label "device") once per OpenCL device found, with AUTOREC_DEVICE set
#      to its id. Mesa's Rusticl exposes the CPU only with RUSTICL_ENABLE=llvmpipe, set here;
#   then ci/python.sh: the Python package built by pip from a clean clone, its tests;
#   3. ci/sanitize.sh and 4. ci/fuzz.sh (see below).
# The MovieLens tests read $AUTOREC_DATA (the ml-100k directory); without it they skip, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ -z "${AUTOREC_DATA:-}" ] && [ -d ../shared/data/ml-100k ]; then
    AUTOREC_DATA=$(cd ../shared/data/ml-100k && pwd)
    export AUTOREC_DATA
fi
export RUSTICL_ENABLE=${RUSTICL_ENABLE:-llvmpipe}
# PoCL caches compiled kernels on disk: every test process after the first starts fast.
export POCL_CACHE_DIR=${POCL_CACHE_DIR:-$PWD/$BUILD_DIR/pocl-cache}
mkdir -p "$POCL_CACHE_DIR"
./ci/build.sh
echo "ci/test.sh: OpenCL platforms and devices:"
"$BUILD_DIR/autorec" devices
echo "ci/test.sh: AUTOREC_DATA=${AUTOREC_DATA:-(unset: MovieLens tests will skip)}"
ids=$("$BUILD_DIR/autorec" devices --ids)
ROOT=$PWD
cd "$BUILD_DIR"
# Every group runs even when an earlier one fails, so that one run shows every failure.
failed=""
echo "ci/test.sh: tests that run once, on the default device"
ctest --output-on-failure -LE device || failed="$failed default-device"
for id in $ids; do
    echo "ci/test.sh: device tests on $id"
    AUTOREC_DEVICE=$id ctest --output-on-failure -L device || failed="$failed $id"
done
# The Python package built by pip from a clean clone, its tests on the installed copy
# (ci/python.sh; the same tests ran on the build tree as ctest's `python`). CI_PYTHON=0: not.
if [ "${CI_PYTHON:-1}" != 0 ]; then
    echo "ci/test.sh: the Python package, pip-installed from a clean clone"
    "$ROOT/ci/python.sh" "$BUILD_DIR" || failed="$failed python"
fi
# 3. the whole suite once more, built with ASan + UBSan (ci/sanitize.sh, its own build dir);
# 4. the libFuzzer harnesses: seed corpora, then a short fuzz session each (ci/fuzz.sh, clang).
# CI_SANITIZE=0 / CI_FUZZ=0 leave them out.
if [ "${CI_SANITIZE:-1}" != 0 ]; then
    echo "ci/test.sh: the suite under AddressSanitizer + UndefinedBehaviorSanitizer"
    BUILD_DIR=${SANITIZE_BUILD_DIR:-$ROOT/build-asan} "$ROOT/ci/sanitize.sh" ||
        failed="$failed sanitize"
fi
if [ "${CI_FUZZ:-1}" != 0 ]; then
    echo "ci/test.sh: fuzzing the parsers"
    BUILD_DIR=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz} "$ROOT/ci/fuzz.sh" || failed="$failed fuzz"
fi
if [ -n "$failed" ]; then
    echo "ci/test.sh: FAILED:$failed"
    exit 1
fi
echo "ci/test.sh: all test groups passed (devices: $(echo $ids))"
