"""The library's objects behind a fitted estimator: a context, a dataset, a model (and, for a
loaded one, its checkpoint), freed together in the right order; and training on a worker thread
so that Ctrl-C reaches the main thread while the library trains."""
import ctypes
import signal
import threading

from ._lib import (AR_ERR_INTERRUPTED, AR_OK, EpochCallback, Metrics, TrainConfig, TrainResult,
                   check, error_for, lib)


def make_context(device):
    ctx = ctypes.c_void_p()
    check(lib.ar_ctx_create(None if device is None else str(device).encode(),
                            ctypes.byref(ctx)))
    return ctx


def make_dataset(train, valid, test, rows):
    ds = ctypes.c_void_p()
    check(lib.ar_dataset_create_ex(train, valid, test, rows, ctypes.byref(ds)))
    return ds


class Engine:
    """ctx + dataset + model (+ checkpoint, + the ratings lists the dataset was built from)."""

    def __init__(self, ctx, ds, model, keep=(), checkpoint=None):
        self.ctx, self.ds, self.model = ctx, ds, model
        self.keep = list(keep)  # Ratings objects: freed after the dataset
        self.checkpoint = checkpoint

    @classmethod
    def create(cls, device, ds_parts, rows, cfg):
        """A new model on a dataset built from (train, valid, test) Ratings (valid, test may be
        None)."""
        ctx = make_context(device)
        ds = model = None
        try:
            ptrs = [p.ptr if p is not None else None for p in ds_parts]
            ds = make_dataset(*ptrs, rows)
            model = ctypes.c_void_p()
            check(lib.ar_model_create(ctx, ds, ctypes.byref(cfg), ctypes.byref(model)))
        except BaseException:
            if ds is not None:
                lib.ar_dataset_free(ds)
            lib.ar_ctx_free(ctx)
            raise
        return cls(ctx, ds, model, keep=[p for p in ds_parts if p is not None])

    @classmethod
    def from_file(cls, path, device, test=None):
        """A saved model (ar_model_create_from), on its training ratings and an optional test
        list (Ratings)."""
        ck = ctypes.c_void_p()
        check(lib.ar_checkpoint_read(str(path).encode(), ctypes.byref(ck)))
        ctx = ds = None
        try:
            ctx = make_context(device)
            ds = make_dataset(lib.ar_checkpoint_train(ck), None,
                              test.ptr if test is not None else None,
                              lib.ar_checkpoint_rows(ck))
            model = ctypes.c_void_p()
            check(lib.ar_model_create_from(ctx, ds, ck, None, ctypes.byref(model)))
        except BaseException:
            if ds is not None:
                lib.ar_dataset_free(ds)
            if ctx is not None:
                lib.ar_ctx_free(ctx)
            lib.ar_checkpoint_free(ck)
            raise
        return cls(ctx, ds, model, keep=[test] if test is not None else [], checkpoint=ck)

    def config(self):
        cfg = TrainConfig()
        if self.checkpoint is not None:
            lib.ar_checkpoint_config(self.checkpoint, ctypes.byref(cfg))
        return cfg

    def metrics(self):
        out = Metrics()
        check(lib.ar_model_evaluate_metrics(self.model, ctypes.byref(out)))
        return out

    def train(self, on_epoch):
        """ar_model_train on a worker thread; on_epoch(stats, result) after every epoch. Returns
        (TrainResult, interrupted). Ctrl-C (SIGINT, handled here while the run lasts) asks the
        library to stop before its next batch (ar_model_interrupt); the run then ends in its
        selected epoch's state and interrupted is True."""
        result = TrainResult()
        failure = []

        def callback(_user, stats, res):
            try:
                on_epoch(stats.contents, res.contents)
                return AR_OK
            except BaseException as e:  # raised again on the calling thread
                failure.append(e)
                return AR_ERR_INTERRUPTED

        cb = EpochCallback(callback)

        def run():
            st = lib.ar_model_train(self.model, cb, None, ctypes.byref(result))
            if st not in (AR_OK, AR_ERR_INTERRUPTED):
                failure.append(error_for(st))  # ar_last_error is this thread's

        worker = threading.Thread(target=run, name="autorec-train", daemon=True)
        interrupted = []

        def on_sigint(_signum, _frame):  # Ctrl-C: the library stops before its next batch
            interrupted.append(True)
            lib.ar_model_interrupt(self.model)

        try:
            previous = signal.signal(signal.SIGINT, on_sigint)
        except ValueError:  # not the main thread: no Ctrl-C to catch
            previous = None
        try:
            worker.start()
            while worker.is_alive():
                worker.join(0.05)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        if failure:
            raise failure[0]
        return result, bool(interrupted)

    def close(self):
        if self.model is not None:
            lib.ar_model_free(self.model)
        if self.ds is not None:
            lib.ar_dataset_free(self.ds)
        if self.checkpoint is not None:
            lib.ar_checkpoint_free(self.checkpoint)
        if self.ctx is not None:
            lib.ar_ctx_free(self.ctx)
        self.model = self.ds = self.checkpoint = self.ctx = None
        self.keep = []

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
