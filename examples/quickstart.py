#!/usr/bin/env python3
"""autorec_cl quick start: MovieLens 100K's u1 split read with pandas, I-AutoRec trained with
the CLI's defaults (a tenth of u1.base held out to choose the epoch), scored and asked for
recommendations.

    pip install ./python
    AUTOREC_DATA=~/.cache/autorec/ml-100k python3 examples/quickstart.py

AUTOREC_DATA names the ml-100k directory (`autorec train --dataset ml-100k` downloads it into
~/.cache/autorec/ml-100k, looked at when AUTOREC_DATA is unset). Without it, synthetic
low-rank ratings stand in.
"""
import os

import numpy as np
import pandas as pd

import autorec_cl


def movielens():
    root = os.environ.get("AUTOREC_DATA") or os.path.expanduser("~/.cache/autorec/ml-100k")
    if not os.path.exists(os.path.join(root, "u1.base")):
        return None
    names = ["userId", "movieId", "rating", "timestamp"]  # columns found by name, as the CLI's
    return (pd.read_csv(os.path.join(root, "u1.base"), sep="\t", names=names),
            pd.read_csv(os.path.join(root, "u1.test"), sep="\t", names=names))


def synthetic(users=300, items=200, seed=0):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(users, 3)), rng.normal(size=(items, 3))
    u, i = np.nonzero(rng.random((users, items)) < 0.2)
    r = np.clip(np.rint(3 + np.sum(a[u] * b[i], 1)), 1, 5)
    df = pd.DataFrame({"user": u + 1, "item": i + 1, "rating": r}).sample(frac=1, random_state=0)
    n = int(len(df) * 0.8)
    return df[:n], df[n:]


def main():
    print("devices:", [d["id"] + " " + d["name"] for d in autorec_cl.devices()])
    data = movielens()
    print("data:", "MovieLens 100K u1" if data else "synthetic (set AUTOREC_DATA for ML-100K)")
    train, test = data or synthetic()
    model = autorec_cl.AutoRec().fit(train, test=test)
    print("kept epoch %d of %d (%s), on %s" % (model.best_epoch_, len(model.history_),
                                              model.stop_reason_, model.device_))
    print("test:", {k: round(v, 4) for k, v in model.score(test).items()})
    user = train.iloc[0, 0]
    print("top 5 for user %s:" % user)
    print(model.recommend(user, n=5).to_string(index=False))


if __name__ == "__main__":
    main()
