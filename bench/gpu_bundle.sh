#!/usr/bin/env bash
# Prepares what bench/gpu_run.sh needs on a lent GPU machine that has no network: a Release
# build in build-gpu/ (the CLI, the tests, autorec_gemm_bench) and, in build-gpu/lib, the shared
# libraries those binaries load, except the C library itself (the GPU machine has its own) and
# OpenBLAS / gfortran (too big for the 64 MiB the device tool carries; the GEMM ceilings are a
# CPU matter anyway). Then carry build-gpu with the device tool and run bench/gpu_run.sh there.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=build-gpu ./ci/build.sh > /dev/null
lib=build-gpu/lib
rm -rf "$lib" && mkdir -p "$lib"
bins=(build-gpu/autorec build-gpu/tests/test_*)
[ -x build-gpu/autorec_gemm_bench ] && bins+=(build-gpu/autorec_gemm_bench)
ldd "${bins[@]}" 2>/dev/null | awk '/=> \// {print $3}' | sort -u | while read -r so; do
    case "$(basename "$so")" in
        libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libgcc_s.so*) ;;
        libopenblas*|libgfortran*|libquadmath*) ;;
        *) cp -L "$so" "$lib/" ;;
    esac
done
du -sh build-gpu | awk '{print "gpu_bundle: build-gpu is " $1 " (the device tool carries 64 MiB at most)"}'
