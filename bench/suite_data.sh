# suite_data.sh - sourced by bench/defaults_suite.sh and bench/center_suite.sh: the datasets both
# measure on (docs/experiments.md#defaults-across-dataset-shapes), so that they stay the same.
# The sourcing script sets bin (the autorec binary) and out (its output folder: the synthetic
# files go to $out/data, written once).

# The datasets without ml-1m (minutes a run here: defaults_suite.sh's report adds it). The
# synthetic shapes come twice: drawn missing at random (the rated pairs independent of their
# ratings) and, named *-mnar, missing not at random with noise like MovieLens' (`synth --mnar 2
# --noise 0.7`: on the ML-100K shape that gives the bias baseline, the network's gain over it
# and the ranking of --center bias above input that MovieLens 100K shows; docs/experiments.md).
suite_sets="ml100k-u1-item ml100k-u1-user ml100k-random latest-small filmtrust sparse dense
            latest-small-mnar filmtrust-mnar sparse-mnar dense-mnar"
suite_mnar="--mnar 2 --noise 0.7"

suite_synth() { # NAME SYNTH-OPTIONS...: writes $out/data/NAME.data unless it is there
    local name=$1; shift
    [ -f "$out/data/$name.data" ] || "$bin" synth --out "$out/data/$name.data" "$@" 2>/dev/null
}

# Writes the synthetic sets; with the argument ml-1m, the ML-1M-sized one too.
suite_make_data() {
    mkdir -p "$out/data"
    suite_synth latest-small --users 610 --items 9700 --ratings 100000 --scale 0.5:5:0.5 \
        --skew 1.2 --seed 11
    suite_synth filmtrust --users 1500 --items 2000 --ratings 35000 --scale 0.5:4:0.5 --seed 12
    suite_synth sparse --users 8000 --items 5000 --ratings 200000 --seed 14
    suite_synth dense --users 1000 --items 1500 --ratings 90000 --skew 0.5 --seed 15
    # shellcheck disable=SC2086 # word splitting of the options is the point
    {
        suite_synth latest-small-mnar --users 610 --items 9700 --ratings 100000 \
            --scale 0.5:5:0.5 --skew 1.2 --seed 11 $suite_mnar
        suite_synth filmtrust-mnar --users 1500 --items 2000 --ratings 35000 --scale 0.5:4:0.5 \
            --seed 12 $suite_mnar
        suite_synth sparse-mnar --users 8000 --items 5000 --ratings 200000 --seed 14 $suite_mnar
        suite_synth dense-mnar --users 1000 --items 1500 --ratings 90000 --skew 0.5 --seed 15 \
            $suite_mnar
    }
    if [ "${1:-}" = ml-1m ]; then
        suite_synth ml-1m --preset ml-1m --seed 13
        # shellcheck disable=SC2086
        suite_synth ml-1m-mnar --preset ml-1m --seed 13 $suite_mnar
    fi
}

# data_args NAME: the data options of a dataset (nothing, and status 1: not available here, the
# MovieLens 100K ones without AUTOREC_DATA). Exported for the scripts' parallel runs.
data_args() {
    local ml=${AUTOREC_DATA:-}
    case $1 in
    ml100k-u1-item) [ -f "$ml/u1.base" ] && echo "--data $ml" ;;
    ml100k-u1-user) [ -f "$ml/u1.base" ] && echo "--data $ml --model user" ;;
    ml100k-random) [ -f "$ml/u.data" ] && echo "--data $ml/u.data --test-ratio 0.1" ;;
    *) echo "--data $out/data/$1.data --test-ratio 0.1" ;;
    esac
}
