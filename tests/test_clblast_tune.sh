#!/usr/bin/env bash
# test_clblast_tune.sh SOURCE_DIR - bench/clblast_tune.sh with fake tuners on PATH (no device, a
# few seconds): names are emitted as fnmatch(3) patterns that match only themselves ('[', '*',
# '?', '\' escaped; the patterns' matching is test_gemm_tune's); a name a database line cannot
# hold, a tuner that fails or leaves no JSON, exit 2 with the log's end on stderr; JSON files an
# earlier run left in CLBLAST_TUNE_DIR are not emitted. The cases run in parallel: each costs the
# script's 2 s poll.
set -uo pipefail
script=$1/bench/clblast_tune.sh
tmp=$(mktemp -d /tmp/autorec-test-clblast-tune-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_clblast_tune.sh: $*" >&2; exit 1; }

# The fake tuner: FAKE=ok writes a result for FAKE_PLATFORM / FAKE_DEVICE (JSON-escaped), FAKE=fail
# exits 3 after a line of log, FAKE=none exits 0 without a result.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/clblast_tuner_xgemm_direct" <<'TUNER'
#!/usr/bin/env bash
echo "fake tuner: $FAKE"
case $FAKE in
ok) printf '{"kernel_family": "xgemm_direct_1", "best_time": "1.5", "arg_m": 64, "arg_n": 64, "arg_k": 64, "best_kernel": "XgemmDirectTN", "platform_vendor": "%s", "device": "%s", "best_parameters": "KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=0 PADB=0 PRECISION=32 VWMD=2 VWND=2 WGD=16"}\n' \
        "$FAKE_PLATFORM" "$FAKE_DEVICE" >clblast_xgemm_direct_1_32.json ;;
fail) exit 3 ;;
esac
TUNER
chmod +x "$tmp/bin/clblast_tuner_xgemm_direct"

# start NAME [VAR=VALUE...] -- [DRIVER]: the script in the background, output in $tmp/NAME.*
start() {
    local name=$1 env=()
    shift
    while [ "$1" != -- ]; do env+=("$1"); shift; done
    shift
    mkdir -p "$tmp/$name"
    (env PATH="$tmp/bin:$PATH" CLBLAST_TUNE_KERNELS=xgemm_direct CLBLAST_TUNE_DIR="$tmp/$name" \
         FAKE_PLATFORM=P FAKE_DEVICE=D "${env[@]}" bash "$script" 0 0 "$@" \
         >"$tmp/$name.out" 2>"$tmp/$name.err"
     echo $? >"$tmp/$name.rc") &
}
# check NAME RC [TEXT...]: the run exited RC and its stdout and stderr hold every TEXT
check() {
    local name=$1 want=$2 rc
    shift 2
    rc=$(cat "$tmp/$name.rc")
    [ "$rc" = "$want" ] || fail "$name: exit $rc, not $want: $(cat "$tmp/$name.err")"
    for t in "$@"; do
        grep -qF -- "$t" "$tmp/$name.out" "$tmp/$name.err" ||
            fail "$name: '$t' not in: $(cat "$tmp/$name.out" "$tmp/$name.err")"
    done
}

# a result an earlier run left where the new one looks: never emitted
mkdir -p "$tmp/stale"
echo '{"kernel_family": "xgemm_1", "best_time": "1", "arg_m": 1, "arg_n": 1, "arg_k": 1, "best_kernel": "Xgemm", "platform_vendor": "P", "device": "D", "best_parameters": "KWG=16"}' \
    >"$tmp/stale/clblast_xgemm_1_32.json"
start escaped FAKE=ok 'FAKE_PLATFORM=A*B?C\\D' 'FAKE_DEVICE=Intel(R) UHD Graphics 620 [0x5917]' -- '3.1*'
start stale FAKE=ok --
start bar FAKE=ok 'FAKE_DEVICE=a|b' --
start failed FAKE=fail --
start none FAKE=none --
start driver FAKE=ok -- '3.1 # x'
wait

check escaped 0 'XgemmDirect | A[*]B[?]C\\D | Intel(R) UHD Graphics 620 [[]0x5917] | 3.1* | KWID=2 '
grep -q PRECISION "$tmp/escaped.out" && fail "PRECISION emitted: $(cat "$tmp/escaped.out")"
check stale 0 'XgemmDirect | P | D | * |'
grep -q '^Xgemm ' "$tmp/stale.out" && fail "a stale result emitted: $(cat "$tmp/stale.out")"
check bar 2 "holds '|', '#' or a newline"
check failed 2 'fake tuner: fail' 'exited with status 3'
check none 2 'fake tuner: none' 'left no result'
check driver 2 "DRIVER-PATTERN '3.1 # x' holds"
exit 0
