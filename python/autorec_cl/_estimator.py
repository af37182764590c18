"""AutoRec, a scikit-learn-style estimator over libautorec."""
import ctypes
import math
import os
import sys
import tempfile
import warnings

import numpy as np

from . import _data, _lib
from ._data import IdMap, Ratings
from ._engine import Engine
from ._lib import (AR_ERR_INVALID_ARG, AutoRecValueError, DatasetStats, TopN, TopNConfig,
                   TrainConfig, check, lib)

# The settings of ar_train_config, in the order the estimator lists them.
_CONFIG = ("hidden", "layers", "activation", "out_activation", "dropout", "input_dropout",
           "input_noise", "l2", "lr", "lr_decay", "epochs", "batch", "patience",
           "min_improvement", "center", "baseline_fallback", "try_lighter", "try_tanh", "kernels",
           "beta1",
           "beta2", "eps", "rating_min", "rating_max", "default_rating", "seed")
_SCALE = ("rating_min", "rating_max", "default_rating")  # NaN in C, None here: from the data
_BOOL = ("baseline_fallback", "try_lighter", "try_tanh")  # int 0 / 1 in C

# What the CLI does around the library (host/cli/data_opts.c, data_load.c): I-AutoRec by
# default, a tenth of the training ratings held out for validation, carved by a generator of its
# own stream (the seed XOR this constant). tests/test_cli_agree.py checks that both carve alike.
_CLI_VALID_RATIO = 0.1
_CLI_VALID_STREAM = 0xA5A5C3C3F00DBEEF
_ROWS = {"item": 0, "user": 1}


def _float32(v):
    """A C float as the shortest decimal that gives the same float (3e-3, not 0.0030000000)."""
    return float(repr(np.float32(v)))


def _library_defaults():
    """Every setting's default, read from ar_train_config_default and ar_load_options_default:
    the CLI's defaults, as the CLI reads them."""
    cfg = TrainConfig()
    lib.ar_train_config_default(ctypes.byref(cfg))
    out = {}
    for name in _CONFIG:
        if name == "layers":
            out[name] = tuple(cfg.layers[:cfg.n_layers]) or None
            continue
        v = getattr(cfg, name)
        if name in _lib.enum_fields():
            v = _lib.enum_name(name, v)
        elif name in _BOOL:
            v = bool(v)
        elif isinstance(v, float):
            v = None if math.isnan(v) else _float32(v)
        out[name] = v
    load = _lib.LoadOptions()
    lib.ar_load_options_default(ctypes.byref(load))
    out["duplicates"] = _lib.enum_name("duplicates", load.duplicates)
    return out


_DEFAULTS = _library_defaults()
_D = _DEFAULTS


def _bad(msg):
    return AutoRecValueError(msg, AR_ERR_INVALID_ARG, "invalid argument")


class AutoRec:
    """AutoRec (Sedhain et al., WWW 2015) trained by libautorec on an OpenCL device.

    Every setting's default is the library's (ar_train_config_default), so the CLI's: see
    `autorec train --help`. `model` is "item" (I-AutoRec) or "user" (U-AutoRec); `device` an
    autorec device spec ("0:0", "cpu", a name; None: $AUTOREC_DEVICE, else the first GPU, else
    the first device); `valid_ratio` the part of the training ratings held out for validation
    when fit gets no `valid` (0: none; train every epoch, keep the last); `duplicates` what to
    do with a pair rated twice ("error", "first", "last", "mean"); `verbose` None shows a tqdm
    progress bar when tqdm is installed and stderr is a terminal, True always (a line per epoch
    without tqdm), False never.
    """

    def __init__(self, hidden=_D["hidden"], layers=_D["layers"], model="item",
                 activation=_D["activation"], out_activation=_D["out_activation"],
                 dropout=_D["dropout"], input_dropout=_D["input_dropout"],
                 input_noise=_D["input_noise"], l2=_D["l2"], lr=_D["lr"],
                 lr_decay=_D["lr_decay"], epochs=_D["epochs"], batch=_D["batch"],
                 patience=_D["patience"], min_improvement=_D["min_improvement"],
                 center=_D["center"], baseline_fallback=_D["baseline_fallback"],
                 try_lighter=_D["try_lighter"], try_tanh=_D["try_tanh"],
                 kernels=_D["kernels"], beta1=_D["beta1"], beta2=_D["beta2"], eps=_D["eps"],
                 rating_min=_D["rating_min"], rating_max=_D["rating_max"],
                 default_rating=_D["default_rating"], seed=_D["seed"], device=None,
                 valid_ratio=_CLI_VALID_RATIO, duplicates=_D["duplicates"], verbose=None):
        for name, value in locals().items():
            if name != "self":
                setattr(self, name, value)
        self._engine = None

    # ---- scikit-learn's parameter protocol ---------------------------------------------------

    @classmethod
    def _param_names(cls):
        import inspect
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        names = self._param_names()
        for name, value in params.items():
            if name not in names:
                raise ValueError("invalid parameter %r for AutoRec; valid: %s"
                                 % (name, ", ".join(names)))
            setattr(self, name, value)
        return self

    def __repr__(self):
        changed = ["%s=%r" % (k, v) for k, v in self.get_params().items()
                   if v != AutoRec._defaults().get(k)]
        return "AutoRec(%s)" % ", ".join(changed)

    @staticmethod
    def _defaults():
        import inspect
        return {p.name: p.default for p in inspect.signature(AutoRec.__init__).parameters.values()
                if p.name != "self"}

    # ---- configuration -----------------------------------------------------------------------

    def _config(self):
        """The ar_train_config of the parameters, checked by the library
        (ar_train_config_validate: its message names the field)."""
        cfg = TrainConfig()
        lib.ar_train_config_default(ctypes.byref(cfg))
        for name in _CONFIG:
            v = getattr(self, name)
            if name == "layers":
                layers = list(v or ())
                if len(layers) > _lib.AR_MAX_HIDDEN_LAYERS:
                    raise _bad("layers: at most %d hidden layers" % _lib.AR_MAX_HIDDEN_LAYERS)
                cfg.n_layers = len(layers)
                for k, w in enumerate(layers):
                    cfg.layers[k] = int(w)
            elif name in _lib.enum_fields():
                setattr(cfg, name, _lib.enum_parse(name, v))
            elif name in _SCALE:
                cfg.__setattr__(name, float("nan") if v is None else float(v))
            elif name in _BOOL:
                setattr(cfg, name, int(bool(v)))
            else:
                try:
                    setattr(cfg, name, v)
                except TypeError:
                    raise _bad("%s: a number, not %r" % (name, v)) from None
        check(lib.ar_train_config_validate(ctypes.byref(cfg)))
        if self.model not in _ROWS:
            raise _bad("model must be 'item' (I-AutoRec) or 'user' (U-AutoRec), not %r"
                       % (self.model,))
        return cfg

    def _duplicates(self):
        return _lib.enum_parse("duplicates", self.duplicates)

    # ---- data --------------------------------------------------------------------------------

    def _ratings(self, data, columns, how):
        u, i, r = _data.triples(data, columns)
        out = Ratings(self._users.encode(u), self._items.encode(i), r)
        out.merge_duplicates(how)
        return out

    def _holdout(self, train, valid, columns, how):
        """(train, valid): valid given, else carved as the CLI carves it, else None."""
        if valid is not None:
            return train, self._ratings(valid, columns, how)
        ratio = self.valid_ratio or 0
        if ratio <= 0 or len(train) == 0:  # nothing to carve: the library names what is wrong
            return train, None
        try:
            return train.split(ratio, (int(self.seed) ^ _CLI_VALID_STREAM) & (2**64 - 1))
        except AutoRecValueError:
            if not 0 < ratio < 1:
                raise
            warnings.warn("%d training ratings: too few to carve a validation set of %g out "
                          "of them; training without one (no early stopping)"
                          % (len(train), ratio))
            return train, None

    # ---- fit ---------------------------------------------------------------------------------

    def fit(self, ratings, valid=None, test=None, columns=None):
        """Trains on `ratings`: a pandas DataFrame (columns found by their names, as the CLI
        finds a CSV header's, or given as columns=(user, item, rating)), a scipy.sparse matrix
        (rows users, columns items, zeros unobserved) or a (users, items, ratings) tuple of
        arrays; ids of any type. `valid` (else valid_ratio of the ratings) chooses the epoch
        kept; `test` is scored every epoch (history_), chooses nothing. Ctrl-C stops training
        before the next batch and raises KeyboardInterrupt, the model holding its best epoch so
        far."""
        cfg = self._config()
        how = self._duplicates()
        u, i, r = _data.triples(ratings, columns)
        self._users, self._items = IdMap.from_training(u), IdMap.from_training(i)
        train = Ratings(self._users.encode(u), self._items.encode(i), r)
        train.merge_duplicates(how)
        train, valid_r = self._holdout(train, valid, columns, how)
        test_r = self._ratings(test, columns, how) if test is not None else None
        self._close()
        self._engine = Engine.create(self.device, (train, valid_r, test_r), _ROWS[self.model],
                                     cfg)
        self._seen = None
        self.history_ = []
        bar = self._progress(cfg.epochs)
        try:
            result, interrupted = self._engine.train(lambda s, res: self._epoch(s, res, bar))
        finally:
            if bar is not None:
                bar.close()
        self._finish(result)
        if interrupted:
            raise KeyboardInterrupt("autorec_cl: training interrupted after %d epochs; the "
                                    "model holds epoch %d" % (len(self.history_),
                                                              self.epochs_done_))
        return self

    def _progress(self, epochs):
        show = self.verbose
        tqdm = None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            pass
        if show is None:
            show = tqdm is not None and sys.stderr.isatty()
        if not show:
            return None
        if tqdm is None:
            return _Lines()
        return tqdm(total=epochs, unit="epoch", desc="autorec", leave=True)

    _STATS = ("epoch", "loss", "train_rmse", "valid_rmse", "test_rmse", "train_mae",
              "valid_mae", "test_mae", "epoch_seconds", "eval_seconds")

    def _epoch(self, s, res, bar):
        row = {k: getattr(s, k) for k in self._STATS}
        row["center"] = lib.ar_center_name(res.center).decode()  # center="auto" trains two runs
        row["lighter"] = bool(res.lighter)  # try_lighter: one more run
        row["tanh"] = bool(res.tanh_run)  # try_tanh: one more
        self._history_rows().append(row)
        if bar is not None:
            bar.update(1)
            bar.set_postfix({k: "%.4f" % row[k] for k in ("loss", "valid_rmse", "test_rmse")
                             if not math.isnan(row[k])}, refresh=False)

    def _history_rows(self):
        if not isinstance(self.history_, list):
            self.history_ = list(self.history_.to_dict("records"))
        return self.history_

    def _finish(self, result):
        rows = self._history_rows()
        try:
            import pandas as pd
            self.history_ = pd.DataFrame(rows, columns=list(self._STATS) + ["center", "lighter", "tanh"])
        except ImportError:
            self.history_ = rows
        self.best_epoch_ = result.selected_epoch
        self.stop_reason_ = lib.ar_stop_reason_name(result.stop).decode()
        self.baseline_kept_ = bool(result.baseline_kept)
        self.center_ = lib.ar_center_name(result.center).decode()  # auto: the run kept
        self.lighter_ = bool(result.lighter)  # try_lighter: the lighter run kept
        self.tanh_ = bool(result.tanh_run)  # try_tanh: the tanh run kept
        kept = lib.ar_model_config(self._engine.model).contents
        self.l2_, self.dropout_ = _float32(kept.l2), _float32(kept.dropout)  # the run kept's
        self.lr_ = _float32(kept.lr)
        self.activation_ = lib.ar_activation_name(kept.activation).decode()
        self._fitted()

    def _fitted(self):
        m = self._engine.model
        self.epochs_done_ = lib.ar_model_epochs_done(m)
        self.kernels_ = lib.ar_kernel_path_name(lib.ar_model_kernels(m)).decode()
        lo, hi, d = ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
        lib.ar_model_rating_scale(m, ctypes.byref(lo), ctypes.byref(hi), ctypes.byref(d))
        self.rating_scale_ = (_float32(lo.value), _float32(hi.value), _float32(d.value))
        st = DatasetStats()
        lib.ar_dataset_get_stats(self._engine.ds, ctypes.byref(st))
        self.n_users_, self.n_items_ = st.n_users, st.n_items
        self.device_ = lib.ar_ctx_device(self._engine.ctx).contents.name.decode()

    def _check_fitted(self):
        if self._engine is None:
            raise _NotFitted("this AutoRec is not fitted: call fit or AutoRec.load first")

    # ---- predictions -------------------------------------------------------------------------

    def predict(self, users, items):
        """Predicted ratings of (user, item) pairs as the CLI's predict gives them: clamped to
        the rating scale, a pair with an unseen user or item at its default (the middle)."""
        self._check_fitted()
        u = self._users.encode(np.atleast_1d(users))
        i = self._items.encode(np.atleast_1d(items))
        if u.shape != i.shape or u.ndim != 1:
            raise _bad("predict: users and items must be one-dimensional, of one length")
        out = np.empty(len(u), dtype=np.float32)
        check(lib.ar_model_predict(self._engine.model, _lib.as_ptr(u, ctypes.c_int64),
                                   _lib.as_ptr(i, ctypes.c_int64), len(u),
                                   _lib.as_ptr(out, ctypes.c_float)))
        return out

    def _training_pairs(self):
        """The model's training (user, item) ids, read from the library once."""
        if self._seen is None:
            ptr = (self._engine.keep[0].ptr if self._engine.checkpoint is None
                   else lib.ar_checkpoint_train(self._engine.checkpoint))
            self._seen = _data.read_pairs(ptr)
        return self._seen

    def recommend(self, user, n=10, exclude_seen=True):
        """The n items of highest predicted rating for user, best first (ties: the smaller item
        id first, as `autorec recommend`): a DataFrame (item, score) with pandas, else a list of
        (item, score). exclude_seen leaves out the items the user rated in training."""
        self._check_fitted()
        code = self._users.encode(np.array([user]))[0]
        u, i = self._training_pairs()
        rated = i[u == code]
        if rated.size == 0:
            raise _bad("user %r has no rating in the model's training data: nothing to "
                       "recommend from" % (user,))
        items = np.unique(i)
        if exclude_seen:
            items = np.setdiff1d(items, rated, assume_unique=True)
        scores = np.empty(len(items), dtype=np.float32)
        users = np.full(len(items), code, dtype=np.int64)
        check(lib.ar_model_predict(self._engine.model, _lib.as_ptr(users, ctypes.c_int64),
                                   _lib.as_ptr(items, ctypes.c_int64), len(items),
                                   _lib.as_ptr(scores, ctypes.c_float)))
        top = np.lexsort((items, -scores))[:n]
        labels, best = self._items.decode(items[top]), scores[top]
        try:
            import pandas as pd
            return pd.DataFrame({"item": labels, "score": best})
        except ImportError:
            return list(zip(labels.tolist(), best.tolist()))

    def score(self, test, k=None, relevant=None, columns=None):
        """Errors on held-out ratings by the evaluation protocol (the CLI's eval): a dict with
        rmse, mae and n, and the top-N metrics (precision, recall, ndcg, hit_rate at k, over
        the test users with a rating >= relevant; defaults: ar_topn_config_default) when
        `relevant` lies in the model's rating scale."""
        self._check_fitted()
        test_r = self._ratings(test, columns, self._duplicates())
        with tempfile.TemporaryDirectory(prefix="autorec-score-") as tmp:
            path = os.path.join(tmp, "model.autorec")
            check(lib.ar_model_save(self._engine.model, path.encode()))
            eng = Engine.from_file(path, self.device, test=test_r)
        try:
            e = eng.metrics().test
            out = {"rmse": e.rmse, "mae": e.mae, "n": e.n}
            topn = TopNConfig()
            lib.ar_topn_config_default(ctypes.byref(topn))
            if k is not None:
                topn.k = int(k)
            if relevant is not None:
                topn.relevant = float(relevant)
            lo, hi, _ = self.rating_scale_
            if relevant is not None or lo <= topn.relevant <= hi:
                t = TopN()
                models = (ctypes.c_void_p * 1)(eng.model)
                check(lib.ar_ensemble_topn(models, 1, ctypes.byref(topn), ctypes.byref(t)))
                for name in ("precision", "recall", "ndcg", "hit_rate"):
                    out["%s@%d" % (name, topn.k)] = getattr(t, name)
            return out
        finally:
            eng.close()

    # ---- files and pickling ------------------------------------------------------------------

    def save(self, path):
        """Writes the model file `autorec eval`, `predict` and `recommend` read (and, when the
        ids are not plain integers, their labels to PATH.ids.json)."""
        self._check_fitted()
        path = os.fspath(path)
        check(lib.ar_model_save(self._engine.model, path.encode()))
        ids = path + ".ids.json"
        if self._users.raw and self._items.raw:
            if os.path.exists(ids):
                os.remove(ids)  # a previous model's labels would be applied to this one
            return
        _write(ids, _data.dump_maps(self._users, self._items).encode())

    @classmethod
    def load(cls, path, device=None):
        """A model file written by save() or `autorec train --save`, ready to predict, score
        and recommend (its settings are the file's)."""
        path = os.fspath(path)
        eng = Engine.from_file(path, device)
        cfg = eng.config()
        est = cls(device=device)
        est._set_from_config(cfg, lib.ar_checkpoint_rows(eng.checkpoint))
        est._engine = eng
        est._seen = None
        ids = path + ".ids.json"
        if os.path.exists(ids):
            with open(ids) as f:
                est._users, est._items = _data.load_maps(f.read())
        else:
            est._users, est._items = IdMap(), IdMap()
        est.history_ = []
        est._finish_loaded()
        return est

    def _finish_loaded(self):
        self.best_epoch_ = lib.ar_checkpoint_epochs_done(self._engine.checkpoint)
        self.stop_reason_ = None
        self.baseline_kept_ = None
        self.center_ = self.center  # a model file holds the centering trained, never auto
        self.lighter_ = self.tanh_ = None
        self.l2_, self.dropout_ = self.l2, self.dropout  # as trained
        self.lr_, self.activation_ = self.lr, self.activation
        self._fitted()

    def _set_from_config(self, cfg, rows):
        for name in _CONFIG:
            if name == "layers":
                self.layers = tuple(cfg.layers[:cfg.n_layers]) or None
                continue
            v = getattr(cfg, name)
            if name in _lib.enum_fields():
                v = _lib.enum_name(name, v)
            elif name in _BOOL:
                v = bool(v)
            elif isinstance(v, float):
                v = None if math.isnan(v) else _float32(v)
            setattr(self, name, v)
        self.model = "user" if rows == _ROWS["user"] else "item"

    def __getstate__(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("_engine", "_seen")}
        if self._engine is not None:
            with tempfile.TemporaryDirectory(prefix="autorec-pickle-") as tmp:
                path = os.path.join(tmp, "model.autorec")
                check(lib.ar_model_save(self._engine.model, path.encode()))
                with open(path, "rb") as f:
                    state["_model_file"] = f.read()
        return state

    def __setstate__(self, state):
        blob = state.pop("_model_file", None)
        self.__dict__.update(state)
        self._engine, self._seen = None, None
        if blob is not None:
            with tempfile.TemporaryDirectory(prefix="autorec-pickle-") as tmp:
                path = os.path.join(tmp, "model.autorec")
                with open(path, "wb") as f:
                    f.write(blob)
                self._engine = Engine.from_file(path, self.device)

    def _close(self):
        if getattr(self, "_engine", None) is not None:
            self._engine.close()
            self._engine = None


class _NotFitted(_lib.AutoRecError, ValueError):
    """Raised by predict, score, recommend and save before fit (scikit-learn's NotFittedError
    is a ValueError too)."""


class _Lines:
    """verbose=True without tqdm: a line per epoch on stderr."""

    def update(self, n):
        pass

    def set_postfix(self, values, refresh=False):
        print("autorec: " + "  ".join("%s %s" % kv for kv in values.items()), file=sys.stderr)

    def close(self):
        pass


def _write(path, data):
    """A file written as every autorec output is (ar_output: temporary, fsync, rename)."""
    out = ctypes.c_void_p()
    check(lib.ar_output_open(path.encode(), ctypes.byref(out)))
    st = lib.ar_output_write(out, data, len(data))
    if st != 0:
        lib.ar_output_abort(out)
        check(st)
    check(lib.ar_output_commit(out))
