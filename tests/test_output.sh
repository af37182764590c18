#!/usr/bin/env bash
# test_output.sh AUTOREC - what the tool writes never destroys a file (docs/guide.md, "Output
# files"): an output that is a file the command reads (also through a link, a hard link, or found
# in a dataset directory) or another output is refused, as is one that is not a regular file (a
# FIFO, a directory); a link is written through; a run that fails (unknown device, bad data)
# leaves every existing file as it was; --metrics goes to a temporary that `tail -f` can follow
# and is published at the end; a dead writer's temporaries are removed and a live one's kept; a
# HOME that does not exist is never created; a full stdout exits 2.
set -uo pipefail
bin=$1
tmp=$(mktemp -d /tmp/autorec-test-output-XXXXXX)
bg=
trap '[ -n "$bg" ] && kill "$bg" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "test_output.sh: $*" >&2; exit 1; }

# run RC ARGS...: `autorec ARGS` must exit RC; its stderr is in err
run() {
    local want=$1
    shift
    "$bin" "$@" >out 2>err
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "autorec $*: exit $rc, not $want: $(cat err)"
}
# says TEXT...: err is one line holding every TEXT
says() {
    [ "$(wc -l <err)" -eq 1 ] || fail "not one line: $(cat err)"
    for t in "$@"; do grep -qF -- "$t" err || fail "'$t' not in: $(cat err)"; done
}
same() { cmp -s "$1" "$2" || fail "$1 was changed"; }
no_temporaries() {
    local left
    left=$(find . -name '*.tmp*' | head -n 3)
    [ -z "$left" ] || fail "$1: temporaries left: $left"
}
tiny="--hidden 4 --epochs 2 --quiet"

"$bin" synth --out r.data --users 60 --items 40 --ratings 600 --seed 3 2>/dev/null || fail synth
cp r.data r.orig
mkdir d && cp r.data d/u.data && printf '1|One (1990)|x\n2|Two (1991)|x\n' >d/u.item
cp d/u.item item.orig
head -n 500 r.data >tr.data && tail -n 100 r.data >te.data && cp te.data te.orig

# ---- an output that is an input, or another output, is refused (exit 2, both paths named) ----
for opt in --metrics --plot --save; do
    run 2 train --data r.data $opt r.data $tiny
    says "$opt" "refusing to write 'r.data'" "same file as 'r.data'"
    same r.data r.orig
done
ln -s r.data link.data && ln r.data hard.data
run 2 train --data r.data --save link.data $tiny
says "refusing to write 'link.data'" "'r.data'"
run 2 train --data r.data --metrics hard.data $tiny
says "refusing to write 'hard.data'"
run 2 train --train tr.data --test te.data --plot te.data $tiny
says "--plot" "'te.data'"
same te.data te.orig
run 2 train --data d --save d/u.data $tiny             # the ratings file found in the directory
says "--save" "'d/u.data'"
run 2 train --data d --plot d/u.item $tiny             # the titles next to it
says "--plot" "'d/u.item'"
same d/u.item item.orig
run 0 train --data r.data --save m.bin $tiny
cp m.bin m.orig
run 2 train --data r.data --resume m.bin --epochs 3 --save m.bin --quiet
says "--save" "'m.bin'"
same m.bin m.orig
run 2 sweep --data r.data --param hidden --values 2 --epochs 1 --quiet --out r.data
says "--out" "'r.data'"
run 2 tune --train tr.data --test te.data --trials 1 --min-epochs 1 --epochs 1 --quiet \
    --out te.data                                      # the test file it never reads
says "--out" "'te.data'"
same te.data te.orig
echo "epochs = 1" >c.conf && cp c.conf c.orig
run 2 train --data r.data --config c.conf --save c.conf --quiet   # the settings file it reads
says "--save" "'c.conf'"
same c.conf c.orig
mkdir s && cp tr.data s/train.tsv && cp s/train.tsv s.orig
run 2 data --train s/train.tsv --test te.data --write-splits s
says "--write-splits" "'s/train.tsv'"
same s/train.tsv s.orig
run 2 train --data r.data --metrics "" $tiny
says "--metrics" "an empty file name"
run 2 train --data r.data --metrics x.csv --plot x.csv $tiny
says "--plot" "another output"
[ ! -e x.csv ] || fail "x.csv was created"
same r.data r.orig
no_temporaries "refusals"

# ---- a target that is not a regular file is refused, never replaced --------------------------
mkfifo fifo && mkdir dir
for opt in --metrics --plot --save; do
    run 2 train --data r.data $opt fifo $tiny
    says "$opt" "'fifo'" "a FIFO"
    run 2 train --data r.data $opt dir $tiny
    says "$opt" "'dir'" "a directory"
done
run 2 synth --out fifo --users 10 --items 10 --ratings 20
says "--out" "a FIFO"
mkdir -p t/train.tsv
run 2 data --data r.data --write-splits t
says "'t/train.tsv'" "a directory"
[ -p fifo ] && [ -d dir ] && [ -d t/train.tsv ] || fail "a FIFO or a directory was replaced"
no_temporaries "non-regular targets"

# ---- a link is written through: the target is replaced, the link stays ------------------------
mkdir other && echo old >other/target.bin && ln -s other/target.bin model.lnk
ln -s other/new.csv metrics.lnk                     # dangling: the target is created
run 0 train --data r.data --save model.lnk --metrics metrics.lnk $tiny
[ -L model.lnk ] && [ -L metrics.lnk ] || fail "a link was replaced"
[ "$(head -c 7 other/target.bin)" = ARMODEL ] || fail "the link's target was not written"
grep -q '^epoch,' other/new.csv || fail "the dangling link's target was not created"
echo "1 1" >pairs.txt
run 0 predict --model model.lnk --pairs pairs.txt
ln -s ../r.data other/r.lnk
run 2 train --data r.data --plot other/r.lnk $tiny   # relative link to an input
says "refusing to write 'other/r.lnk'"
no_temporaries "links"

# ---- a failing run leaves every existing file as it was ---------------------------------------
for f in m.csv p.svg s.bin; do echo "old $f" >$f && cp $f $f.orig; done
outs="--metrics m.csv --plot p.svg --save s.bin"
run 2 train --data r.data $outs $tiny --device no-such-device
printf 'x y z\n' >bad.data
run 2 train --data bad.data $outs $tiny
run 2 sweep --data bad.data --param hidden --values 2 --out m.csv --plot p.svg --quiet
for f in m.csv p.svg s.bin; do same $f $f.orig; done
no_temporaries "failed runs"

# ---- --metrics: rows in a temporary while the run goes on, published at the end ---------------
"$bin" synth --out big.data --users 1500 --items 800 --ratings 60000 --seed 4 2>/dev/null
"$bin" train --data big.data --hidden 32 --epochs 400 --lr-decay 1 --valid-ratio 0 \
    --metrics m.csv >/dev/null 2>run.err &
bg=$!
seen=0
for _ in $(seq 1 600); do
    t=$(find . -name 'm.csv.tmp-*' | head -n 1)
    if [ -n "$t" ] && [ "$(wc -l <"$t")" -ge 3 ]; then seen=1 && break; fi
    sleep 0.05
done
[ $seen -eq 1 ] || fail "no metrics temporary with rows while the run went on: $(cat run.err)"
same m.csv m.csv.orig                               # not yet published
grep -qF "metrics: ${t#./} (renamed to m.csv" run.err || fail "the temporary is not named: $t"
wait $bg || fail "the run failed: $(cat run.err)"
bg=
[ "$(wc -l <m.csv)" -eq 401 ] || fail "m.csv: not a header and 400 rows"
no_temporaries "metrics"

# ---- temporaries: a dead writer's are removed by the next run, a live one's kept --------------
sh -c 'exit 0' &
dead=$!
wait $dead
sleep 1000 &
live=$!
for t in m.bin p.svg m.csv y.data s/test.tsv; do
    mkdir -p "$(dirname $t)"
    echo x >"$t.tmp-$dead-abcdef" && echo x >"$t.tmp-$live-abcdef"
done
run 0 train --data r.data --save m.bin --plot p.svg --metrics m.csv $tiny
run 0 synth --out y.data --users 10 --items 10 --ratings 20
run 0 data --data r.data --write-splits s
kill $live
left=$(find . -name "*.tmp-$dead-*")
[ -z "$left" ] || fail "dead temporaries left: $left"
[ "$(find . -name "*.tmp-$live-*" | wc -l)" -eq 5 ] || fail "a live writer's temporary was removed"
find . -name "*.tmp-$live-*" -delete

# ---- downloads never create a missing home; a full stdout is an output error (exit 2) --------
env -u XDG_CACHE_HOME -u AUTOREC_DATA HOME="$tmp/no-home" AUTOREC_MIRROR=file:///nowhere \
    "$bin" data --dataset ml-100k >out 2>err
rc=$?
[ $rc -eq 2 ] || fail "--dataset with a missing home: exit $rc, not 2: $(cat err)"
says "cannot be created" "$tmp/no-home" "XDG_CACHE_HOME" "AUTOREC_DATA"
[ ! -e no-home ] || fail "the missing home was created"
if [ -w /dev/full ]; then
    "$bin" data --data r.data >/dev/full 2>err
    rc=$?
    [ $rc -eq 2 ] || fail "stdout on a full device: exit $rc, not 2"
    says "cannot write the output"
fi
echo "test_output.sh: refusals, links, failed runs, metrics, temporaries, home: all as documented"
