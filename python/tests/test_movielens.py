"""ML-100K's u1 split through pandas, as the README's example reads it (skips without
AUTOREC_DATA, the ml-100k directory)."""
import os

import pytest

from autorec_cl import AutoRec

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def u1():
    root = os.environ.get("AUTOREC_DATA", "")
    if not os.path.exists(os.path.join(root, "u1.base")):
        pytest.skip("AUTOREC_DATA does not name the ml-100k directory")
    names = ["userId", "movieId", "rating", "timestamp"]  # found as a CSV header's would be
    read = lambda f: pd.read_csv(os.path.join(root, f), sep="\t", names=names)  # noqa: E731
    return read("u1.base"), read("u1.test")


def test_u1_beats_the_baseline_in_a_few_epochs(u1):
    train, test = u1
    m = AutoRec(hidden=100, epochs=4, verbose=False).fit(train, test=test)
    s = m.score(test)
    assert s["n"] == len(test) == 20000
    assert s["rmse"] < 0.98  # the user + item bias baseline alone: 0.97 (README)
    h = m.history_  # several runs (center "auto", try_lighter, try_tanh): the kept one's rows
    kept = h[(h.center == m.center_) & (h.lighter == m.lighter_) & (h.tanh == m.tanh_)]
    assert s["rmse"] == pytest.approx(kept.test_rmse.iloc[m.best_epoch_ - 1], rel=1e-6)
    assert len(m.recommend(1, n=10)) == 10
