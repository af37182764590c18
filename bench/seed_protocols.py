#!/usr/bin/env python3
"""seed_protocols.py - a saved model's test RMSE under the evaluation protocol autorec uses and
under the flawed ones the project's seed corrected (docs/seed.md), side by side.

    python3 bench/seed_protocols.py --model M.bin --test FILE [--autorec BIN] [--device SPEC]

The model file (host/model/checkpoint.c) holds the weights and the training ratings; FILE holds
the test ratings ('user item rating [timestamp]' lines, tab / space / ',' / '::' separated, as
autorec's own splits and MovieLens' u.data-style files are). The script rebuilds the model's
id maps (training ids sorted), runs the network in numpy (float64 over the stored float32
weights) and scores the test ratings seven ways:

  correct            autorec's protocol: the input is each row's TRAINING vector, predictions
                     are read at the test positions only, clamped to the rating scale; a pair
                     whose user or item has no training rating gets the scale's middle
  test_input         (b) the same, but the input is each row's TEST vector: the test ratings
                     leak into the prediction of themselves
  unmasked_entry     (a) the correct predictions scored at EVERY entry of the rows x columns
                     matrix, an unobserved entry counting as a rating of 0; per entry
  unmasked_rating    (a) the same sum of squares divided by the number of test ratings (d2l's
                     formula without its np.sign(test_data) mask)
  test_input_unmasked  (a) and (b) together, per entry
  train_test_input   the training and the test vector together as the input (the whole rating
                     matrix fed in, as when a model is applied to all the data it came from):
                     the leak in its plainest form, for comparison with test_input
  d2l_as_written     d2l's evaluator: the training vector as input, masked by the test
                     ratings, NOT clamped, and an item with no training rating predicted by
                     the network from an all-zero input (d2l's matrix has a row for every id)

With --autorec BIN it also runs `BIN eval --model M.bin --test FILE --json` and fails (exit 1)
unless `correct` agrees with eval's test_rmse within 1e-4: the script scores what the engine
scores. The last line of stdout is JSON. Engine-side, autorec never feeds test ratings as input
nor scores unobserved entries: these protocols exist only here, to measure them.
Needs python3 and numpy.
"""
import argparse
import hashlib
import json
import math
import struct
import subprocess
import sys

import numpy as np

MAGIC = b"ARMODEL\0"
BOM = 0x01020304
MAX_LAYERS = 8
SELU_LAMBDA, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772
ACTIVATIONS = ["identity", "sigmoid", "relu", "tanh", "elu", "selu"]  # ar_activation's order


def fail(msg):
    print(f"seed_protocols.py: {msg}", file=sys.stderr)
    sys.exit(1)


class Reader:
    """The payload's fields in order (native byte order: the file's BOM was checked)."""

    def __init__(self, data):
        self.data, self.off = data, 0

    def take(self, fmt, n=1):
        size = struct.calcsize(fmt) * n
        if self.off + size > len(self.data):
            fail("model file cut short")
        vals = struct.unpack_from(f"={n}{fmt}", self.data, self.off)
        self.off += size
        return vals if n > 1 else vals[0]

    def array(self, dtype, n):
        a = np.frombuffer(self.data, dtype=dtype, count=n, offset=self.off)
        self.off += a.nbytes
        return a


def read_model(path):
    """The configuration, rating scale, sizes, weights and training ratings of a model file
    (format versions 2 and 3, as checkpoint.c documents them)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != MAGIC:
        fail(f"{path}: not an autorec model file")
    version, bom, plen = struct.unpack_from("=IIQ", raw, 8)
    if bom != BOM or version not in (2, 3) or 24 + plen + 32 != len(raw):
        fail(f"{path}: unsupported or damaged model file (version {version})")
    payload = raw[24:24 + plen]
    if hashlib.sha256(payload).digest() != raw[24 + plen:]:
        fail(f"{path}: SHA-256 mismatch")
    r = Reader(payload)
    m = {}
    m["rows_are"], m["hidden"], _epochs, _batch = r.take("i", 4)
    r.take("f", 5)  # lr, lr_decay, l2, dropout, input_dropout: training only
    act, out_act = r.take("i", 2)
    if version >= 3:
        r.take("i")  # input noise: training only
    layers = r.take("i", 1 + MAX_LAYERS)
    r.take("Q")  # seed
    r.take("f", 3)  # Adam's beta1, beta2, eps
    m["lo"], m["hi"], m["default"] = r.take("f", 3)
    m["epochs_done"] = r.take("i")
    r.take("I")  # Adam steps
    m["rows"], m["cols"] = r.take("i", 2)
    n_params = r.take("Q")
    path_len = r.take("I")
    r.off += path_len  # the training file's path
    n = r.take("Q")
    m["users"] = r.array(np.int32, n)
    m["items"] = r.array(np.int32, n)
    m["ratings"] = r.array(np.float32, n).astype(np.float64)
    m["params"] = r.array(np.float32, n_params).astype(np.float64)
    m["act"], m["out_act"] = ACTIVATIONS[act], ACTIVATIONS[out_act]
    m["widths"] = list(layers[1:1 + layers[0]]) if layers[0] > 0 else [m["hidden"]]
    return m


def unpack_weights(m):
    """[(W, b)] per layer, W as (inputs, outputs) for x @ W (layout.c: every weight first, the
    first layer's stored (U, H), the others (out, in) row-major; then the biases)."""
    dims = [m["cols"]] + m["widths"] + [m["cols"]]
    p, off, ws = m["params"], 0, []
    for k in range(len(dims) - 1):
        size = dims[k] * dims[k + 1]
        w = p[off:off + size]
        ws.append(w.reshape(dims[k], dims[k + 1]) if k == 0 else w.reshape(dims[k + 1], dims[k]).T)
        off += size
    if off + sum(dims[1:]) != len(p):
        fail("the parameter count does not match the hidden sizes")
    layers = []
    for k, w in enumerate(ws):
        layers.append((w, p[off:off + dims[k + 1]]))
        off += dims[k + 1]
    return layers


def activate(name, x):
    if name == "identity":
        return x
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * x))  # the stable sigmoid, in closed form
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "tanh":
        return np.tanh(x)
    neg = np.expm1(np.minimum(x, 0.0))
    if name == "elu":
        return np.where(x > 0, x, neg)
    return SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * neg)  # selu


def forward(m, layers, x):
    """The network on input rows x (B, cols), without dropout (as at evaluation)."""
    h = x
    for k, (w, b) in enumerate(layers):
        h = activate(m["out_act"] if k == len(layers) - 1 else m["act"], h @ w + b)
    return h


def read_ratings(path):
    """(user, item, rating) triples of a ratings file; lines that are no rating (a header) are
    skipped."""
    users, items, ratings = [], [], []
    with open(path) as f:
        for line in f:
            fields = line.replace("::", "\t").replace(",", "\t").split()
            try:
                u, i, r = int(fields[0]), int(fields[1]), float(fields[2])
            except (ValueError, IndexError):
                continue
            users.append(u)
            items.append(i)
            ratings.append(r)
    if not ratings:
        fail(f"{path}: no ratings")
    return np.array(users), np.array(items), np.array(ratings, dtype=np.float64)


def matrices(m, test):
    """The training matrix X and test matrix T (rows x cols, 0 = unobserved, as the network's
    input has it) on the model's id maps, T's observed entries, and the test ratings outside
    the maps (cold): their column index, whether that column is known, their rating."""
    by_item = m["rows_are"] == 0  # AR_ROWS_ITEMS: I-AutoRec
    rows_of = (lambda u, i: i) if by_item else (lambda u, i: u)
    cols_of = (lambda u, i: u) if by_item else (lambda u, i: i)
    row_ids = np.unique(rows_of(m["users"], m["items"]))
    col_ids = np.unique(cols_of(m["users"], m["items"]))
    if len(row_ids) != m["rows"] or len(col_ids) != m["cols"]:
        fail("the training ratings do not rebuild the model's rows and columns")
    X = np.zeros((m["rows"], m["cols"]))
    X[np.searchsorted(row_ids, rows_of(m["users"], m["items"])),
      np.searchsorted(col_ids, cols_of(m["users"], m["items"]))] = m["ratings"]
    tu, ti, tr = test
    rid, cid = rows_of(tu, ti), cols_of(tu, ti)
    ri = np.clip(np.searchsorted(row_ids, rid), 0, len(row_ids) - 1)
    ci = np.clip(np.searchsorted(col_ids, cid), 0, len(col_ids) - 1)
    warm = (row_ids[ri] == rid) & (col_ids[ci] == cid)
    T, mask = np.zeros_like(X), np.zeros(X.shape, dtype=bool)
    T[ri[warm], ci[warm]] = tr[warm]
    mask[ri[warm], ci[warm]] = True  # a rating of 0 is still a rating
    cold = {"col": ci[~warm], "col_known": (col_ids[ci] == cid)[~warm], "rating": tr[~warm]}
    return X, T, mask, cold


def protocols(m, layers, X, T, mask, cold):
    """The test RMSE under each protocol (module docstring)."""
    lo, hi, dflt = m["lo"], m["hi"], m["default"]
    n_test = int(mask.sum()) + len(cold["rating"])
    cold_sse = float(np.sum((dflt - cold["rating"]) ** 2))
    y_train = np.clip(forward(m, layers, X), lo, hi)
    y_test = np.clip(forward(m, layers, T), lo, hi)
    y_both = np.clip(forward(m, layers, X + T), lo, hi)  # a pair is in one set only

    def masked(y):
        return math.sqrt((float(np.sum(((y - T) * mask) ** 2)) + cold_sse) / n_test)

    def unmasked(y, per):
        return math.sqrt((float(np.sum((y - T) ** 2)) + cold_sse) / per)

    entries = X.size + len(cold["rating"])
    # d2l: no clamp; a row with no training rating is the network's output on zeros
    raw = forward(m, layers, X)
    zero_row = forward(m, layers, np.zeros((1, m["cols"])))[0]
    d2l_cold = np.where(cold["col_known"], zero_row[cold["col"]], dflt)
    d2l_sse = float(np.sum(((raw - T) * mask) ** 2)) + float(np.sum((d2l_cold - cold["rating"]) ** 2))
    return {
        "correct": masked(y_train),
        "test_input": masked(y_test),
        "unmasked_entry": unmasked(y_train, entries),
        "unmasked_rating": unmasked(y_train, n_test),
        "test_input_unmasked": unmasked(y_test, entries),
        "train_test_input": masked(y_both),
        "d2l_as_written": math.sqrt(d2l_sse / n_test),
        "n_test": n_test,
        "n_test_cold": len(cold["rating"]),
    }


def eval_rmse(autorec, model, test, device):
    cmd = [autorec, "eval", "--model", model, "--test", test, "--json"]
    if device:
        cmd += ["--device", device]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"{' '.join(cmd)} failed: {run.stderr.strip()}")
    return json.loads(run.stdout.strip().splitlines()[-1])["test_rmse"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="a model file written by train --save")
    ap.add_argument("--test", required=True, help="the test ratings")
    ap.add_argument("--autorec", help="the autorec binary: check 'correct' against its eval")
    ap.add_argument("--device", help="eval's --device")
    a = ap.parse_args()
    m = read_model(a.model)
    X, T, mask, cold = matrices(m, read_ratings(a.test))
    res = protocols(m, unpack_weights(m), X, T, mask, cold)
    res["model"], res["test"] = a.model, a.test
    for k in ("correct", "test_input", "unmasked_entry", "unmasked_rating",
              "test_input_unmasked", "train_test_input", "d2l_as_written"):
        print(f"{k:20s} test RMSE {res[k]:.4f}")
    if a.autorec:
        res["eval_test_rmse"] = eval_rmse(a.autorec, a.model, a.test, a.device)
        if abs(res["eval_test_rmse"] - res["correct"]) > 1e-4:
            fail(f"correct {res['correct']:.6f} but autorec eval says {res['eval_test_rmse']}")
        print(f"{'autorec eval':20s} test RMSE {res['eval_test_rmse']:.4f} (agrees within 1e-4)")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
