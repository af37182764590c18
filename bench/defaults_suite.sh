#!/usr/bin/env bash
# defaults_suite.sh [candidates|report|all] - how autorec's default settings are chosen and
# checked (docs/experiments.md#defaults), over datasets of different shapes:
#
#   ml100k-u1-item  MovieLens 100K u1.base / u1.test, I-AutoRec       (needs AUTOREC_DATA)
#   ml100k-u1-user  the same, U-AutoRec                                (needs AUTOREC_DATA)
#   ml100k-random   MovieLens 100K u.data, a seeded random 90/10 split (needs AUTOREC_DATA)
#   latest-small    synth 610 users x 9,700 items x 100K, half stars, skew 1.2 (1.7%: the shape
#                   of MovieLens' latest-small, few users and many items)
#   filmtrust       synth 1,500 x 2,000 x 35K on 0.5..4 by halves (1.2%)
#   sparse          synth 8,000 x 5,000 x 200K (0.5%)
#   dense           synth 1,000 x 1,500 x 90K, skew 0.5 (6%)
#   ml-1m           synth 6,040 x 3,706 x 1M (4.5%; 'report' only, or CANDIDATES_ML1M=1)
#   *-mnar          the five synthetic shapes again, missing not at random with MovieLens-like
#                   noise (`synth --mnar 2 --noise 0.7`; bench/suite_data.sh says why)
#
#   candidates  trains every candidate setting (CANDIDATES, one per line; default: the file
#               bench/defaults_candidates.txt) on every dataset with train's validation split
#               and writes candidates.csv: dataset, settings, best validation RMSE, selected
#               epoch. It ranks the settings by their mean relative validation regret (RMSE
#               over the dataset's best, minus 1) and prints the ranking. Test figures are
#               never looked at: the choice is made on validation only.
#   defaults    the default run alone on every dataset (report's first column, no tune):
#               defaults.csv with the test RMSE, the centering --center auto kept, both
#               centering runs' validation RMSEs, whether --lighter try kept the lighter run
#               (and both sides' validation RMSEs, the l2 and dropout kept), whether --tanh try
#               kept the tanh run (its validation RMSE, the activation and lr kept), and the
#               epochs run.
#   report      for every dataset: train with the defaults (no settings at all), the bias
#               baseline (baseline_rmse in the same JSON line), and `autorec tune` (TUNE_ARGS,
#               default --trials 27) followed by `train --config` with what it found; writes
#               report.md, the table of docs/experiments.md#defaults (test RMSE).
#
# Environment: AUTOREC (the binary; default build/autorec), AUTOREC_DATA (ML-100K; its rows
# are skipped without it), OUT (default /tmp/autorec-defaults: data, logs, CSV, table),
# SEED (split and training seed, default 1), ONLY (space-separated dataset names).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${AUTOREC:-$here/build/autorec}
out=${OUT:-/tmp/autorec-defaults}
seed=${SEED:-1}
what=${1:-all}
case $what in candidates|report|defaults|all) ;; *)
    echo "usage: defaults_suite.sh [candidates|report|defaults|all]" >&2; exit 2 ;;
esac
mkdir -p "$out/logs"
[ -x "$bin" ] || { echo "defaults_suite.sh: no binary at $bin (set AUTOREC)" >&2; exit 2; }

# ---- the datasets (shared with center_suite.sh) ------------------------------------------------
. "$here/bench/suite_data.sh"
suite_make_data ml-1m
sets=${ONLY:-$suite_sets ml-1m ml-1m-mnar}

json_field() { # FIELD: from the JSON line on stdin
    sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" | tr -d '"'
}

# ---- candidates: the choice, on validation -------------------------------------------------------
run_candidates() {
    local list=${CANDIDATES:-$here/bench/defaults_candidates.txt} csv=$out/candidates.csv
    echo "dataset,settings,best_valid_rmse,selected_epoch,epochs,seconds" >"$csv"
    while IFS= read -r cfg; do
        case $cfg in ''|'#'*) continue ;; esac
        for d in $sets; do
            case $d in ml-1m*) [ "${CANDIDATES_ML1M:-0}" = 1 ] || continue ;; esac
            args=$(data_args "$d") || true
            [ -n "$args" ] || continue
            # shellcheck disable=SC2086 # word splitting of the settings is the point
            # each candidate as given: train's lighter and tanh runs would change the settings
            # compared
            line=$("$bin" train $args --seed "$seed" --lighter off --tanh off $cfg --json --quiet |
                   tail -n 1)
            printf '%s,%s,%s,%s,%s,%s\n' "$d" "$cfg" "$(json_field best_valid_rmse <<<"$line")" \
                "$(json_field selected_epoch <<<"$line")" "$(json_field epochs <<<"$line")" \
                "$(json_field seconds <<<"$line")" | tee -a "$csv"
        done
    done <"$list"
    echo
    echo "settings ranked by mean relative validation regret ($csv):"
    awk -F, 'NR > 1 && $3 != "" {
                 v[$1 SUBSEP $2] = $3; cfg[$2] = 1
                 if (!($1 in best) || $3 < best[$1]) best[$1] = $3 }
             END { for (c in cfg) { s = 0; n = 0
                     for (d in best) if ((d SUBSEP c) in v) { s += v[d SUBSEP c] / best[d] - 1; n++ }
                     printf "%.4f %d %s\n", s / n, n, c } }' "$csv" | sort -n |
        awk '{ r = $1; n = $2; $1 = ""; $2 = ""; printf "  regret %.2f%% over %d sets:%s\n", 100 * r, n, $0 }'
}

# ---- report: the defaults against the bias baseline and tune's best, on the test split ----------
run_report() {
    local md=$out/report.md tune_args=${TUNE_ARGS:---trials 27}
    {
        echo "| dataset | users x items, ratings, density | default: test RMSE (epoch) | bias baseline | tune's best: test RMSE | default - tune |"
        echo "|---|---|---|---|---|---|"
    } >"$md"
    for d in $sets; do
        args=$(data_args "$d") || true
        [ -n "$args" ] || { echo "defaults_suite.sh: $d skipped (no AUTOREC_DATA)" >&2; continue; }
        # shellcheck disable=SC2086
        def=$("$bin" train $args --seed "$seed" --json --quiet | tail -n 1)
        echo "$def" >"$out/logs/$d.default.json"
        # shellcheck disable=SC2086
        "$bin" tune $args --seed "$seed" $tune_args --out "$out/$d.conf" --json --quiet \
            >"$out/logs/$d.tune.txt"
        # shellcheck disable=SC2086
        tuned=$("$bin" train $args --config "$out/$d.conf" --json --quiet | tail -n 1)
        echo "$tuned" >"$out/logs/$d.tuned.json"
        shape=$(printf '%s x %s, %s, %.2f%%' "$(json_field n_users <<<"$def")" \
            "$(json_field n_items <<<"$def")" \
            "$(( $(json_field n_train <<<"$def") + $(json_field n_valid <<<"$def") + $(json_field n_test <<<"$def") ))" \
            "$(awk -v u="$(json_field n_users <<<"$def")" -v i="$(json_field n_items <<<"$def")" \
                   -v n="$(( $(json_field n_train <<<"$def") + $(json_field n_valid <<<"$def") ))" \
                   'BEGIN { print 100 * n / (u * i) }')")
        t_def=$(json_field test_rmse <<<"$def") t_tune=$(json_field test_rmse <<<"$tuned")
        printf '| %s | %s | %.4f (%s) | %.4f | %.4f | %+.4f |\n' "$d" "$shape" "$t_def" \
            "$(json_field selected_epoch <<<"$def")" "$(json_field baseline_rmse <<<"$def")" \
            "$t_tune" "$(awk -v a="$t_def" -v b="$t_tune" 'BEGIN { print a - b }')" | tee -a "$md"
    done
    echo "table: $md"
}

# ---- defaults: the default run alone on every dataset (report's first column, without tune) ------
run_defaults() {
    local csv=$out/defaults.csv
    echo "dataset,test_rmse,center,auto_bias_valid_rmse,auto_input_valid_rmse,lighter,given_valid_rmse,lighter_valid_rmse,l2,dropout,tanh,tanh_valid_rmse,tanh_epochs_run,activation,lr,selected_epoch,kept,baseline_rmse,baseline_valid_rmse,epochs_run,seconds" >"$csv"
    for d in $sets; do
        args=$(data_args "$d") || true
        [ -n "$args" ] || { echo "defaults_suite.sh: $d skipped (no AUTOREC_DATA)" >&2; continue; }
        # shellcheck disable=SC2086
        def=$("$bin" train $args --seed "$seed" --json --quiet | tail -n 1)
        echo "$def" >"$out/logs/$d.default.json"
        line=$d
        for k in test_rmse center auto_bias_valid_rmse auto_input_valid_rmse lighter \
                 given_valid_rmse lighter_valid_rmse l2 dropout tanh tanh_valid_rmse \
                 tanh_epochs_run activation lr selected_epoch kept baseline_rmse \
                 baseline_valid_rmse epochs_run seconds; do
            line="$line,$(json_field "$k" <<<"$def")"
        done
        echo "$line" | tee -a "$csv"
    done
    echo "table: $csv"
}

case $what in
candidates) run_candidates ;;
report) run_report ;;
defaults) run_defaults ;;
all) run_candidates; run_report ;;
esac
