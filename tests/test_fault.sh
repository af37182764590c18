#!/usr/bin/env bash
# test_fault.sh AUTOREC write|kill - outputs under failure (docs/guide.md, "Output files").
#   write: every write and every fsync of every output (train --save / --metrics / --plot, data
#          --write-splits, synth --out, sweep --out / --plot, tune --out) fails in turn, with ENOSPC and
#          with EIO (AUTOREC_FAULT=write:N / fsync:N, N = 1..the count AUTOREC_FAULT=count
#          reports): each run exits 2 with one line naming the file, leaves no temporary, and
#          every file that was there before is byte-identical.
#   kill:  runs that write their model and metrics when they end (after a random number of
#          epochs) are killed with SIGKILL at random moments, before, while or after they
#          write: the model at the target is absent or valid (autorec predict reads it), the
#          metrics file is the old one or a whole new one, and the next run removes the dead
#          process's temporaries.
# Downloads under faults are checked by the fetch test (tests/test_fetch.c).
set -uo pipefail
bin=$1
# shellcheck source=one_device.sh
source "$(dirname "$0")/one_device.sh" && tu_one_device "$bin"
mode=$2
tmp=$(mktemp -d /tmp/autorec-test-fault-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "test_fault.sh: $*" >&2; exit 1; }

# Whether FILE is a model file autorec reads (predict verifies its checksum); err says why not.
valid_model() {
    echo "1 1" >pairs.txt && "$bin" predict --model "$1" --pairs pairs.txt >/dev/null 2>err
}

# Every target gets "old <name>" (and the splits their directory) before a run.
reset_targets() {
    for f in "$@"; do
        mkdir -p "$(dirname "$f")"
        echo "old $f" >"$f"
    done
}
# The targets still say "old <name>", and nothing named *.tmp* is left anywhere.
assert_untouched() {
    local what=$1
    shift
    for f in "$@"; do
        [ "$(cat "$f" 2>/dev/null)" = "old $f" ] || fail "$what: $f was changed"
    done
    left=$(find . -name '*.tmp*' | head -n 3)
    [ -z "$left" ] || fail "$what: temporaries left: $left"
}

# faults NAME TARGET... -- ARGS...: runs `autorec ARGS` once to count its writes and fsyncs, then
# fails each of them in turn with each errno. A model target that the run rewrites before its
# end (--valid-ratio) may be replaced by a valid model: VALID_OK=1 accepts that.
faults() {
    local name=$1 targets=() w s e kind n max rc reason
    shift
    while [ "$1" != -- ]; do targets+=("$1"); shift; done
    shift
    reset_targets "${targets[@]}"
    AUTOREC_FAULT=count "$bin" "$@" >/dev/null 2>err ||
        fail "$name: fails without faults: $(cat err)"
    w=$(sed -n 's/.*fault counts:.* write=\([0-9]*\).*/\1/p' err)
    s=$(sed -n 's/.*fault counts:.* fsync=\([0-9]*\).*/\1/p' err)
    [ "${w:-0}" -ge 1 ] && [ "${s:-0}" -ge 1 ] || fail "$name: no counts: $(cat err)"
    for e in ENOSPC EIO; do
        for kind in write fsync; do
            max=$([ $kind = write ] && echo "$w" || echo "$s")
            for ((n = 1; n <= max; n++)); do
                reset_targets "${targets[@]}"
                AUTOREC_FAULT=$kind:$n AUTOREC_FAULT_ERRNO=$e "$bin" "$@" >/dev/null 2>err
                rc=$?
                [ $rc -eq 2 ] || fail "$name, $kind:$n $e: exit $rc, not 2: $(cat err)"
                [ "$(wc -l <err)" -eq 1 ] || fail "$name, $kind:$n $e: not one line: $(cat err)"
                named=0
                for f in "${targets[@]}"; do grep -qF "'$f'" err && named=1; done
                [ $named -eq 1 ] || fail "$name, $kind:$n $e: names no target: $(cat err)"
                reason=$([ $e = ENOSPC ] && echo "No space left" || echo "Input/output error")
                grep -qF "$reason" err ||
                    fail "$name, $kind:$n $e: the reason is not given: $(cat err)"
                if [ "${VALID_OK:-0}" = 1 ] && [ "$(head -c 3 m.bin)" != old ]; then
                    valid_model m.bin ||
                        fail "$name, $kind:$n $e: m.bin neither the old file nor a valid model"
                    echo "old m.bin" >m.bin
                fi
                assert_untouched "$name, $kind:$n $e" "${targets[@]}"
            done
        done
    done
    echo "test_fault.sh: $name: $w writes and $s fsyncs, each failed with ENOSPC and EIO"
}

"$bin" synth --out r.data --users 60 --items 40 --ratings 600 --seed 5 2>/dev/null ||
    fail "synth failed"
case $mode in
write)
    faults train m.bin m.csv p.svg -- train --data r.data --hidden 4 --epochs 2 --quiet \
        --save m.bin --metrics m.csv --plot p.svg
    VALID_OK=1 faults train-valid m.bin m.csv -- train --data r.data --hidden 4 --epochs 3 \
        --quiet --valid-ratio 0.2 --lr 0.05 --save m.bin --metrics m.csv
    faults data s/train.tsv s/valid.tsv s/test.tsv -- data --data r.data --valid-ratio 0.2 \
        --write-splits s
    faults synth y.data -- synth --out y.data --users 50 --items 40 --ratings 500
    faults sweep w.csv w.svg -- sweep --data r.data --param hidden --values 2,3 --epochs 2 \
        --quiet --out w.csv --plot w.svg
    faults tune t.conf -- tune --data r.data --trials 3 --min-epochs 1 --epochs 2 --hidden 4 \
        --quiet --out t.conf
    ;;
kill)
    "$bin" synth --out k.data --users 400 --items 300 --ratings 20000 --seed 7 2>/dev/null ||
        fail "synth failed"
    hdr="epoch,loss,train_rmse,valid_rmse,test_rmse,epoch_seconds,eval_seconds,train_mae,valid_mae,test_mae,center,lighter,tanh"
    left=0 saving=0 ended=0
    for i in $(seq 1 15); do
        echo "old m.csv" >m.csv
        "$bin" train --data k.data --valid-ratio 0.2 --hidden 64 --epochs $((1 + RANDOM % 60)) \
            --lr-decay 1 --save m.bin --metrics m.csv --quiet >/dev/null 2>&1 &
        pid=$!
        ms=$((100 + RANDOM % 1200))
        sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
        kill -9 $pid 2>/dev/null
        { wait $pid; } 2>/dev/null
        rc=$?
        if [ "$(cat m.csv)" != "old m.csv" ]; then
            [ "$(head -n 1 m.csv)" = "$hdr" ] && [ "$(tail -c 1 m.csv | od -An -c | tr -d ' ')" = '\n' ] &&
                ! awk -F, 'NR > 1 && NF != 13' m.csv | grep -q . ||
                fail "kill $i: m.csv is neither the old file nor a whole new one"
        elif [ $rc -eq 0 ]; then
            fail "kill $i: the run ended well but did not publish m.csv"
        fi
        [ $rc -eq 0 ] && ended=$((ended + 1))
        if [ -e m.bin ]; then
            valid_model m.bin ||
                fail "kill $i: m.bin is not a valid model: $(cat err)"
        fi
        left=$((left + $(find . -name '*.tmp-*' | wc -l)))
        saving=$((saving + $(find . -name 'm.bin.tmp-*' | wc -l)))
    done
    # the next run removes what the dead processes left, and keeps a live process's
    sleep 1000 &
    live=$!
    echo x >"m.bin.tmp-$live-aaaaaa"
    "$bin" train --data k.data --valid-ratio 0.2 --hidden 4 --epochs 1 --save m.bin \
        --metrics m.csv --quiet >/dev/null 2>err ||
        fail "the run after the kills failed: $(cat err)"
    kill $live
    others=$(find . -name '*.tmp-*' ! -name "m.bin.tmp-$live-aaaaaa")
    [ -z "$others" ] || fail "dead processes' temporaries left: $others"
    [ -e "m.bin.tmp-$live-aaaaaa" ] || fail "a live process's temporary was removed"
    valid_model m.bin || fail "final m.bin: $(cat err)"
    echo "test_fault.sh: 15 runs, $ended of them ended before the kill; $left temporaries seen" \
        "after the kills ($saving of a model being saved), removed by later runs"
    ;;
*) fail "usage: test_fault.sh AUTOREC write|kill" ;;
esac
