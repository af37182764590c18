# find_autorec.sh - sourced by the bench/ scripts: sets `bin` to the autorec binary to run:
# $AUTOREC_BIN, else this checkout's build/autorec, else autorec on PATH; exits 2 if none.
# Needs `repo_root` (the checkout) set by the caller.
if [ -n "${AUTOREC_BIN:-}" ]; then
    bin=$AUTOREC_BIN
    if [ ! -x "$bin" ]; then
        echo "$0: AUTOREC_BIN=$bin is not an executable file" >&2
        exit 2
    fi
elif [ -x "$repo_root/build/autorec" ]; then
    bin=$repo_root/build/autorec
elif command -v autorec >/dev/null 2>&1; then
    bin=$(command -v autorec)
else
    echo "$0: no autorec binary: set AUTOREC_BIN, build ./build/autorec, or put autorec on PATH" >&2
    exit 2
fi
