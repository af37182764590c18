"""Shared fixtures: synthetic ratings drawn in the test (no file, no network), and where the
`autorec` tool and the repository are, for the tests that compare with it."""
import os
import shutil

import numpy as np
import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def synthetic(users=120, items=80, density=0.3, seed=0):
    """Low-rank ratings on 1..5: (users, items, ratings) arrays of distinct pairs, ids from 1,
    in a random order."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(users, 3)), rng.normal(size=(items, 3))
    pairs = np.argwhere(rng.random((users, items)) < density)
    rng.shuffle(pairs)
    u, i = pairs[:, 0], pairs[:, 1]
    r = np.clip(np.rint(3 + 0.8 * np.sum(a[u] * b[i], axis=1) + rng.normal(0, 0.3, len(u))), 1, 5)
    return u.astype(np.int64) + 1, i.astype(np.int64) + 1, r.astype(np.float32)


@pytest.fixture(scope="session")
def data():
    """(train, test) DataFrames of the synthetic ratings (columns user, item, rating)."""
    pd = pytest.importorskip("pandas")
    u, i, r = synthetic()
    df = pd.DataFrame({"user": u, "item": i, "rating": r})
    n = int(len(df) * 0.85)
    return df.iloc[:n].reset_index(drop=True), df.iloc[n:].reset_index(drop=True)


@pytest.fixture(scope="session")
def cli():
    """The autorec tool: $AUTOREC_CLI, else the build tree's."""
    path = os.environ.get("AUTOREC_CLI") or os.path.join(REPO, "build", "autorec")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        path = shutil.which("autorec")
    if not path:
        pytest.skip("no autorec tool (set AUTOREC_CLI)")
    return path


def write_tsv(path, df):
    df[["user", "item", "rating"]].to_csv(path, sep="\t", header=False, index=False)
    return str(path)
