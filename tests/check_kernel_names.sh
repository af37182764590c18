#!/usr/bin/env bash
# check_kernel_names.sh SOURCE_DIR - one kernel, one name stem in four places: every kernel
# `__kernel void ar_X` in cl/ has its launcher `ark_X` (host/core/kernels.c), its CPU reference
# `ar_X_ref` (tests/ref/) and its test `Test(suite, X)` (tests/test_*.c). Fails naming what is
# missing, so that a new kernel cannot land without the other three.
set -euo pipefail
src=${1:?usage: check_kernel_names.sh SOURCE_DIR}
missing=0
stems=$(sed -n 's/.*__kernel void ar_\([a-z0-9_]*\)(.*/\1/p' "$src"/cl/*.cl)
[ -n "$stems" ] || { echo "no kernels found in $src/cl"; exit 1; }
for x in $stems; do
    grep -q "ar_status ark_${x}(" "$src/host/core/kernels.c" ||
        { echo "kernel ar_$x: no launcher ark_$x in host/core/kernels.c"; missing=1; }
    grep -q "^[a-z].* ar_${x}_ref(" "$src"/tests/ref/*.c ||
        { echo "kernel ar_$x: no reference ar_${x}_ref in tests/ref/"; missing=1; }
    grep -q "^Test([a-z_]*, ${x}\b" "$src"/tests/test_*.c ||
        { echo "kernel ar_$x: no test Test(suite, $x) in tests/"; missing=1; }
done
[ $missing -eq 0 ] && echo "every kernel ($(echo $stems | wc -w)) has its launcher, reference and test"
exit $missing
