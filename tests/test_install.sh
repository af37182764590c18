#!/usr/bin/env bash
# test_install.sh BUILD_DIR SOURCE_DIR - installs the build into a temporary prefix, then builds
# examples/quickstart.c against the installed copy twice (CMake find_package(autorec) and
# pkg-config) and runs both: the library, header, CMake package and .pc file must be usable
# from outside the source tree.
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d /tmp/autorec-test-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/include/autorec.h"
test -x "$tmp/prefix/bin/autorec"
cmake -S "$src/examples" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
pc=$(dirname "$(find "$tmp/prefix" -name autorec.pc)")
# shellcheck disable=SC2046
cc -std=c11 "$src/examples/quickstart.c" $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs autorec) \
    -o "$tmp/quickstart-pc"
for exe in "$tmp/cmake-build/quickstart" "$tmp/quickstart-pc"; do
    out=$("$exe")
    echo "$out" | tail -3
    echo "$out" | grep -q "^recommended to user" ||
        { echo "test_install.sh: $exe: no recommendation after save and load"; exit 1; }
    # trained: the kept model's test RMSE beats the mean-rating baseline
    last=$(echo "$out" | grep '^stopped after epoch' | tail -1 | sed 's/.*test RMSE //')
    base=$(echo "$out" | grep baseline | sed 's/.*test RMSE //')
    awk -v a="$last" -v b="$base" 'BEGIN { exit !(a < b) }' ||
        { echo "test_install.sh: $exe: test RMSE $last does not beat the baseline $base"; exit 1; }
done
echo "test_install.sh: installed copy works with CMake and pkg-config"
