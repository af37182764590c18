#!/usr/bin/env bash
# test_seed_protocols.sh AUTOREC SOURCE_DIR - bench/seed_protocols.py reads model files as the
# engine writes them and scores what the engine scores: its `correct` protocol agrees with
# `autorec eval` within 1e-4 (the script checks it with --autorec) on an I-AutoRec model (the
# d2l preset) and on a U-AutoRec stack of three hidden layers, with test pairs whose user or
# item has no training rating; a damaged model file is refused. Skipped (exit 77) without a
# python3 that has numpy.
set -euo pipefail
bin=$1
src=$2
py=
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import numpy' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "test_seed_protocols.sh: no python3 with numpy: skipped"; exit 77; }
tmp=$(mktemp -d /tmp/autorec-test-seed-protocols-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_seed_protocols.sh: $*" >&2; exit 1; }

"$bin" synth --out "$tmp/all.data" --users 90 --items 70 --ratings 2500 --seed 5 2>/dev/null
awk 'NR % 5 == 0' "$tmp/all.data" >"$tmp/test.data"
awk 'NR % 5 != 0' "$tmp/all.data" >"$tmp/train.data"
printf '9001\t1\t4\t0\n1\t9002\t2\t0\n' >>"$tmp/test.data" # an unseen user, an unseen item

check() { # NAME TRAIN-FLAGS...
    local name=$1; shift
    "$bin" train --train "$tmp/train.data" --test "$tmp/test.data" --save "$tmp/$name.bin" \
        --quiet --center none "$@" >/dev/null || fail "$name: train failed" # the seed's model
    "$py" "$src/bench/seed_protocols.py" --model "$tmp/$name.bin" --test "$tmp/test.data" \
        --autorec "$bin" >"$tmp/$name.out" 2>"$tmp/$name.err" ||
        fail "$name: $(cat "$tmp/$name.err")"
    grep -q '"n_test_cold": 2' "$tmp/$name.out" || fail "$name: cold pairs: $(tail -n 1 "$tmp/$name.out")"
}
check item --preset d2l --hidden 16 --epochs 4
check user --model user --hidden 8,6,8 --activation tanh --out-activation identity --epochs 3

# the leak changes the figure: the test vector is not the training vector
json=$(tail -n 1 "$tmp/item.out")
num() { grep -o "\"$1\": [-0-9.eE+]*" <<<"$json" | cut -d' ' -f2; }
[ "$(num correct)" != "$(num test_input)" ] || fail "test_input equals correct: $json"

# one byte changed in the weights: the SHA-256 no longer matches
cp "$tmp/item.bin" "$tmp/bad.bin"
size=$(stat -c %s "$tmp/bad.bin")
printf '\x7f' | dd of="$tmp/bad.bin" bs=1 seek=$((size - 40)) conv=notrunc 2>/dev/null
if "$py" "$src/bench/seed_protocols.py" --model "$tmp/bad.bin" --test "$tmp/test.data" \
    >/dev/null 2>"$tmp/bad.err"; then fail "a damaged model file was read"; fi
grep -q "SHA-256" "$tmp/bad.err" || fail "damaged file: $(cat "$tmp/bad.err")"
echo "test_seed_protocols.sh: ok"
