#!/usr/bin/env bash
# Prepares what bench/gpu_run.sh needs on a lent GPU machine that has no network:
# gpu-bundle/bundle.tar.xz, holding a Release build of the CLI, the device test programs and
# autorec_gemm_bench, plus lib/ with the shared libraries they load, except the C library
# itself (the GPU machine has its own) and OpenBLAS / gfortran (large, and the GEMM ceilings'
# OpenBLAS side is a CPU figure anyway). Compressed, it fits the 64 MiB the device tool
# carries: carry "gpu-bundle" and run bench/gpu_run.sh there.
set -euo pipefail
cd "$(dirname "$0")/.."
# without MPI: the GPU machine runs one process, and the bundle stays small
BUILD_DIR=build-gpu CMAKE_ARGS="-DAUTOREC_MPI=OFF ${CMAKE_ARGS:-}" ./ci/build.sh > /dev/null
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/b/lib" "$stage/b/tests"
cp build-gpu/autorec "$stage/b/"
[ -x build-gpu/autorec_gemm_bench ] && cp build-gpu/autorec_gemm_bench "$stage/b/"
# the device tests: AR_DEVICE_TESTS read from tests/CMakeLists.txt (a copy of the list here
# fell behind it: test_kparams was left out)
device_tests=$(sed -n '/^set(AR_DEVICE_TESTS/,/)/p' tests/CMakeLists.txt |
               sed 's/set(AR_DEVICE_TESTS//; s/)//')
if [ -z "${device_tests// /}" ]; then
    echo "gpu_bundle: no AR_DEVICE_TESTS in tests/CMakeLists.txt" >&2
    exit 1
fi
for t in $device_tests; do
    cp "build-gpu/tests/test_$t" "$stage/b/tests/"
done
# CLBlast's tuners (clblast-utils), when installed: gpu_run.sh tunes CLBlast for the GPU with them
for t in clblast_tuner_xgemm_direct clblast_tuner_xgemm; do
    command -v "$t" >/dev/null && cp "$(command -v "$t")" "$stage/b/"
done
ldd "$stage"/b/autorec "$stage"/b/tests/* 2>/dev/null | awk '/=> \// {print $3}' | sort -u |
while read -r so; do
    case "$(basename "$so")" in
        libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libgcc_s.so*) ;;
        libopenblas*|libgfortran*|libquadmath*) ;;
        *) cp -L "$so" "$stage/b/lib/" ;;
    esac
done
mkdir -p gpu-bundle
tar -C "$stage" -cJf gpu-bundle/bundle.tar.xz b
du -h gpu-bundle/bundle.tar.xz | awk '{print "gpu_bundle: gpu-bundle/bundle.tar.xz is " $1 " (the device tool carries 64 MiB at most)"}'
