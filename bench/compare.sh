#!/usr/bin/env bash
# autorec-cl next to the same model in PyTorch (bench/torch_reference.py), on the same machine,
# in one run, with the same data, hyperparameters and evaluation; prints both and the ratios.
#
# usage: bench/compare.sh [ML100K_DIR] [--epochs N] [--threads T] [-- AUTOREC_FLAGS...]
#   ML100K_DIR   the ml-100k directory (u1.base / u1.test); default $AUTOREC_DATA
#   --epochs N   epochs for both (default 10: the first is a warm-up, the median of the rest
#                is the epoch time; the final test RMSE is after epoch N)
#   --threads T  PyTorch intra-op threads (default: PyTorch's own choice; on the 2-core CI VM
#                that is 1, and 2 is slower: its OpenMP threads and OpenBLAS's compete)
#   after --      extra flags for autorec only, e.g. --device 1:0 or --kernels sparse
# Both train the plain network of autorec's former defaults (torch_reference.py's; autorec is
# given the flags): I-AutoRec, hidden 500, batch 256, Adam lr 3e-3 x0.97 per epoch, L2 2e-3, no
# dropout, no centering, seed 1. Timing is training only (evaluation excluded) on both sides.
# Needs PyTorch: Debian's python3-torch (run with /usr/bin/python3), or PyPI's in a virtual
# environment, given as $PYTHON (python3 -m venv --system-site-packages /tmp/torchenv &&
# /tmp/torchenv/bin/pip install torch numpy; then PYTHON=/tmp/torchenv/bin/python).
# The last line printed is a JSON summary with both results and the ratios.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data=${AUTOREC_DATA:-}
epochs=10
threads=0
extra=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --epochs) epochs=${2:?--epochs needs a value}; shift 2 ;;
        --threads) threads=${2:?--threads needs a value}; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) echo "$0: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) data=$1; shift ;;
    esac
done
if ! [[ "$epochs" =~ ^[0-9]+$ ]] || [ "$epochs" -lt 2 ]; then
    echo "$0: --epochs must be an integer >= 2 (the first epoch is a warm-up), got '$epochs'" >&2
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

echo "== PyTorch (bench/torch_reference.py), $epochs epochs" >&2
"$python" "$repo_root/bench/torch_reference.py" --train "$data/u1.base" --test "$data/u1.test" \
    --epochs "$epochs" --threads "$threads" > "$tmp/torch.out"
tail -n 1 "$tmp/torch.out" > "$tmp/torch.json"

echo "== autorec bench, $epochs epochs ${extra[*]:-}" >&2
"$bin" bench --data "$data" --epochs "$epochs" --no-profile --json --quiet --center none \
    --dropout 0 --input-dropout 0 --l2 2e-3 --lr-decay 0.97 "${extra[@]}" \
    > "$tmp/autorec.out"
head -n 1 "$tmp/autorec.out" > "$tmp/autorec.json"

"$python" - "$tmp/torch.json" "$tmp/autorec.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
a = json.load(open(sys.argv[2]))
print(f"{'implementation':<44} {'epoch_s':>9} {'test_RMSE':>10}")
print(f"{t['implementation'] + ' (' + str(t['threads']) + ' threads)':<44} {t['epoch_seconds']:9.4f} {t['test_rmse']:10.4f}")
print(f"{'autorec on ' + a['device']:<44.44} {a['epoch_seconds']:9.4f} {a['test_rmse']:10.4f}")
speedup = t['epoch_seconds'] / a['epoch_seconds']
print(f"epoch time: autorec / pytorch = {a['epoch_seconds'] / t['epoch_seconds']:.3f} "
      f"(autorec {speedup:.2f}x faster)")
print(f"final test RMSE: autorec - pytorch = {a['test_rmse'] - t['test_rmse']:+.4f} "
      f"(ratio {a['test_rmse'] / t['test_rmse']:.4f})")
print(json.dumps({'epochs': t['epochs'], 'pytorch': t, 'autorec': a,
                  'epoch_time_ratio': a['epoch_seconds'] / t['epoch_seconds'],
                  'speedup': speedup, 'test_rmse_diff': a['test_rmse'] - t['test_rmse']}))
EOF
