#!/usr/bin/env bash
# clblast_tune.sh - runs CLBlast's tuners (package clblast-utils) for one OpenCL device at the
# model's GEMM shapes and prints the result as lines of autorec's CLBlast tuning database
# (format: docs/devices.md#tuned-clblast). Put the lines in a file and point
# AUTOREC_CLBLAST_TUNING at it, or add them to host/core/gemm_db.c to ship them.
#
# usage: bench/clblast_tune.sh PLATFORM DEVICE [DRIVER-PATTERN] > my-gpu.txt
#   PLATFORM, DEVICE: the indices CLBlast's tuners take (-platform, -device; `clinfo -l` order,
#   which is `autorec devices`' P:D). DRIVER-PATTERN: what the entries require of
#   CL_DRIVER_VERSION (default '*': any driver), an fnmatch(3) pattern as given. The platform
#   vendor and device name are emitted escaped ('[' as '[[]', '*', '?', '\\'), so that they
#   match only themselves. Exit status 2: a tuner failed or left no result (its log's end is on
#   stderr), or a name holds '|', '#' or a newline, which a database line cannot.
# Environment:
#   CLBLAST_TUNE_FRACTION  share of the random search space to try (default 0.002)
#   CLBLAST_TUNE_FULL=1    run every tuner variation (hours on a CPU); by default each tuner
#                          stops after its first variation (the fixed set), which takes minutes
#   CLBLAST_TUNE_KERNELS   which tuners (default "xgemm_direct xgemm")
#   CLBLAST_TUNE_M/N/K     the shape tuned (default 256 x 512 x 1024: batch 256 rows, ~500
#                          hidden units, ~1000 inputs, the ML-100K default step rounded to the
#                          multiples the indirect kernel's tuner needs)
#   CLBLAST_TUNE_DIR       where the tuners' JSON files and logs go, in a new subdirectory per
#                          run so that an earlier run's are never emitted (default a temporary dir)
set -euo pipefail
if [ $# -lt 2 ]; then
    sed -n '2,23p' "$0" >&2
    exit 2
fi
plat=$1 dev=$2 driver=${3:-*}
case $driver in *'|'* | *'#'* | *$'\n'*)
    echo "clblast_tune: DRIVER-PATTERN '$driver' holds '|', '#' or a newline, which a database line cannot" >&2
    exit 2 ;;
esac
fraction=${CLBLAST_TUNE_FRACTION:-0.002}
m=${CLBLAST_TUNE_M:-256} n=${CLBLAST_TUNE_N:-512} k=${CLBLAST_TUNE_K:-1024}
dir=${CLBLAST_TUNE_DIR:-$(mktemp -d)}
mkdir -p "$dir"
dir=$(mktemp -d "$dir/run.XXXXXX")
cd "$dir"
# The best entry of each kernel's JSON files (the fastest across variations) as database lines.
emit() {
    ls clblast_*_32.json >/dev/null 2>&1 || return 0
    python3 - "$driver" clblast_*_32.json <<'EOF'
import json, sys
driver, files = sys.argv[1], sys.argv[2:]

def literal(s, what):
    """s as an fnmatch(3) pattern (flags 0) that matches s alone; exit 2 if a line cannot hold s."""
    if any(c in s for c in "|#\n\r"):
        print(f"clblast_tune: the {what} {s!r} holds '|', '#' or a newline, which a database "
              "line cannot: write its entry by hand, with '?' there", file=sys.stderr)
        sys.exit(2)
    return "".join({"[": "[[]", "*": "[*]", "?": "[?]", "\\": "\\\\"}.get(c, c) for c in s)

best = {}
for f in files:
    j = json.load(open(f))
    kernel = "XgemmDirect" if j["kernel_family"].startswith("xgemm_direct") else "Xgemm"
    t = float(j["best_time"])
    if kernel not in best or t < best[kernel][0]:
        best[kernel] = (t, j)
for kernel, (t, j) in sorted(best.items()):
    params = " ".join(p for p in j["best_parameters"].split() if not p.startswith("PRECISION="))
    if kernel == "Xgemm" and "GEMMK=" not in params:
        params = "GEMMK=0 " + params
    if kernel == "Xgemm" and "KREG=" not in params:
        params += " KREG=1"
    print(f"# clblast_tuner {j['kernel_family']}: {j['arg_m']}x{j['arg_n']}x{j['arg_k']}, "
          f"best {t:.2f} ms ({j['best_kernel']})")
    platform, device = literal(j["platform_vendor"], "platform"), literal(j["device"], "device")
    print(f"{kernel} | {platform} | {device} | {driver} | {params}")
EOF
}
for kernel in ${CLBLAST_TUNE_KERNELS:-xgemm_direct xgemm}; do
    tuner=clblast_tuner_$kernel
    command -v "$tuner" >/dev/null || { echo "clblast_tune: $tuner not found (apt-get install clblast-utils)" >&2; exit 2; }
    stdbuf -oL "$tuner" -platform "$plat" -device "$dev" -m "$m" -n "$n" -k "$k" \
        -fraction "$fraction" -runs 2 > "$kernel.log" 2>&1 &
    pid=$!
    # A timeout around this script must not leave the tuner running on the device.
    # What finished before a timeout is still printed.
    trap 'kill "$pid" 2>/dev/null; emit; exit 124' TERM INT
    # The first variation's JSON is written when that variation ends: stop there unless asked.
    stopped=0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "${CLBLAST_TUNE_FULL:-0}" != 1 ] && ls "clblast_${kernel}_1_32.json" >/dev/null 2>&1; then
            sleep 1
            kill "$pid" 2>/dev/null || true
            stopped=1
            break
        fi
        sleep 2
    done
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    # A failed tuner must not pass for "nothing to tune": an exit status of its own (ours is the
    # kill above), or no JSON (xgemm_[0-9]*: not xgemm_direct's), is an error.
    if { [ "$stopped" = 0 ] && [ "$rc" != 0 ]; } ||
       ! ls "clblast_${kernel}_"[0-9]*_32.json >/dev/null 2>&1; then
        tail -n 15 "$kernel.log" >&2
        echo "clblast_tune: $tuner exited with status $rc or left no result (log: $dir/$kernel.log)" >&2
        exit 2
    fi
    echo "clblast_tune: $kernel done ($dir/$kernel.log)" >&2
done
trap - TERM INT
emit
