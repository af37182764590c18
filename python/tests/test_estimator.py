"""The estimator on synthetic data: the three input kinds, ids of any type, predictions,
recommendations, scores, files, pickling, threads and Ctrl-C."""
import ctypes
import math
import pickle
import threading
import time
import _thread

import numpy as np
import pytest

import autorec_cl
from autorec_cl import AutoRec
from autorec_cl import _lib

from conftest import synthetic

pd = pytest.importorskip("pandas")
sparse = pytest.importorskip("scipy.sparse")

SMALL = dict(hidden=16, epochs=4, patience=0)


def test_version_and_devices():
    assert autorec_cl.__version__ == autorec_cl.library_version
    devs = autorec_cl.devices()
    assert devs and {"id", "index", "name", "platform", "type", "memory"} <= set(devs[0])
    assert all(d["memory"] > 0 and ":" in d["id"] for d in devs)


def test_defaults_are_the_librarys():
    """Every ar_train_config setting is a parameter, and its default is the library's."""
    cfg = _lib.TrainConfig()
    _lib.lib.ar_train_config_default(ctypes.byref(cfg))
    params = AutoRec().get_params()
    for name, _ in _lib.TrainConfig._fields_:
        if name in ("n_layers", "layers"):
            continue
        v = getattr(cfg, name)
        if name in _lib.enum_fields():
            assert params[name] == _lib.enum_name(name, v), name
        elif isinstance(v, float) and math.isnan(v):
            assert params[name] is None, name
        else:
            assert np.float32(params[name]) == np.float32(v), name
    assert params["layers"] is None and params["model"] == "item"
    assert AutoRec(hidden=7).set_params(lr=0.01).get_params()["lr"] == 0.01
    with pytest.raises(ValueError, match="invalid parameter 'nope'"):
        AutoRec().set_params(nope=1)


def test_three_input_kinds_train_alike(data):
    train, test = data
    mat = sparse.csr_matrix((train.rating, (train.user, train.item)))
    runs = [AutoRec(**SMALL).fit(train, test=test),
            AutoRec(**SMALL).fit(mat, test=test),
            AutoRec(**SMALL).fit((train.user.values, train.item.values, train.rating.values),
                                 test=test)]
    h = [m.history_ for m in runs]
    assert list(h[0].columns[:5]) == ["epoch", "loss", "train_rmse", "valid_rmse", "test_rmse"]
    # center "auto": 4 epochs of the bias run, then 4 of the input run; try_lighter: 4 more of
    # the better one's centering with l2 / 10 and dropout / 2; try_tanh: 4 more with a tanh
    # encoder at lr / 5; the best of the four kept
    assert len(h[0]) == 16 and h[0].valid_rmse.notna().all()
    first = h[0][:8].groupby("center").valid_rmse.min().idxmin()
    assert list(h[0].center) == ["bias"] * 4 + ["input"] * 4 + [first] * 8
    assert list(h[0].lighter) == [False] * 8 + [True] * 4 + [False] * 4
    assert list(h[0].tanh) == [False] * 12 + [True] * 4
    best = h[0].groupby(["center", "lighter", "tanh"]).valid_rmse.min()
    assert (runs[0].center_, runs[0].lighter_, runs[0].tanh_) == best.idxmin()
    m = runs[0]
    given = (m.l2, m.dropout)
    assert (m.l2_, m.dropout_) == ((m.l2 / 10, m.dropout / 2) if m.lighter_ else given)
    assert m.activation_ == ("tanh" if m.tanh_ else m.activation)
    assert m.lr_ == pytest.approx(m.lr / 5 if m.tanh_ else m.lr, rel=1e-6)
    # the sparse matrix lists the ratings in another order: the same data, other batches
    for other in h[1:]:
        assert np.allclose(other.test_rmse, h[0].test_rmse, atol=0.05)
    assert h[2].equals(h[0].assign(epoch_seconds=h[2].epoch_seconds,
                                   eval_seconds=h[2].eval_seconds))


def test_predict_recommend_score(data):
    train, test = data
    m = AutoRec(**SMALL, valid_ratio=0).fit(train, test=test)
    lo, hi, mid = m.rating_scale_
    p = m.predict(test.user.values, test.item.values)
    assert p.dtype == np.float32 and p.shape == (len(test),)
    assert ((p >= lo) & (p <= hi)).all()
    assert m.predict([10**6], [1])[0] == mid == 3.0  # unseen user: the middle of the scale
    s = m.score(test)
    assert s["n"] == len(test)
    assert s["rmse"] == pytest.approx(m.history_.test_rmse.iloc[-1], rel=1e-6)
    assert s["mae"] == pytest.approx(m.history_.test_mae.iloc[-1], rel=1e-6)
    assert 0 <= s["precision@10"] <= 1 and 0 <= s["ndcg@10"] <= 1
    assert "precision@5" in m.score(test, k=5)
    rec = m.recommend(1, n=5)
    seen = set(train.item[train.user == 1])
    assert len(rec) == 5 and not set(rec.item) & seen
    assert list(rec.score) == sorted(rec.score, reverse=True)
    assert rec.score.iloc[0] == pytest.approx(m.predict([1], [rec.item.iloc[0]])[0])
    assert set(m.recommend(1, n=10**6, exclude_seen=False).item) >= seen
    with pytest.raises(ValueError, match="no rating in the model's training data"):
        m.recommend(10**6)


def test_string_ids_are_mapped_and_kept(data, tmp_path):
    train, test = data
    named = train.assign(user="u" + train.user.astype(str), item="i" + train.item.astype(str))
    named_test = test.assign(user="u" + test.user.astype(str), item="i" + test.item.astype(str))
    m = AutoRec(**SMALL).fit(named, test=named_test)
    rec = m.recommend("u1", n=3)
    assert all(isinstance(x, str) and x.startswith("i") for x in rec.item)
    p = m.predict(["u1", "u2", "nobody"], ["i1", "i2", "i3"])
    assert p[2] == 3.0
    path = tmp_path / "named.autorec"
    m.save(path)
    assert (tmp_path / "named.autorec.ids.json").exists()
    back = AutoRec.load(path)
    assert np.array_equal(back.predict(["u1", "u2"], ["i1", "i2"]), p[:2])
    assert back.recommend("u1", n=3).equals(rec)


def test_save_load_and_pickle(data, tmp_path):
    train, test = data
    m = AutoRec(**SMALL, model="user", activation="tanh").fit(train)
    p = m.predict(test.user.values, test.item.values)
    m.save(tmp_path / "m.autorec")
    back = AutoRec.load(tmp_path / "m.autorec")
    assert back.model == "user" and back.activation == "tanh" and back.hidden == 16
    assert back.epochs_done_ == m.epochs_done_
    assert np.array_equal(back.predict(test.user.values, test.item.values), p)
    again = pickle.loads(pickle.dumps(m))
    assert np.array_equal(again.predict(test.user.values, test.item.values), p)
    assert again.get_params() == m.get_params()
    unfitted = pickle.loads(pickle.dumps(AutoRec(hidden=3)))
    assert unfitted.hidden == 3


def test_bad_inputs_raise_clear_errors(data, tmp_path):
    train, _ = data
    with pytest.raises(ValueError, match="finite"):
        AutoRec(**SMALL).fit(train.assign(rating=train.rating.where(train.index != 5)))
    dup = pd.concat([train, train.iloc[:1]])
    with pytest.raises(ValueError, match="user 92 item 13.*ar_load_options.duplicates"):
        AutoRec(**SMALL, valid_ratio=0).fit(dup)
    AutoRec(**SMALL, duplicates="mean").fit(dup)  # merged as the library merges a file's
    with pytest.raises(ValueError, match="no ratings"):
        AutoRec(**SMALL).fit(train.iloc[:0])
    with pytest.raises(ValueError, match="do not name one user, one item and one rating"):
        AutoRec(**SMALL).fit(train.rename(columns={"item": "thing"}))
    AutoRec(**SMALL).fit(train.rename(columns={"item": "thing"}),
                         columns=("user", "thing", "rating"))
    renamed = train.rename(columns={"user": "userId", "item": "movieId", "rating": "stars"})
    AutoRec(**SMALL).fit(renamed)  # the CLI's header names
    with pytest.raises(ValueError, match="no such device|matches no device|device"):
        AutoRec(**SMALL, device="no-such-device-xyz").fit(train)
    with pytest.raises(ValueError, match="ar_train_config.l2"):
        AutoRec(l2=-1).fit(train)
    with pytest.raises(ValueError, match="activation"):
        AutoRec(activation="swish").fit(train)
    with pytest.raises(ValueError, match="not fitted"):
        AutoRec().predict([1], [1])
    with pytest.raises(OSError):
        AutoRec.load(tmp_path / "missing.autorec")
    (tmp_path / "junk.autorec").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a valid model file|junk"):
        AutoRec.load(tmp_path / "junk.autorec")
    with pytest.raises(TypeError):
        AutoRec(**SMALL).fit("ratings.csv")
    for e in (autorec_cl.AutoRecValueError, autorec_cl.AutoRecOSError):
        assert issubclass(e, autorec_cl.AutoRecError)


def _longer():
    u, i, r = synthetic(300, 200, 0.2, seed=1)
    return (u, i, r), dict(hidden=500, epochs=200, patience=0)


def test_training_releases_the_gil():
    """Another thread runs while the library trains: it counts far more than it could in the
    gaps between epochs."""
    data, cfg = _longer()
    cfg["epochs"] = 15
    count, stop = [0], threading.Event()

    def counter():
        while not stop.is_set():
            count[0] += 1

    t = threading.Thread(target=counter)
    t.start()
    t0 = time.perf_counter()
    AutoRec(**cfg, verbose=False).fit(data)
    seconds = time.perf_counter() - t0
    stop.set()
    t.join()
    assert seconds > 0.2
    assert count[0] / seconds > 10000, "%d counts in %.2f s" % (count[0], seconds)


def test_ctrl_c_stops_between_batches_and_keeps_the_model():
    data, cfg = _longer()
    m = AutoRec(**cfg, verbose=False)

    def press_ctrl_c():  # after two epochs, as a user would (SIGINT to the main thread)
        while len(getattr(m, "history_", [])) < 2:
            time.sleep(0.005)
        _thread.interrupt_main()

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        m.fit(data)
    n = len(m.history_)
    assert 2 <= n < cfg["epochs"]
    assert m.epochs_done_ == m.history_.valid_rmse.idxmin() + 1  # the best epoch, put back
    p = m.predict(data[0][:50], data[1][:50])
    assert np.isfinite(p).all()
    m.set_params(epochs=n + 2)
    m.fit(data)  # and it trains again (center "auto", try_lighter, try_tanh: four runs of n + 2)
    assert len(m.history_) == 4 * (n + 2)


def test_progress_bar_is_optional(data, capsys):
    train, _ = data
    AutoRec(**SMALL, verbose=False).fit(train)
    assert capsys.readouterr().err == ""
    AutoRec(**SMALL, verbose=True).fit(train)
    assert "autorec" in capsys.readouterr().err  # tqdm's bar, or a line per epoch without it


def test_a_tiny_set_still_gets_a_validation_rating(recwarn):
    """Ten percent of five ratings draws none for most seeds: the library moves one across
    rather than leave the validation set empty (or warn), so every seed validates; a single
    rating cannot be split: the warning, and no validation."""
    five = (np.array([1, 2, 1, 3, 3]), np.array([1, 2, 2, 2, 1]), np.array([5, 4, 3, 2, 5.0]))
    for seed in (1, 2, 3, 4):
        recwarn.clear()
        m = AutoRec(**SMALL, verbose=False, seed=seed).fit(five)
        assert not [w for w in recwarn if "too few" in str(w.message)]
        assert len(m.history_) and m.history_["valid_rmse"].notna().all()
    with pytest.warns(UserWarning, match="1 training ratings: too few"):
        m = AutoRec(**SMALL, verbose=False).fit(([1], [1], [4.0]))
    assert len(m.history_) and m.history_["valid_rmse"].isna().all()
