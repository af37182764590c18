#!/usr/bin/env bash
# tune_smoke.sh [DIR] [TUNE OPTIONS...] - a short `autorec tune` on MovieLens 100K u1, then
# `autorec train --config` with the settings it wrote, checking that train reaches the
# validation RMSE tune reported (docs/tune.md). DIR is the ml-100k directory (default
# $AUTOREC_DATA); further arguments go to tune (default: --trials 27). Prints tune's
# leaderboard, train's result line and the two validation RMSEs; exits 1 when they differ.
# The test split u1.test is read by train only, never by tune.
#   bench/tune_smoke.sh ~/.cache/autorec/ml-100k
#   bench/tune_smoke.sh "$AUTOREC_DATA" --trials 9 --epochs 45 --device all
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${AUTOREC:-$here/build/autorec}
dir=${1:-${AUTOREC_DATA:-}}
[ -n "$dir" ] && [ -f "$dir/u1.base" ] || {
    echo "usage: tune_smoke.sh ML100K_DIR [TUNE OPTIONS...] (or set AUTOREC_DATA)" >&2
    exit 2
}
shift || true
[ $# -gt 0 ] || set -- --trials 27
out=$(mktemp -d /tmp/autorec-tune-smoke-XXXXXX)
trap 'rm -rf "$out"' EXIT

echo "autorec tune --data $dir $* --out best.conf --json"
"$bin" tune --data "$dir" "$@" --out "$out/best.conf" --json --quiet | tee "$out/tune.txt"
tuned=$(tail -n 1 "$out/tune.txt" | sed -n 's/.*"best_valid_rmse":\([^,]*\).*/\1/p')
echo
echo "autorec train --data $dir --config best.conf --json"
"$bin" train --data "$dir" --config "$out/best.conf" --json --quiet | tee "$out/train.txt"
trained=$(tail -n 1 "$out/train.txt" | sed -n 's/.*"best_valid_rmse":\([^,]*\).*/\1/p')
echo
echo "validation RMSE: tune $tuned, train --config $trained"
[ "$tuned" = "$trained" ] || { echo "tune_smoke.sh: they differ" >&2; exit 1; }
