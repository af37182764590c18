#!/usr/bin/env bash
# The one prepared script for a lent GPU machine (issue 5, item 5): checks that an OpenCL ICD
# for the GPU exists, then runs the device tests and the benchmarks on it and writes everything
# under $OUT (default ./gpu-out). Nothing is installed and nothing is downloaded: the machine
# may have no network. Run bench/gpu_bundle.sh on the build machine first; the device tool
# carries its gpu-bundle/ (carry: ["gpu-bundle"]), which this script unpacks to /tmp.
#
# usage (on the GPU machine, in the repository root):
#   bash bench/gpu_run.sh [SPEC]     SPEC: the device to use (default: gpu, the first GPU)
# AUTOREC_DATA (or ../shared/data/ml-100k) gives the ML-100K runs; without it they are skipped.
# GPU_RUN_ML10M_SECONDS caps the ML-10M-sized run (default 420), GPU_RUN_TUNE_SECONDS CLBlast's
# tuners (default 240: what they finished by then is kept). GPU_BUNDLE_DIR: an unpacked
# bundle to use instead (a directory with autorec, tests/ and lib/).
set -uo pipefail
cd "$(dirname "$0")/.."
spec=${1:-gpu}
out=${OUT:-gpu-out}
mkdir -p "$out"
build=${GPU_BUNDLE_DIR:-}
if [ -z "$build" ]; then
    if [ ! -f gpu-bundle/bundle.tar.xz ]; then
        echo "gpu_run: no gpu-bundle/bundle.tar.xz: run bench/gpu_bundle.sh and carry gpu-bundle" >&2
        exit 2
    fi
    rm -rf /tmp/gpu-bundle && mkdir -p /tmp/gpu-bundle &&
        tar -C /tmp/gpu-bundle -xJf gpu-bundle/bundle.tar.xz && build=/tmp/gpu-bundle/b
fi
export LD_LIBRARY_PATH="$build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export POCL_CACHE_DIR=${POCL_CACHE_DIR:-/tmp/pocl-cache}
log() { echo "gpu_run: $*" | tee -a "$out/summary.txt"; }

if [ ! -x "$build/autorec" ]; then
    log "no autorec in $build: run bench/gpu_bundle.sh on the build machine"
    exit 2
fi
# The ICD loader finds drivers through /etc/OpenCL/vendors/*.icd. NVIDIA's container runtime
# mounts libnvidia-opencl.so.1 but not always the .icd file: add it when the library is there.
if ! grep -qsi nvidia /etc/OpenCL/vendors/*.icd; then
    lib=$(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl.so.1/ {print $NF; exit}')
    if [ -n "$lib" ]; then
        mkdir -p /etc/OpenCL/vendors && echo "$lib" > /etc/OpenCL/vendors/nvidia.icd
        log "registered $lib as an OpenCL ICD"
    fi
fi
nvidia-smi -L > "$out/nvidia-smi.txt" 2>&1 || true
"$build/autorec" devices > "$out/devices.txt" 2>&1
cat "$out/devices.txt" >> "$out/summary.txt"
if ! "$build/autorec" bench --device "$spec" --synthetic 300x200x6000 --epochs 2 --hidden 8 \
        --json --quiet > "$out/probe.json" 2> "$out/probe.txt"; then
    log "no OpenCL device matches '$spec': no OpenCL GPU driver available here (see devices.txt, probe.txt)"
    exit 0
fi
log "device '$spec' works; running the device tests and the benchmarks"

failed=0
for t in "$build"/tests/test_*; do
    AUTOREC_DEVICE=$spec AUTOREC_TEST_CLI=$build/autorec "$t" --jobs 1 >> "$out/tests.txt" 2>&1 ||
        failed=$((failed + 1))
done
log "device tests: $failed program(s) failed (tests.txt)"

data=${AUTOREC_DATA:-../shared/data/ml-100k}
if [ -f "$data/u1.base" ]; then
    "$build/autorec" bench --data "$data" --device "$spec" --epochs 6 --kernels dense,sparse \
        > "$out/bench-ml100k.txt" 2>&1
    "$build/autorec" bench --data "$data" --device "$spec" --epochs 6 --kernels dense,sparse \
        --json --quiet > "$out/bench-ml100k.json" 2>&1
    log "ML-100K bench: bench-ml100k.txt"
else
    log "no ML-100K at $data: ML-100K bench skipped"
fi
# Kernel autotuning (docs/devices.md#tuning-the-kernels-for-a-device-autorec-tune-kernels):
# the sparse kernels' parameters for this GPU at ML-100K's and ML-10M's shapes, stored in a
# cache of this run's own, which the runs after use; the ML-100K sparse bench again, after.
export AUTOREC_PROGRAM_CACHE=$out/program-cache-tuned
timeout "${GPU_RUN_KTUNE_SECONDS:-120}" "$build/autorec" tune-kernels --device "$spec" \
    > "$out/tune-kernels.txt" 2>&1
log "tune-kernels at ML-100K's shapes (exit $?): tune-kernels.txt"
timeout "${GPU_RUN_KTUNE_SECONDS:-120}" "$build/autorec" tune-kernels --device "$spec" \
    --rows 10677 --cols 69878 --density 0.0121 >> "$out/tune-kernels.txt" 2>&1
log "tune-kernels at ML-10M's shapes (exit $?): tune-kernels.txt"
if [ -f "$data/u1.base" ]; then
    "$build/autorec" bench --data "$data" --device "$spec" --epochs 6 --kernels sparse \
        --json --quiet > "$out/bench-ml100k-tuned.json" 2>&1
    log "ML-100K sparse bench with the tuned kernels: bench-ml100k-tuned.json"
fi
timeout "${GPU_RUN_ML10M_SECONDS:-420}" "$build/autorec" bench --synthetic 69878x10677x10000000 --device "$spec" --epochs 3 \
    --kernels sparse,dense > "$out/bench-ml10m.txt" 2>&1
log "ML-10M-sized bench, tuned kernels (exit $?): bench-ml10m.txt"
unset AUTOREC_PROGRAM_CACHE
# The model sharded across two contexts of the GPU (docs/scaling.md): per shard, compute and
# sums per epoch.
timeout 300 "$build/autorec" bench --synthetic 69878x10677x10000000 --device "$spec,$spec" \
    --sharded --epochs 3 > "$out/bench-ml10m-sharded.txt" 2>&1
log "ML-10M-sized bench, sharded over two contexts (exit $?): bench-ml10m-sharded.txt"
# The built-program cache: the kernels' build time cold (a miss), then warm (a hit).
for pass in cold warm; do
    AUTOREC_PROGRAM_CACHE=$out/program-cache "$build/autorec" bench --device "$spec" \
        --synthetic 300x200x6000 --epochs 2 --hidden 8 --json --quiet \
        > "$out/program-cache-$pass.json" 2>&1
done
log "program build: $(grep -ho '"program_build_seconds":[^,]*,"program_cache":"[a-z]*"' \
    "$out"/program-cache-*.json | tr '\n' ' ')"
# The GEMM ceilings need OpenBLAS, which the bundle leaves out unless the machine has it.
id=$(sed -n 's/.*"id":"\([0-9]*:[0-9]*\)".*/\1/p' "$out/probe.json" | head -n 1)
if [ -x "$build/autorec_gemm_bench" ] && [ -n "$id" ]; then
    timeout 300 "$build/autorec_gemm_bench" --device "$id" --shapes all > "$out/gemm.txt" 2>&1
    log "GEMM ceilings on $id (exit $?): gemm.txt"
fi
# Tuned CLBlast (docs/devices.md#tuned-clblast): CLBlast's tuners for this GPU at the model's
# shape (their fixed sets: minutes), then the dense path with CLBlast's own parameters and with
# the tuned entries, one after the other.
pd=$(echo "$id" | tr ':' ' ')
if [ -x "$build/clblast_tuner_xgemm_direct" ] && [ -n "$id" ]; then
    PATH="$build:$PATH" CLBLAST_TUNE_DIR="$out/clblast-tune" timeout "${GPU_RUN_TUNE_SECONDS:-240}" \
        bash bench/clblast_tune.sh $pd '*' > "$out/clblast-gpu.txt" 2> "$out/clblast-tune.txt"
    log "CLBlast tuning (exit $?): clblast-gpu.txt"
fi
if [ -f "$data/u1.base" ]; then dense_data=(--data "$data"); else dense_data=(--synthetic 2000x1500x100000); fi
for t in off "$out/clblast-gpu.txt"; do
    [ -s "$t" ] || [ "$t" = off ] || continue
    AUTOREC_CLBLAST_TUNING=$t timeout 300 "$build/autorec" bench "${dense_data[@]}" --device "$spec" \
        --epochs 3 --kernels dense --json --quiet >> "$out/bench-clblast.json" 2>&1
    AUTOREC_CLBLAST_TUNING=$t timeout 300 "$build/autorec" bench "${dense_data[@]}" --device "$spec" \
        --epochs 3 --kernels sparse --hidden 500,500 --json --quiet >> "$out/bench-clblast.json" 2>&1
done
log "dense path and hidden-to-hidden GEMMs, CLBlast defaults then tuned: $(grep -ho \
    '"epoch_seconds":[^,]*' "$out/bench-clblast.json" | tr '\n' ' ')"
log "done"
