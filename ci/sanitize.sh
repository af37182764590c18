#!/usr/bin/env bash
# Builds autorec-cl with AddressSanitizer + UndefinedBehaviorSanitizer (cmake -DAUTOREC_SANITIZE=ON)
# into ${BUILD_DIR:-build-asan} and runs the whole ctest suite once under them, on the default
# device (the device-labelled tests too, but once, not per device as ci/test.sh does).
# Same environment as ci/test.sh (AUTOREC_DATA, RUSTICL_ENABLE, POCL_CACHE_DIR). Any ASan
# report, UBSan report or leak fails the test that hit it. Leaks inside PoCL, LLVM and Rusticl
# are suppressed by ci/lsan.supp (see the comments there); nothing of ours is.
#   SANITIZE_CTEST_ARGS  extra ctest arguments, e.g. "-R data" (default: none, the whole suite)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build-asan}
mkdir -p "$BUILD_DIR" && BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
if [ -z "${AUTOREC_DATA:-}" ] && [ -d ../shared/data/ml-100k ]; then
    AUTOREC_DATA=$(cd ../shared/data/ml-100k && pwd)
    export AUTOREC_DATA
fi
export RUSTICL_ENABLE=${RUSTICL_ENABLE:-llvmpipe}
export POCL_CACHE_DIR=${POCL_CACHE_DIR:-$BUILD_DIR/pocl-cache}
mkdir -p "$POCL_CACHE_DIR"

# Mesa's Clover ICD (mesa.icd) has no device on a CPU-only machine; at exit it dlclose()s the
# gallium pipe driver it probed, whose 128-byte leak LSan then reports from an "<unknown module>"
# that no suppression can name. Load every other ICD (PoCL, Rusticl) through a private vendors
# directory. A caller's own OCL_ICD_VENDORS is kept as it is.
if [ -z "${OCL_ICD_VENDORS:-}" ] && [ -d /etc/OpenCL/vendors ]; then
    vendors=$BUILD_DIR/icd-vendors
    rm -rf "$vendors" && mkdir -p "$vendors"
    for f in /etc/OpenCL/vendors/*.icd; do
        [ -e "$f" ] || continue
        [ "$(basename "$f")" = mesa.icd ] && continue
        ln -s "$f" "$vendors/"
    done
    export OCL_ICD_VENDORS=$vendors
fi

# abort_on_error: a report kills the test process (Criterion counts it as a crash).
# allocator_may_return_null: a huge allocation returns NULL as in a normal build, so the
# out-of-memory paths still run instead of ASan stopping the process.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/ci/lsan.supp:print_suppressions=0}
# intercept_tls_get_addr=0, always (first, so a caller's own setting wins): GCC 12's
# __tls_get_addr interceptor takes a dynamic TLS block that starts 16 bytes into a page for
# glibc < 2.25's layout and reads the 16 bytes before it (ASan's chunk header) as the block's
# {size, start}; at exit LeakSanitizer scans from address ~0x500 and its tracer dies ("Tracer
# caught signal 11", google/sanitizers#1322). libclang-cpp.so.15's 8-byte block (PoCL compiling
# on the main thread) lands there in some runs, as the heap's layout goes: test_step crashed in
# 2 runs of 10 once the s11 kernel's extra objects moved it near a page's end. Off, dynamic TLS
# is not scanned: only dlopen'd libraries have any (PoCL, LLVM, clang, Rusticl), whose leaks are
# suppressed; ours is static TLS (linked at start-up), still scanned. tests/lsan_dtls.c
# reproduces the crash every time.
export LSAN_OPTIONS=intercept_tls_get_addr=0:$LSAN_OPTIONS
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

start=$(date +%s)
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUTOREC_SANITIZE=ON ${CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j "$(nproc)"
echo "ci/sanitize.sh: ASAN_OPTIONS=$ASAN_OPTIONS"
echo "ci/sanitize.sh: LSAN_OPTIONS=$LSAN_OPTIONS"
echo "ci/sanitize.sh: OCL_ICD_VENDORS=${OCL_ICD_VENDORS:-(system)} AUTOREC_DATA=${AUTOREC_DATA:-(unset)}"
cd "$BUILD_DIR"
rc=0
# shellcheck disable=SC2086
ctest --output-on-failure ${SANITIZE_CTEST_ARGS:-} || rc=$?
echo "ci/sanitize.sh: $([ $rc -eq 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start )) s"
exit $rc
