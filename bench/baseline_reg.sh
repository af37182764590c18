#!/usr/bin/env bash
# The bias baseline's regularisation (ar_baseline_config: reg_item, reg_user, sweeps) chosen on
# validation carve-outs only: ML-100K u1.base minus 10% (split seeds 1-3) and a synthetic
# 1500x1000x80000 set minus 10% (seeds 1-3); u1.test and the synthetic test set are never read
# by the choice. Prints each setting's validation RMSE and MAE averaged over the three
# carve-outs, per dataset, and the setting whose worse excess over each dataset's best RMSE is
# smallest (the rule behind the defaults: docs/experiments.md, "The bias baseline").
#
# usage: bench/baseline_reg.sh ML100K_DIR     (about 2 minutes on 2 cores)
set -euo pipefail
if [ "$#" -ne 1 ]; then
    echo "usage: $0 ML100K_DIR   (the ml-100k directory with u1.base / u1.test)" >&2
    exit 2
fi
dir=$1
repo_root=$(cd "$(dirname "$0")/.." && pwd)
source "$repo_root/bench/find_autorec.sh"
[ -f "$dir/u1.base" ] || { echo "$0: $dir/u1.base: no such file" >&2; exit 2; }
items=${BASELINE_REG_ITEMS:-"0 1 2 3 4 5 7 10 25"}
users=${BASELINE_REG_USERS:-"0 2 3 5 7 10 15"}
sweeps=${BASELINE_SWEEPS:-"1 5 10 20"}
table=$(mktemp)
trap 'rm -f "$table"' EXIT

grid() { # NAME DATA_OPTIONS...: "NAME ITEM USER SWEEPS VALID_RMSE VALID_MAE" per run
    local name=$1 s ri ru sw
    shift
    for s in 1 2 3; do for ri in $items; do for ru in $users; do for sw in $sweeps; do
        "$bin" data "$@" --split-seed "$s" --valid-ratio 0.1 --baseline-reg-item "$ri" \
            --baseline-reg-user "$ru" --baseline-sweeps "$sw" --json |
            sed -n 's/.*"bias":{[^}]*"valid_rmse":\([^,]*\),"valid_mae":\([^,]*\),.*/\1 \2/p' |
            sed "s/^/$name $ri $ru $sw /"
    done; done; done; done
}
{
    grid ml-100k --train "$dir/u1.base" --test "$dir/u1.test"
    grid synthetic --synthetic 1500x1000x80000 --seed 7
} | awk '
    { k = $2 " " $3 " " $4; r[$1, k] += $5 / 3; a[$1, k] += $6 / 3; keys[k]; sets[$1] }
    END {
        for (d in sets) { best[d] = 1e9; for (k in keys) if (r[d, k] < best[d]) best[d] = r[d, k] }
        for (k in keys) {
            split(k, f, " "); w = 0
            for (d in sets) if (r[d, k] - best[d] > w) w = r[d, k] - best[d]
            printf "%-9s %-8s %-6s  %.5f / %.5f      %.5f / %.5f      %.5f\n", f[1], f[2], f[3],
                   r["ml-100k", k], a["ml-100k", k], r["synthetic", k], a["synthetic", k], w
        }
    }' > "$table"
printf "%-9s %-8s %-6s  %-21s %-21s %s\n" reg_item reg_user sweeps "ml-100k RMSE / MAE" \
       "synthetic RMSE / MAE" "worse excess"
sort -k10,10g -k4,4g "$table"   # the chosen setting first
