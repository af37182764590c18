#!/usr/bin/env bash
# test_faults_cl.sh AUTOREC_BIN - OpenCL fault injection (issue 15, item 5a), SQLite's way: for
# each scenario (a training run on the sparse path with a validation set and --save, the same on
# the dense path (CLBlast), and eval of a saved model), count the OpenCL and CLBlast calls that
# can fail (AUTOREC_FAULT=count), then rerun it once for every N = 1..count with the N-th call
# failing (AUTOREC_FAULT=cl:N, CL_OUT_OF_RESOURCES). Every such run must:
#   - exit 1 or 2 (never crash: under ci/sanitize.sh an ASan or LSan report aborts the process,
#     which shows here as another exit code, so leaks fail this test there);
#   - print exactly one line, "autorec: error: ...", naming the injected failure;
#   - leave no temporary file, and the model file (if any) absent or valid (eval reads it).
# N = count + 1 must succeed: the count is right and the hook fails nothing by itself.
set -uo pipefail
bin=${1:?usage: test_faults_cl.sh AUTOREC_BIN}
# shellcheck source=one_device.sh
source "$(dirname "$0")/one_device.sh" && tu_one_device "$bin"
work=$(mktemp -d /tmp/autorec-test-faults-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# tiny synthetic data, split into train / test files that share no pair
"$bin" synth --users 60 --items 40 --ratings 600 --seed 5 --out r.data 2>/dev/null &&
    "$bin" data --data r.data --test-ratio 0.2 --write-splits sp >/dev/null 2>&1 &&
    "$bin" train --train sp/train.tsv --test sp/test.tsv --epochs 2 --hidden 4 --quiet \
        --save good.bin >/dev/null 2>&1 || { echo "set-up failed"; exit 1; }

# The number of fallible OpenCL calls of a command line.
count() {
    AUTOREC_FAULT=count "$bin" "$@" 2>&1 >/dev/null | sed -n 's/.*fault counts: cl=\([0-9]*\).*/\1/p'
}

# Checks the run of "$@" with the n-th call failing.
check() {
    local n=$1; shift
    rm -f m.bin
    AUTOREC_FAULT=cl:$n "$bin" "$@" >out.txt 2>err.txt
    local rc=$? lines
    lines=$(wc -l <err.txt)
    if [ $rc -ne 1 ] && [ $rc -ne 2 ]; then
        fail "cl:$n $*: exit $rc"; head -5 err.txt; return
    fi
    if [ "$lines" -ne 1 ] || ! grep -q '^autorec: error: .*CL_OUT_OF_RESOURCES' err.txt; then
        fail "cl:$n $*: not one line naming the failure:"; head -3 err.txt; return
    fi
    if ls -a . sp | grep -q '\.tmp'; then fail "cl:$n $*: a temporary was left: $(ls -a)"; fi
    if [ -e m.bin ] && ! "$bin" eval --model m.bin --test sp/test.tsv >/dev/null 2>&1; then
        fail "cl:$n $*: m.bin was left and is not a valid model"
    fi
}

scenario() {
    local total
    total=$(count "$@")
    if [ -z "$total" ] || [ "$total" -lt 10 ]; then
        fail "$*: counted '${total:-nothing}' OpenCL calls"; return
    fi
    for n in $(seq 1 "$total"); do check "$n" "$@"; done
    AUTOREC_FAULT=cl:$((total + 1)) "$bin" "$@" >/dev/null 2>err.txt ||
        { fail "cl:$((total + 1)) $*: failed past the last call:"; head -3 err.txt; }
    echo "test_faults_cl: $total injected failures: $*"
}

train=(train --train sp/train.tsv --test sp/test.tsv --epochs 2 --hidden 4 --batch 64
       --valid-ratio 0.1 --quiet --save m.bin)
# the sparse run with the defaults' four runs (--center auto, then --lighter and --tanh try: their
# snapshots and restores get their failures too); the dense one with one run, bias, to keep
# the count of calls down
scenario "${train[@]}" --kernels sparse
scenario "${train[@]}" --kernels dense --center bias --lighter off --tanh off
scenario eval --model good.bin --test sp/test.tsv
[ $fails -eq 0 ] && echo "test_faults_cl: every injected failure ended cleanly"
exit $((fails > 0))
