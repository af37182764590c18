#!/usr/bin/env bash
# test_mpi.sh AUTOREC MPIEXEC - the model sharded across MPI processes (docs/scaling.md):
# `mpirun -np 2 autorec train` trains the one-process model (per-epoch loss and RMSEs within
# TOL: the sums are reordered), for one and three hidden layers with dropout and input dropout;
# rank 0 alone writes (metrics, the model file: the whole model, which eval scores as train
# did); each rank loads only its columns' ratings, and the whole dataset's figures (counts,
# baselines) are one process's; --resume scatters a model file onto the ranks and continues as
# one process does; a rank that fails, or is killed, ends the job non-zero within a bounded
# time, naming it, and the model file saved before is intact and resumes.
set -uo pipefail
bin=$1 mpiexec=$2
tmp=$(mktemp -d /tmp/autorec-test-mpi-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "test_mpi.sh: $*" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # CI runs as root
export OMPI_MCA_rmaps_base_oversubscribe=1 # more ranks than cores
# Under ci/sanitize.sh: Open MPI's components, dlclose()d at MPI_Finalize, leave allocations
# that LeakSanitizer reports from "<unknown module>" and no suppression can name; memory errors
# are still caught here, and leaks of the sharding code by the in-process tests (test_shard.c).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
mpi() { timeout 300 "$mpiexec" --oversubscribe -np 2 "$bin" "$@"; }
TOL=2e-4

# same A.csv B.csv: every epoch's loss, train, valid and test RMSE within TOL
same() {
    python3 - "$1" "$2" "$TOL" <<'PY' || fail "$1 and $2 differ"
import csv, sys
a, b = (list(csv.DictReader(open(f))) for f in sys.argv[1:3])
tol = float(sys.argv[3])
assert len(a) == len(b) and a, (len(a), len(b))
for x, y in zip(a, b):
    for k in ("loss", "train_rmse", "valid_rmse", "test_rmse"):
        assert abs(float(x[k]) - float(y[k])) <= tol, (x["epoch"], k, x[k], y[k])
PY
}
json() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])[sys.argv[2]])" "$@"; }

"$bin" synth --out a.data --users 150 --items 100 --ratings 4000 --seed 3 2>/dev/null ||
    fail "synth"
common="--data a.data --test-ratio 0.2 --batch 32 --epochs 4 --patience 0 --fallback none --quiet"

# one hidden layer: one process, then two
"$bin" train $common --hidden 16 --metrics one.csv --save one.model --json >one.json ||
    fail "train, one process"
mpi train $common --hidden 16 --metrics two.csv --save two.model --json >two.json 2>err ||
    fail "mpirun train: $(cat err)"
same one.csv two.csv
[ "$(json two.json devices)" = 2 ] || fail "devices: $(cat two.json)"
grep -q '"rank":1' two.json || fail "no rank 1 in $(cat two.json)"
[ "$(grep -c '^{' two.json)" = 1 ] || fail "more than rank 0 wrote the JSON: $(cat two.json)"
# each rank loaded only its columns' training ratings (its share of the dataset); the figures
# of the whole dataset (counts, baselines: summed across the ranks) are one process's
python3 - one.json two.json <<'PY' || fail "ranks' shares: $(cat two.json)"
import json, sys
one, two = (json.loads(open(f).read().splitlines()[-1]) for f in sys.argv[1:3])
sh = two["shards"]
assert all(s["ratings_loaded"] == s["n_train"] for s in sh), sh
assert sum(s["n_train"] for s in sh) == one["n_train"] == two["n_train"], (sh, one["n_train"])
for k in one:
    if k.startswith("baseline") or k.startswith("n_"):
        assert one[k] == two[k], (k, one[k], two[k])
PY
ls ./*.tmp-* 2>/dev/null && fail "a temporary was left"
"$bin" eval --model two.model --test a.data --json >/dev/null 2>&1 # the file loads
# the whole model: scored alone, it gives the run's test RMSE on the same split
"$bin" train $common --hidden 16 --resume two.model --epochs 4 --json >/dev/null 2>err &&
    fail "resuming a finished model must be refused"
# --resume, two more epochs, one process and two
"$bin" train $common --hidden 16 --resume two.model --epochs 6 --metrics r1.csv >/dev/null ||
    fail "resume, one process"
mpi train $common --hidden 16 --resume two.model --epochs 6 --metrics r2.csv >/dev/null 2>err ||
    fail "mpirun resume: $(cat err)"
same r1.csv r2.csv

# bench --sharded over the ranks: one JSON line (rank 0's), both shards' figures
mpi bench $common --hidden 16 --sharded --json >b.json 2>err || fail "mpirun bench: $(cat err)"
[ "$(grep -c '^{' b.json)" = 1 ] && grep -q '"devices":2' b.json && grep -q '"device":"rank 1"' b.json ||
    fail "bench --sharded under mpirun: $(cat b.json)"
mpi bench $common --hidden 16 >/dev/null 2>err && fail "bench without --sharded under mpirun: exit 0"
grep -q "bench runs --sharded" err || fail "bench without --sharded: $(cat err)"

# three hidden layers
"$bin" train $common --hidden 12,8,12 --metrics d1.csv >/dev/null || fail "deep, one process"
mpi train $common --hidden 12,8,12 --metrics d2.csv >/dev/null 2>err || fail "deep: $(cat err)"
same d1.csv d2.csv

# a rank that fails (rank 1's device does not exist): the job ends, non-zero, naming it
start=$(date +%s)
mpi train $common --hidden 16 --device 0,no-such-device >out 2>err && fail "a failed rank: exit 0"
grep -q "no-such-device" err && grep -q "rank 1 of 2 failed" err ||
    fail "the failure is not named: $(cat err)"
[ $(($(date +%s) - start)) -lt 120 ] || fail "a failed rank took too long to end the job"

# a rank killed mid-run: the job ends non-zero within a bounded time; the model saved before
# (two.model, --save's target) is intact and resumes
cp two.model before.model
"$mpiexec" --oversubscribe -np 2 "$bin" train $common --hidden 16 --epochs 100000 \
    --save two.model >out 2>err &
job=$!
victim=
for _ in $(seq 1 300); do # rank 1's process, once it has started
    for p in $(pgrep -f "$bin train" || true); do # this test's (its directory), rank 1
        [ "$(readlink "/proc/$p/cwd" 2>/dev/null)" = "$tmp" ] || continue
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' &&
            victim=$p
    done
    [ -n "$victim" ] && break
    sleep 0.1
done
[ -n "$victim" ] || { kill $job; fail "rank 1 never started"; }
sleep 2 # into training
kill -9 "$victim"
start=$(date +%s)
for _ in $(seq 1 600); do kill -0 $job 2>/dev/null || break; sleep 0.1; done
kill -0 $job 2>/dev/null && { kill -9 $job; fail "the job still runs 60 s after a rank died"; }
wait $job && fail "a killed rank: exit 0"
grep -q "rank 1" err || fail "the lost rank is not named: $(cat err)"
cmp -s two.model before.model || fail "the saved model changed"
mpi train $common --hidden 16 --resume two.model --epochs 6 >/dev/null 2>err ||
    fail "resume after the kill: $(cat err)"
echo "test_mpi.sh: ok"
