#!/usr/bin/env bash
# autorec-cl next to the same model in PyTorch (bench/torch_reference.py), on the same machine,
# in one run, with the same data, hyperparameters and evaluation; prints both and the ratios.
#
# usage: bench/compare.sh [ML100K_DIR] [--epochs N] [--threads T] [--rounds R] [-- AUTOREC_FLAGS...]
#   ML100K_DIR   the ml-100k directory (u1.base / u1.test); default $AUTOREC_DATA
#   --epochs N   epochs for both (default 10: the first is a warm-up, the median of the rest
#                is the epoch time; the final test RMSE is after epoch N)
#   --threads T  PyTorch intra-op threads (default: PyTorch's own choice; on the 2-core CI VM
#                that is 1, and 2 is slower: its OpenMP threads and OpenBLAS's compete)
#   --rounds R   run the pair R times, alternated (default 3); the ratio is that of the two
#                medians, and each round's figures are printed: a shared machine's speed
#                changes from minute to minute, and alternated rounds see the same changes
#   after --      extra flags for autorec only, e.g. --device 1:0 or --kernels sparse; tried
#                first on a tiny synthetic set, so that a wrong one fails before PyTorch runs
# Each round also prints how far apart CPUs 0 and 1 are just before and just after autorec's
# run (a cache line's round trip, from autorec_core_pingpong next to the autorec binary or in
# this checkout's build/, when it was built): on a VM whose two vCPUs sometimes share a cache
# and sometimes do not, autorec on PoCL runs up to 2x slower in the second case while PyTorch
# barely changes (docs/performance.md, "Two vCPUs, two distances").
# Both train the plain network of autorec's former defaults (torch_reference.py's; autorec is
# given the flags): I-AutoRec, hidden 500, batch 256, Adam lr 3e-3 x0.97 per epoch, L2 2e-3, no
# dropout, no centering, seed 1. Timing is training only (evaluation excluded) on both sides.
# Needs PyTorch: Debian's python3-torch (run with /usr/bin/python3), or PyPI's in a virtual
# environment, given as $PYTHON (python3 -m venv --system-site-packages /tmp/torchenv &&
# /tmp/torchenv/bin/pip install torch numpy; then PYTHON=/tmp/torchenv/bin/python).
# The last line printed is a JSON summary: the medians and their ratio, every round's epoch times
# and round trips, and the last round's full results of both.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data=${AUTOREC_DATA:-}
epochs=10
threads=0
rounds=3
extra=()
data_given=
usage() { echo "$0: $* (see --help)" >&2; exit 2; }
while [ "$#" -gt 0 ]; do
    case "$1" in
        --epochs|--threads|--rounds)
            [ "$#" -ge 2 ] || usage "$1 needs a value"
            case "$1" in --epochs) epochs=$2 ;; --threads) threads=$2 ;; *) rounds=$2 ;; esac
            shift 2 ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) usage "unknown option $1" ;;
        *) [ -z "$data_given" ] || usage "one data directory, got '$data' and '$1'"
           data=$1 data_given=1; shift ;;
    esac
done
# at most 7 digits: a longer number is no integer to [ (autorec takes up to 1000000 epochs)
if ! [[ "$epochs" =~ ^[0-9]{1,7}$ ]] || [ "$epochs" -lt 2 ] || [ "$epochs" -gt 1000000 ]; then
    echo "$0: --epochs must be an integer from 2 (the first epoch is a warm-up) to 1000000," \
         "got '$epochs'" >&2
    exit 2
fi
if ! [[ "$threads" =~ ^[0-9]{1,4}$ ]]; then
    echo "$0: --threads must be an integer >= 0 (0: PyTorch's own choice), got '$threads'" >&2
    exit 2
fi
if ! [[ "$rounds" =~ ^[0-9]{1,3}$ ]] || [ "$rounds" -lt 1 ] || [ "$rounds" -gt 100 ]; then
    echo "$0: --rounds must be an integer from 1 to 100, got '$rounds'" >&2
    exit 2
fi
if [ -z "$data" ]; then
    echo "$0: no data: give the ml-100k directory or set AUTOREC_DATA" >&2
    exit 2
fi
for f in u1.base u1.test; do
    if [ ! -f "$data/$f" ]; then
        echo "$0: $data/$f not found (give the ml-100k directory holding u1.base and u1.test)" >&2
        exit 2
    fi
done

. "$repo_root/bench/find_autorec.sh"
python=${PYTHON:-/usr/bin/python3}
if ! "$python" -c 'import torch' 2>/dev/null; then
    echo "$0: $python cannot import torch: install Debian's python3-torch (apt-get install" \
         "python3-torch), or PyTorch from PyPI in a virtual environment and set PYTHON to its" \
         "python (see --help)" >&2
    exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the plain network of autorec's former defaults, as torch_reference.py trains it
flags=(--no-profile --json --quiet --center none --dropout 0 --input-dropout 0 --l2 2e-3
       --lr-decay 0.97)
# autorec's flags (after --) tried first on a tiny synthetic set: a wrong one fails now, not
# after a round of PyTorch (it also builds the kernels into the cache the rounds then use)
if ! "$bin" bench --synthetic 30x20x100 --epochs 2 "${flags[@]}" "${extra[@]}" \
        > /dev/null 2> "$tmp/preflight.err"; then
    echo "$0: autorec bench fails with these flags (${extra[*]:-none after --}):" >&2
    cat "$tmp/preflight.err" >&2
    exit 2
fi

pingpong=$(dirname "$bin")/autorec_core_pingpong
[ -x "$pingpong" ] || pingpong=$repo_root/build/autorec_core_pingpong
[ -x "$pingpong" ] || pingpong=
# "CPUs 0 and 1: cache-line round trip N ns (...)": N, or null where it cannot run
round_trip() {
    local rt=null
    if [ -n "$pingpong" ]; then
        rt=$("$pingpong" --reps 50000 2>/dev/null | awk '{print $8}') || rt=null
        [[ "$rt" =~ ^[0-9]+$ ]] || rt=null
    fi
    echo "$rt"
}
for r in $(seq 1 "$rounds"); do
    echo "== round $r of $rounds: PyTorch (bench/torch_reference.py), $epochs epochs" >&2
    "$python" "$repo_root/bench/torch_reference.py" --train "$data/u1.base" \
        --test "$data/u1.test" --epochs "$epochs" --threads "$threads" > "$tmp/torch.out"
    tail -n 1 "$tmp/torch.out" > "$tmp/torch.$r.json"
    echo "== round $r of $rounds: autorec bench, $epochs epochs ${extra[*]:-}" >&2
    # the distance just before and just after autorec's run: it can change within seconds
    before=$(round_trip)
    "$bin" bench --data "$data" --epochs "$epochs" "${flags[@]}" "${extra[@]}" > "$tmp/autorec.out"
    echo "$before $(round_trip)" > "$tmp/rt.$r"
    head -n 1 "$tmp/autorec.out" > "$tmp/autorec.$r.json"
done

"$python" - "$tmp" "$rounds" <<'EOF'
import json, statistics, sys
tmp, n = sys.argv[1], int(sys.argv[2])
rounds = []
for r in range(1, n + 1):
    t = json.load(open(f"{tmp}/torch.{r}.json"))
    a = json.load(open(f"{tmp}/autorec.{r}.json"))
    rt = [None if x == "null" else int(x) for x in open(f"{tmp}/rt.{r}").read().split()]
    rounds.append((t, a, rt))
print(f"{'round':<6} {'pytorch_s':>10} {'autorec_s':>10} {'speedup':>8}  cpu0-1 round trip, ns, "
      "before / after autorec")
for i, (t, a, rt) in enumerate(rounds, 1):
    shown = " / ".join("-" if x is None else str(x) for x in rt)
    print(f"{i:<6} {t['epoch_seconds']:10.4f} {a['epoch_seconds']:10.4f} "
          f"{t['epoch_seconds'] / a['epoch_seconds']:7.2f}x  {shown}")
t, a = rounds[-1][0], rounds[-1][1]
tm = statistics.median(x[0]['epoch_seconds'] for x in rounds)
am = statistics.median(x[1]['epoch_seconds'] for x in rounds)
print(f"{'implementation':<44} {'epoch_s':>9} {'test_RMSE':>10}")
print(f"{t['implementation'] + ' (' + str(t['threads']) + ' threads)':<44} {tm:9.4f} {t['test_rmse']:10.4f}")
print(f"{'autorec on ' + a['device']:<44.44} {am:9.4f} {a['test_rmse']:10.4f}")
speedup = tm / am
print(f"epoch time (medians of {n} round{'s' if n > 1 else ''}): autorec / pytorch = "
      f"{am / tm:.3f} (autorec {speedup:.2f}x faster)")
print(f"final test RMSE: autorec - pytorch = {a['test_rmse'] - t['test_rmse']:+.4f} "
      f"(ratio {a['test_rmse'] / t['test_rmse']:.4f})")
print(json.dumps({'epochs': t['epochs'], 'pytorch': t, 'autorec': a,
                  'pytorch_epoch_seconds_median': tm, 'autorec_epoch_seconds_median': am,
                  'rounds': [{'pytorch_epoch_seconds': x[0]['epoch_seconds'],
                              'autorec_epoch_seconds': x[1]['epoch_seconds'],
                              'speedup': x[0]['epoch_seconds'] / x[1]['epoch_seconds'],
                              'cpu_round_trip_ns_before': x[2][0],
                              'cpu_round_trip_ns_after': x[2][1]} for x in rounds],
                  'epoch_time_ratio': am / tm,
                  'speedup': speedup, 'test_rmse_diff': a['test_rmse'] - t['test_rmse']}))
EOF
