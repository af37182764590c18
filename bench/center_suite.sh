#!/usr/bin/env bash
# center_suite.sh - measures --center none|bias|input (docs/experiments.md, "Centering on the
# bias baseline") on the datasets of bench/defaults_suite.sh: ML-100K u1 (I- and U-AutoRec) and a
# random 90/10 split of u.data (needs AUTOREC_DATA), and four `autorec synth` shapes. Every run
# uses train's validation split (the default --valid-ratio 0.1, patience 20, the best-validation
# epoch kept) and the same settings, SETTINGS (default below); the choice between the modes is
# to be made on the validation column, the test column is reported next to it.
#
# Environment: AUTOREC (the binary; default build/autorec), AUTOREC_DATA (ML-100K), OUT
# (default /tmp/autorec-center: data, logs, results.csv, table.md), JOBS (runs at once, default
# 2), MODES (default "none bias input"), ONLY (space-separated dataset names), SEED (--seed of
# every run: the splits, the validation carve-out and the weights; default 1).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${AUTOREC:-$here/build/autorec}
out=${OUT:-/tmp/autorec-center}
jobs=${JOBS:-2}
modes=${MODES:-none bias input}
settings="${SETTINGS:---l2 1e-3 --dropout 0.6 --input-dropout 0.2 --lr-decay 0.98} --seed ${SEED:-1}"
[ -x "$bin" ] || { echo "center_suite.sh: no binary at $bin (set AUTOREC)" >&2; exit 2; }
mkdir -p "$out/logs"

. "$here/bench/suite_data.sh"
suite_make_data

datasets=${ONLY:-$suite_sets}

run_one() { # DATASET MODE: one training run, its JSON line to logs/DATASET.MODE.json
    local d=$1 mode=$2 log=$out/logs/$1.$2.json
    [ -s "$log" ] && return 0
    local args
    args=$(data_args "$d")
    echo "autorec train $args $settings --center $mode --json" >&2
    # shellcheck disable=SC2086 # word splitting of the option strings is intended
    "$bin" train $args $settings --center "$mode" --json --quiet 2>/dev/null | tail -n 1 \
        > "$log.tmp" && mv "$log.tmp" "$log"
}
export -f run_one data_args
export bin out settings

# every run is independent: JOBS at a time
for mode in $modes; do
    for d in $datasets; do
        [ -n "$(data_args "$d")" ] && echo "$d $mode"
    done
done | xargs -P "$jobs" -L 1 bash -c 'run_one "$0" "$1"'

# the table: validation and test RMSE per dataset and mode, and the bias baseline's (train's
# JSON has it: baseline_valid_rmse, baseline_rmse, the same in every mode's line)
field() { grep -o "\"$2\":[^,}]*" "$1" | head -n 1 | cut -d: -f2; }
{
    echo "dataset,mode,best_valid_rmse,test_rmse,selected_epoch,baseline_valid_rmse,baseline_rmse"
    for d in $datasets; do for mode in $modes; do
        f=$out/logs/$d.$mode.json
        [ -s "$f" ] && echo "$d,$mode,$(field "$f" best_valid_rmse),$(field "$f" test_rmse),$(field "$f" selected_epoch),$(field "$f" baseline_valid_rmse),$(field "$f" baseline_rmse)"
    done; done
} > "$out/results.csv"
num() { [ -n "$1" ] && printf '%.4f' "$1" || printf -- '-'; }
{
    printf '| dataset | baseline valid | baseline test |'
    for mode in $modes; do printf ' %s valid | %s test |' "$mode" "$mode"; done; echo
    printf '|---|---:|---:|'; for mode in $modes; do printf -- '---:|---:|'; done; echo
    for d in $datasets; do
        any=$(ls "$out/logs/$d".*.json 2>/dev/null | head -n 1)
        [ -n "$any" ] || continue
        printf '| %s | %s | %s |' "$d" "$(num "$(field "$any" baseline_valid_rmse)")" \
            "$(num "$(field "$any" baseline_rmse)")"
        for mode in $modes; do
            f=$out/logs/$d.$mode.json
            if [ -s "$f" ]; then
                printf ' %s | %s |' "$(num "$(field "$f" best_valid_rmse)")" "$(num "$(field "$f" test_rmse)")"
            else printf ' - | - |'; fi
        done
        echo
    done
} > "$out/table.md"
cat "$out/table.md"
