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
# Relative OUT, GPU_BUNDLE_DIR and AUTOREC_DATA are from the directory the script is started in.
# A second run into the same $OUT replaces the first's summary, test log and program caches.
# The whole run keeps within GPU_RUN_SECONDS (default 540: a lent machine gives one command 600
# s): the steps run in the order of what their figures are worth, each capped by its own limit
# and by the time left; a step with under 5 s left is skipped and says so in summary.txt, and
# what ran before it is already under $OUT. Caps: GPU_RUN_ML10M_SECONDS the ML-10M-sized runs
# (default 420), GPU_RUN_KTUNE_SECONDS each tune-kernels (180:
# ML-10M's shapes took 126 s on an H200), GPU_RUN_TUNE_SECONDS CLBlast's
# tuners (240: what they finished by then is kept). GPU_BUNDLE_DIR: an unpacked bundle to use
# instead (a directory with autorec, tests/ and lib/).
set -uo pipefail
# paths given relative to where the script was started, not to the repository root it moves to
abs() { case "$1" in /*|'') echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
OUT=$(abs "${OUT:-}") GPU_BUNDLE_DIR=$(abs "${GPU_BUNDLE_DIR:-}")
AUTOREC_DATA=$(abs "${AUTOREC_DATA:-}")
cd "$(dirname "$0")/.."
for v in GPU_RUN_SECONDS GPU_RUN_ML10M_SECONDS GPU_RUN_KTUNE_SECONDS GPU_RUN_TUNE_SECONDS; do
    if ! [[ "${!v:-0}" =~ ^[0-9]{1,6}$ ]]; then
        echo "gpu_run: $v must be a number of seconds, got '${!v}'" >&2
        exit 2
    fi
done
spec=${1:-gpu}
out=${OUT:-gpu-out}
mkdir -p "$out" || exit 2
# a run into an earlier run's $OUT starts afresh: these are appended to, and the program
# caches would make the "cold" build a hit
rm -rf "$out/summary.txt" "$out/tests.txt" "$out/bench-clblast.json" "$out/program-cache" \
    "$out/program-cache-tuned"
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
deadline=${GPU_RUN_SECONDS:-540} # SECONDS counts from the script's start, the unpacking included
# within CAP NAME CMD...: CMD under `timeout`, for CAP seconds or what is left before the
# deadline, whichever is less; with under 5 s left, not run (exit 124, NAME logged as skipped).
within() {
    local cap=$1 name=$2 left=$((deadline - SECONDS))
    shift 2
    [ "$left" -lt "$cap" ] && cap=$left
    if [ "$cap" -lt 5 ]; then
        log "$name: skipped, GPU_RUN_SECONDS spent"
        return 124
    fi
    timeout "$cap" "$@"
}

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
if ! within 120 "probe" "$build/autorec" bench --device "$spec" --synthetic 300x200x6000 \
        --epochs 2 --hidden 8 --json --quiet > "$out/probe.json" 2> "$out/probe.txt"; then
    # autorec's own reason: no such device (a mistyped SPEC) reads differently from no driver
    why=$(grep -m 1 . "$out/probe.txt" || echo 'no message, or cut at its time limit')
    log "no OpenCL device matches '$spec' ($why): no OpenCL GPU driver available here, or no" \
        "such device (see devices.txt, probe.txt)"
    exit 0
fi
log "device '$spec' works; running the benchmarks and the device tests"

# 1. The headline: both paths on ML-100K with the defaults this GPU gets.
data=${AUTOREC_DATA:-../shared/data/ml-100k}
if [ -f "$data/u1.base" ]; then
    within 120 "ML-100K bench" "$build/autorec" bench --data "$data" --device "$spec" \
        --epochs 6 --kernels dense,sparse > "$out/bench-ml100k.txt" 2>&1
    within 120 "ML-100K bench (JSON)" "$build/autorec" bench --data "$data" --device "$spec" \
        --epochs 6 --kernels dense,sparse --json --quiet > "$out/bench-ml100k.json" 2>&1
    log "ML-100K bench (exit $?): bench-ml100k.txt"
else
    log "no ML-100K at $data: ML-100K bench skipped"
fi

# 2. The kernels against their references on this GPU (the other test programs come later).
tests_run() { # the test programs named, one after another, into tests.txt; $failed, $cut, $unrun
    local t rc
    failed=0 cut=0 unrun=0
    for t in "$@"; do
        [ -x "$t" ] || continue
        if [ $((deadline - SECONDS)) -lt 5 ]; then unrun=$((unrun + 1)); continue; fi
        AUTOREC_DEVICE=$spec AUTOREC_TEST_CLI=$build/autorec within 300 "$(basename "$t")" \
            "$t" --jobs 1 >> "$out/tests.txt" 2>&1
        rc=$?
        # a program stopped at its time limit has not failed: it is named, not counted as failed
        if [ "$rc" -eq 124 ]; then cut=$((cut + 1)); log "$(basename "$t"): cut at its time limit"
        elif [ "$rc" -ne 0 ]; then failed=$((failed + 1)); fi
    done
}
kernel_tests=("$build/tests/test_sparse" "$build/tests/test_kernels" "$build/tests/test_step")
tests_run "${kernel_tests[@]}"
log "kernel tests: $failed program(s) failed, $cut cut at their time limit, $unrun not run" \
    "for lack of time (tests.txt)"

# 3. Kernel autotuning (docs/devices.md#tuning-the-kernels-for-a-device-autorec-tune-kernels):
# the sparse kernels' parameters for this GPU at ML-100K's shapes, stored in a cache of this
# run's own, which the runs after use; the ML-100K sparse bench again, after.
export AUTOREC_PROGRAM_CACHE=$out/program-cache-tuned
within "${GPU_RUN_KTUNE_SECONDS:-180}" "tune-kernels" "$build/autorec" tune-kernels \
    --device "$spec" > "$out/tune-kernels.txt" 2>&1
log "tune-kernels at ML-100K's shapes (exit $?): tune-kernels.txt"
if [ -f "$data/u1.base" ]; then
    within 120 "ML-100K bench, tuned" "$build/autorec" bench --data "$data" --device "$spec" \
        --epochs 6 --kernels sparse --json --quiet > "$out/bench-ml100k-tuned.json" 2>&1
    log "ML-100K sparse bench with the tuned kernels (exit $?): bench-ml100k-tuned.json"
fi

# 4. The ML-10M-sized run, sparse path (tuned kernels), then the built-program cache cold and
# warm (the kernels' build time: a miss, then a hit).
within "${GPU_RUN_ML10M_SECONDS:-420}" "ML-10M-sized bench" "$build/autorec" bench \
    --synthetic 69878x10677x10000000 --device "$spec" --epochs 3 --kernels sparse \
    > "$out/bench-ml10m.txt" 2>&1
log "ML-10M-sized bench, sparse, tuned kernels (exit $?): bench-ml10m.txt"
unset AUTOREC_PROGRAM_CACHE
for pass in cold warm; do
    AUTOREC_PROGRAM_CACHE=$out/program-cache within 60 "program cache ($pass)" \
        "$build/autorec" bench --device "$spec" --synthetic 300x200x6000 --epochs 2 --hidden 8 \
        --json --quiet > "$out/program-cache-$pass.json" 2>&1
done
log "program build: $(grep -ho '"program_build_seconds":[^,]*,"program_cache":"[a-z]*"' \
    "$out"/program-cache-*.json | tr '\n' ' ')"

# 5. The other device test programs.
others=()
for t in "$build"/tests/test_*; do
    case " ${kernel_tests[*]} " in *" $t "*) ;; *) others+=("$t") ;; esac
done
tests_run "${others[@]}"
log "other device tests: $failed program(s) failed, $cut cut at their time limit, $unrun not" \
    "run for lack of time (tests.txt)"

# 6. What is left time for: tune-kernels at ML-10M's shapes, the dense path at ML-10M's size,
# the model sharded across two contexts of the GPU (docs/scaling.md), the GEMM ceilings, tuned
# CLBlast.
AUTOREC_PROGRAM_CACHE=$out/program-cache-tuned within "${GPU_RUN_KTUNE_SECONDS:-180}" \
    "tune-kernels (ML-10M)" "$build/autorec" tune-kernels --device "$spec" --rows 10677 \
    --cols 69878 --density 0.0121 >> "$out/tune-kernels.txt" 2>&1
log "tune-kernels at ML-10M's shapes (exit $?): tune-kernels.txt"
within "${GPU_RUN_ML10M_SECONDS:-420}" "ML-10M-sized bench, dense" "$build/autorec" bench \
    --synthetic 69878x10677x10000000 --device "$spec" --epochs 2 --kernels dense \
    >> "$out/bench-ml10m.txt" 2>&1
log "ML-10M-sized bench, dense (exit $?): bench-ml10m.txt"
within 300 "ML-10M-sized bench, sharded" "$build/autorec" bench \
    --synthetic 69878x10677x10000000 --device "$spec,$spec" --sharded --epochs 3 \
    > "$out/bench-ml10m-sharded.txt" 2>&1
log "ML-10M-sized bench, sharded over two contexts (exit $?): bench-ml10m-sharded.txt"
# The GEMM ceilings need OpenBLAS, which the bundle leaves out unless the machine has it.
id=$(sed -n 's/.*"id":"\([0-9]*:[0-9]*\)".*/\1/p' "$out/probe.json" | head -n 1)
if [ -x "$build/autorec_gemm_bench" ] && [ -n "$id" ]; then
    within 300 "GEMM ceilings" "$build/autorec_gemm_bench" --device "$id" --shapes all \
        > "$out/gemm.txt" 2>&1
    log "GEMM ceilings on $id (exit $?): gemm.txt"
fi
# Tuned CLBlast (docs/devices.md#tuned-clblast): CLBlast's tuners for this GPU at the model's
# shape (their fixed sets: minutes), then the dense path with CLBlast's own parameters and with
# the tuned entries, one after the other.
pd=$(echo "$id" | tr ':' ' ')
if [ -x "$build/clblast_tuner_xgemm_direct" ] && [ -n "$id" ]; then
    PATH="$build:$PATH" CLBLAST_TUNE_DIR="$out/clblast-tune" \
        within "${GPU_RUN_TUNE_SECONDS:-240}" "CLBlast tuning" \
        bash bench/clblast_tune.sh $pd '*' > "$out/clblast-gpu.txt" 2> "$out/clblast-tune.txt"
    log "CLBlast tuning (exit $?): clblast-gpu.txt"
fi
if [ -f "$data/u1.base" ]; then dense_data=(--data "$data"); else dense_data=(--synthetic 2000x1500x100000); fi
for t in off "$out/clblast-gpu.txt"; do
    [ -s "$t" ] || [ "$t" = off ] || continue
    AUTOREC_CLBLAST_TUNING=$t within 300 "dense bench (CLBlast $t)" "$build/autorec" bench \
        "${dense_data[@]}" --device "$spec" --epochs 3 --kernels dense --json --quiet \
        >> "$out/bench-clblast.json" 2>&1
    AUTOREC_CLBLAST_TUNING=$t within 300 "hidden 500,500 bench (CLBlast $t)" "$build/autorec" \
        bench "${dense_data[@]}" --device "$spec" --epochs 3 --kernels sparse --hidden 500,500 \
        --json --quiet >> "$out/bench-clblast.json" 2>&1
done
log "dense path and hidden-to-hidden GEMMs, CLBlast defaults then tuned: $(grep -ho \
    '"epoch_seconds":[^,]*' "$out/bench-clblast.json" 2>/dev/null | tr '\n' ' ')"
log "done in $SECONDS s"
