#!/usr/bin/env bash
# bench/gpu_isa.py: the kernels compile for AMD (gfx906) and NVIDIA (sm_80) GPUs at a GPU's
# defaults and at the widest build-time parameters, with no register spilled and no helper left
# as a call; and the check itself fails where it must (a helper kept as a call, a kernel that
# does not compile, a wrong --amd-cpu, no kernels). Skipped (77) without clang-15 and libclc;
# without ptxas, AMD only.
# usage: test_gpu_isa.sh SOURCE_DIR KERNEL_SOURCE_TOOL
set -uo pipefail
src=$1 tool=$2
isa() { python3 "$src/bench/gpu_isa.py" --source-tool "$tool" "$@"; }
fail() { echo "test_gpu_isa: FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT

isa --check --params sp_width=32,spmm_width=64 > "$tmp/out" 2> "$tmp/err"
rc=$?
[ "$rc" -eq 77 ] && { cat "$tmp/err"; exit 77; }
cat "$tmp/out" "$tmp/err"
[ "$rc" -eq 0 ] || fail "the kernels as they are: exit $rc"
# every kernel of the program in both tables (the defaults, the widest), its registers counted
kernels=$(grep -c '^__kernel' <(cat "$src"/cl/*.cl))
rows=$(grep -cE '^\| ar_[a-z0-9_]+ \| [0-9]+ \|' "$tmp/out")
[ "$rows" -eq $((2 * kernels)) ] || fail "$rows rows with registers, expected 2 tables x $kernels kernels"

# a helper the kernels call, kept as a call: named, exit 1
mkdir "$tmp/cl" && cp "$src"/cl/* "$tmp/cl/"
sed -i 's/^static inline AR_ALWAYS_INLINE float8 ar_activate8(/static __attribute__((noinline)) float8 ar_activate8(/' "$tmp/cl/common.cl"
grep -q 'noinline' "$tmp/cl/common.cl" || fail "ar_activate8's declaration not found"
AUTOREC_CL_DIR=$tmp/cl isa --check > "$tmp/out" 2> "$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "a helper kept as a call: exit $rc, expected 1"
grep -qE 'amd, params "GPU defaults": ar_sp_spmm uses [0-9]+ bytes of scratch, [1-9]' "$tmp/err" ||
    fail "the call in ar_sp_spmm not named for AMD: $(cat "$tmp/err")"
grep -q 'nvidia left out' "$tmp/err" ||
    grep -qE 'nvidia, params "GPU defaults": ar_sp_spmm spills [0-9]+ bytes, [1-9]' "$tmp/err" ||
    fail "the call in ar_sp_spmm not named for NVIDIA: $(cat "$tmp/err")"

# a kernel that does not compile: named, exit 1
cp "$src"/cl/common.cl "$tmp/cl/common.cl"
echo '__kernel void ar_broken(__global float *p) { p[0] = undefined_name; }' >> "$tmp/cl/common.cl"
AUTOREC_CL_DIR=$tmp/cl isa --check --targets amd > "$tmp/out" 2> "$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "a kernel that does not compile: exit $rc, expected 1"
grep -q 'does not compile.*undefined_name' "$tmp/err" || fail "the error not named: $(cat "$tmp/err")"

# wrong options: one line naming the option, exit 2, before anything is compiled
isa --targets amd --amd-cpu gfx9999 > "$tmp/out" 2> "$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q -- '--amd-cpu gfx9999' "$tmp/err" ||
    fail "--amd-cpu gfx9999: exit $rc, $(cat "$tmp/err")"
# a program without kernels checks nothing: exit 1
isa --check --targets amd --source-tool /bin/true > "$tmp/out" 2> "$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && grep -q 'no kernel found' "$tmp/err" || fail "no kernels: exit $rc, $(cat "$tmp/err")"
# a reader gone (| true): no traceback (exit 1; 0 if the reader was slower than the writer)
isa --targets amd --source-tool /bin/true 2> "$tmp/err" | true
rc=${PIPESTATUS[0]}
[ "$rc" -le 1 ] && ! grep -q Traceback "$tmp/err" || fail "stdout closed: exit $rc, $(cat "$tmp/err")"
echo "test_gpu_isa: ok"
