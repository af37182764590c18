#!/usr/bin/env bash
# test_best_u1.sh BUILD_DIR SOURCE_DIR - bench/best_u1.sh's procedure, shrunk (2 seeds, 150
# epochs) on a small synthetic u1.base / u1.test: the epoch count is the argmin of the seeds'
# mean validation curve, every member is refit for exactly that many epochs, the summary is the
# last line and agrees with evaluating the kept models again, and bad arguments are refused.
set -euo pipefail
build=$1
src=$2
bin=$build/autorec
tmp=$(mktemp -d /tmp/autorec-test-best-u1-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_best_u1.sh: $*" >&2; exit 1; }

mkdir "$tmp/d"
"$bin" synth --out "$tmp/all.data" --users 150 --items 90 --ratings 4000 --seed 3 2>/dev/null
awk 'NR % 5 == 0' "$tmp/all.data" >"$tmp/d/u1.test"
awk 'NR % 5 != 0' "$tmp/all.data" >"$tmp/d/u1.base"

AUTOREC_BIN=$bin BEST_U1_KEEP=$tmp/keep BEST_U1_SEEDS="1 2" BEST_U1_MAX_EPOCHS=150 \
    bash "$src/bench/best_u1.sh" "$tmp/d" >"$tmp/out" 2>"$tmp/err" ||
    fail "best_u1.sh failed: $(cat "$tmp/err")"
json=$(tail -n 1 "$tmp/out")
case $json in "{"*"}") ;; *) fail "the last line is not a JSON object: $json" ;; esac
num() { grep -o "\"$1\":[-0-9.eE+]*" <<<"$json" | head -n 1 | cut -d: -f2; }
epochs=$(num selected_epochs)
rmse=$(num test_rmse)
[ -n "$epochs" ] && [ -n "$rmse" ] || fail "no selected_epochs or test_rmse in $json"

# the argmin of the mean validation curve, found another way: join the two curves by epoch,
# sort by the mean (ties: the earlier epoch)
for s in 1 2; do
    test -s "$tmp/keep/valid$s.csv" || fail "no validation curve for seed $s"
    [ "$(wc -l <"$tmp/keep/valid$s.csv")" -eq 151 ] || fail "valid$s.csv: not 150 epochs"
done
col=$(head -n 1 "$tmp/keep/valid1.csv" | tr , '\n' | grep -n '^valid_rmse$' | cut -d: -f1)
want=$(paste -d, <(tail -n +2 "$tmp/keep/valid1.csv" | cut -d, -f1,"$col") \
                 <(tail -n +2 "$tmp/keep/valid2.csv" | cut -d, -f"$col") |
       awk -F, '{ printf "%d %.9f\n", $1, ($2 + $3) / 2 }' | sort -k2,2g -k1,1n | head -n 1 |
       cut -d' ' -f1)
[ "$epochs" = "$want" ] || fail "selected $epochs epochs, the mean curve's minimum is at $want"

# both members refit for that many epochs; their mean scored again gives the same figure
grep -q "\"member_epochs\":\[$epochs,$epochs\]" <<<"$json" ||
    fail "members not refit for $epochs: $json"
again=$("$bin" eval --model "$tmp/keep/m1.bin" --model "$tmp/keep/m2.bin" --test "$tmp/d/u1.test" \
        --json 2>/dev/null | tail -n 1)
grep -q "\"test_rmse\":$rmse," <<<"$again" || fail "eval again: $again, the script said $rmse"
# better than predicting the training mean
base=$("$bin" data --train "$tmp/d/u1.base" --test "$tmp/d/u1.test" --json 2>/dev/null |
       grep -o '"baseline_mean_rmse":[0-9.eE+-]*' | cut -d: -f2)
awk -v a="$rmse" -v b="$base" 'BEGIN { exit !(a < b) }' || fail "test RMSE $rmse, baseline $base"

# bad arguments: a usage line or the missing file named, exit 2
set +e
bash "$src/bench/best_u1.sh" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q usage "$tmp/err" || fail "no argument: exit $rc, $(cat "$tmp/err")"
AUTOREC_BIN=$bin bash "$src/bench/best_u1.sh" "$tmp/nowhere" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "nowhere/u1.base" "$tmp/err" ||
    fail "missing dir: exit $rc, $(cat "$tmp/err")"
set -e
echo "best_u1.sh: $epochs epochs selected, ensemble test RMSE $rmse (baseline $base)"
