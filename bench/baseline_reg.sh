#!/usr/bin/env bash
# The bias baseline's settings (ar_baseline_config: reg_item, reg_user, sweeps) chosen on
# validation carve-outs only, over seven dataset shapes: ML-100K (u1.base, and a random 90/10
# split of u.data) and five `autorec synth` sets that differ in users x items, density (0.5% to
# 6%), popularity skew and rating scale (one on half stars). Each dataset is split three times
# (split seeds 1-3); the bias model is fitted on the training part less a 10% validation
# carve-out and scored on that carve-out. No test rating is ever read by the choice.
#
# Prints, per setting, the validation RMSE averaged over the three carve-outs of each dataset,
# and its excess over the dataset's best setting: the worst excess over the datasets and the
# mean. The chosen setting (the first row) has the smallest worst excess (docs/experiments.md,
# "The bias baseline's regularisation").
#
# usage: bench/baseline_reg.sh ML100K_DIR     (about 10 minutes on 2 cores)
# BASELINE_REG_ITEMS, BASELINE_REG_USERS, BASELINE_SWEEPS: the grid (space-separated lists).
set -euo pipefail
if [ "$#" -ne 1 ]; then
    echo "usage: $0 ML100K_DIR   (the ml-100k directory with u.data, u1.base, u1.test)" >&2
    exit 2
fi
dir=$1
repo_root=$(cd "$(dirname "$0")/.." && pwd)
source "$repo_root/bench/find_autorec.sh"
for f in u.data u1.base u1.test; do
    [ -f "$dir/$f" ] || { echo "$0: $dir/$f: no such file" >&2; exit 2; }
done
items=${BASELINE_REG_ITEMS:-"0 1 2 3 5 7 10 15 25"}
users=${BASELINE_REG_USERS:-"0 1 2 3 5 7 10 15 25"}
sweeps=${BASELINE_SWEEPS:-"1 5 20"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the synthetic files (`autorec synth`; the half-star one: each rating r > 1 lowered by 0.5 on
# every other line)
"$bin" synth --out "$tmp/few_users.data" --users 610 --items 9700 --ratings 100000 --seed 11 \
    2>/dev/null
awk -F'\t' -v OFS='\t' '{ if (NR % 2 && $3 > 1) $3 -= 0.5; print }' "$tmp/few_users.data" \
    >"$tmp/few_users_half.data"
"$bin" synth --out "$tmp/sparse.data" --users 6040 --items 3706 --ratings 120000 --skew 1.2 \
    --seed 12 2>/dev/null
"$bin" synth --out "$tmp/uniform.data" --users 1500 --items 1000 --ratings 80000 --skew 0 \
    --seed 13 2>/dev/null

# NAME|DATA OPTIONS (split by --split-seed and --valid-ratio below)
datasets=(
    "ml-u1|--train $dir/u1.base --test $dir/u1.test"
    "ml-random|--data $dir/u.data --test-ratio 0.1"
    "s-100k|--synthetic 943x1682x100000 --seed 7"
    "s-few-half|--data $tmp/few_users_half.data --test-ratio 0.1"
    "s-sparse|--data $tmp/sparse.data --test-ratio 0.1"
    "s-uniform|--data $tmp/uniform.data --test-ratio 0.1"
    "s-1m|--synthetic 6040x3706x1000209 --seed 8"
)

grid() { # NAME DATA_OPTIONS...: "NAME ITEM USER SWEEPS VALID_RMSE" per run
    local name=$1 s ri ru sw
    shift
    for s in 1 2 3; do for ri in $items; do for ru in $users; do for sw in $sweeps; do
        "$bin" data "$@" --split-seed "$s" --valid-ratio 0.1 --baseline-reg-item "$ri" \
            --baseline-reg-user "$ru" --baseline-sweeps "$sw" --json |
            sed -n 's/.*"bias":{[^}]*"valid_rmse":\([^,]*\),.*/\1/p' |
            sed "s/^/$name $ri $ru $sw /"
    done; done; done; done
}

names=()
for d in "${datasets[@]}"; do
    name=${d%%|*}
    names+=("$name")
    # shellcheck disable=SC2086  # the options are words
    grid "$name" ${d#*|}
    echo "$0: $name done" >&2
done >"$tmp/runs"

# the table: the settings by worst excess (ties: mean excess), each dataset's mean RMSE
awk -v order="${names[*]}" '
    { k = $2 " " $3 " " $4; r[$1, k] += $5 / 3; keys[k] }
    END {
        nd = split(order, ds, " ")
        for (i = 1; i <= nd; i++) {
            best[ds[i]] = 1e9
            for (k in keys) if (r[ds[i], k] < best[ds[i]]) best[ds[i]] = r[ds[i], k]
        }
        for (k in keys) {
            split(k, f, " "); w = 0; m = 0
            line = sprintf("%-8s %-8s %-6s", f[1], f[2], f[3])
            for (i = 1; i <= nd; i++) {
                e = r[ds[i], k] - best[ds[i]]; m += e / nd; if (e > w) w = e
                line = line sprintf(" %10.5f", r[ds[i], k])
            }
            printf "%.6f %.6f %s %9.5f %9.5f\n", w, m, line, w, m
        }
    }' "$tmp/runs" | sort -k1,1g -k2,2g | cut -d' ' -f3- >"$tmp/table"
printf "%-8s %-8s %-6s" reg_item reg_user sweeps
for n in "${names[@]}"; do printf " %10s" "$n"; done
printf " %9s %9s\n" worst_exc mean_exc
cat "$tmp/table"
