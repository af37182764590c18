"""Ratings in: DataFrames, scipy.sparse matrices and (users, items, ratings) arrays turned into
the library's ratings lists, with the ids of any type mapped to the library's integers."""
import ctypes
import json

import numpy as np

from . import _lib
from ._lib import AR_ERR_INVALID_ARG, AutoRecValueError, check, lib

AR_MAX_ID = 2**31 - 1  # the library's ids: integers in 0..2^31-1


def _bad(msg):
    return AutoRecValueError(msg, AR_ERR_INVALID_ARG, "invalid argument")


class IdMap:
    """One kind of id (users or items): labels <-> the library's integer ids.

    Integer labels in 0..2^31-1 are passed as they are (`labels` None), as a ratings file would
    hold them: a saved model then works with `autorec eval` on files with the same ids. Any
    other labels (strings, negative or huge numbers) get the codes 0..n-1 in sorted order, kept
    in `labels`; a held-out or predicted label absent from training gets a code past them, so
    the library sees an id it has no training rating for (a cold pair).
    """

    def __init__(self, labels=None):
        self.labels = labels

    @classmethod
    def from_training(cls, values):
        v = np.asarray(values)
        if v.dtype.kind in "iu" and (v.size == 0 or (v.min() >= 0 and v.max() <= AR_MAX_ID)):
            return cls(None)
        try:
            return cls(np.unique(v))
        except TypeError as e:
            raise _bad("ids must be of one comparable type (%s)" % e) from None

    @property
    def raw(self):
        return self.labels is None

    def encode(self, values):
        """int64 ids for labels (no copy for an int64 array of raw ids)."""
        v = np.asarray(values)
        if self.raw:
            if v.dtype.kind not in "iu":
                try:
                    v = v.astype(np.int64)
                except (TypeError, ValueError):
                    raise _bad("ids must be integers, as the training ids are (got %s)"
                               % v.dtype) from None
            return np.ascontiguousarray(v, dtype=np.int64)
        n = len(self.labels)
        codes = np.full(v.shape, n, dtype=np.int64)
        if v.size and (v.dtype.kind in "iuf") == (self.labels.dtype.kind in "iuf"):
            pos = np.clip(np.searchsorted(self.labels, v), 0, max(n - 1, 0))
            found = self.labels[pos] == v if n else np.zeros(v.shape, bool)
            codes[found] = pos[found]
            unknown = ~found
        else:
            unknown = np.ones(v.shape, bool)
        if unknown.any():  # distinct unknown labels, distinct ids (a repeat stays a repeat)
            _, inverse = np.unique(v[unknown].astype(str), return_inverse=True)
            codes[unknown] = n + inverse
        return codes

    def decode(self, ids):
        ids = np.asarray(ids)
        return ids if self.raw else self.labels[ids]

    def to_json(self):
        return None if self.raw else [x.item() if hasattr(x, "item") else x for x in self.labels]

    @classmethod
    def from_json(cls, obj):
        return cls(None if obj is None else np.asarray(obj))


def dump_maps(users, items):
    return json.dumps({"format": 1, "users": users.to_json(), "items": items.to_json()})


def load_maps(text):
    obj = json.loads(text)
    return IdMap.from_json(obj["users"]), IdMap.from_json(obj["items"])


# ---- the three input kinds -------------------------------------------------------------------

def _is_frame(data):
    return hasattr(data, "columns") and hasattr(data, "iloc")


def _is_sparse(data):
    try:
        import scipy.sparse
    except ImportError:
        return False
    return scipy.sparse.issparse(data)


def _frame_columns(frame, columns):
    """The user, item and rating columns: given (a sequence of three names, or a dict from
    role to name), else found by the names the library's CSV reader knows (ar_column_role)."""
    names = list(frame.columns)
    if columns is not None:
        if isinstance(columns, dict):
            columns = [columns.get(r) for r in ("user", "item", "rating")]
        if len(columns) != 3:
            raise _bad("columns: give the user, item and rating column, in that order")
        missing = [c for c in columns if c not in names]
        if missing:
            raise _bad("columns %s not in the frame, whose columns are %s" % (missing, names))
        return list(columns)
    found = {}
    for name in names:
        role = lib.ar_column_role(str(name).encode())
        if role:
            found.setdefault(role.decode(), []).append(name)
    picked = [found.get(r, []) for r in ("user", "item", "rating")]
    if any(len(p) != 1 for p in picked):
        raise _bad("the frame's columns %s do not name one user, one item and one rating "
                   "column (names such as userId, movie_id, rating); give them with "
                   "columns=(user, item, rating)" % names)
    return [p[0] for p in picked]


def triples(data, columns=None):
    """(users, items, ratings) arrays of any input kind: a pandas DataFrame, a scipy.sparse
    matrix (rows users, columns items, zeros unobserved) or a (users, items, ratings) tuple."""
    if _is_frame(data):
        u, i, r = _frame_columns(data, columns)
        return data[u].to_numpy(), data[i].to_numpy(), data[r].to_numpy()
    if _is_sparse(data):
        coo = data.tocoo()
        keep = coo.data != 0
        return coo.row[keep], coo.col[keep], coo.data[keep]
    if isinstance(data, (tuple, list)) and len(data) == 3:
        u, i, r = (np.asarray(a) for a in data)
        if not (u.ndim == i.ndim == r.ndim == 1 and len(u) == len(i) == len(r)):
            raise _bad("(users, items, ratings): three one-dimensional arrays of one length")
        return u, i, r
    raise TypeError("ratings: a pandas DataFrame, a scipy.sparse matrix or a (users, items, "
                    "ratings) tuple of arrays, not %s" % type(data).__name__)


class Ratings:
    """A library ratings list (ar_ratings), freed with the object."""

    def __init__(self, users, items, ratings):
        u = np.ascontiguousarray(users, dtype=np.int64)
        i = np.ascontiguousarray(items, dtype=np.int64)
        try:
            r = np.ascontiguousarray(ratings, dtype=np.float32)
        except (TypeError, ValueError):
            raise _bad("ratings must be numbers") from None
        self.ptr = ctypes.c_void_p()
        check(lib.ar_ratings_from_arrays(_lib.as_ptr(u, ctypes.c_int64),
                                         _lib.as_ptr(i, ctypes.c_int64),
                                         _lib.as_ptr(r, ctypes.c_float), len(r),
                                         ctypes.byref(self.ptr)))

    @classmethod
    def adopt(cls, ptr):
        self = cls.__new__(cls)
        self.ptr = ptr
        return self

    def __len__(self):
        return lib.ar_ratings_count(self.ptr)

    def merge_duplicates(self, how):
        if how != 0:  # AR_DUP_ERROR: ar_dataset_create names the repeated pair
            check(lib.ar_ratings_merge_duplicates(self.ptr, how))

    def split(self, ratio, seed):
        a, b = ctypes.c_void_p(), ctypes.c_void_p()
        check(lib.ar_ratings_split(self.ptr, ratio, seed, ctypes.byref(a), ctypes.byref(b)))
        return Ratings.adopt(a), Ratings.adopt(b)

    def __del__(self):
        if getattr(self, "ptr", None) and self.ptr.value:
            lib.ar_ratings_free(self.ptr)
            self.ptr = None


def read_pairs(ptr):
    """The (users, items) ids of a library ratings list, read back through ar_ratings_get."""
    n = lib.ar_ratings_count(ptr)
    u, i = ctypes.c_int64(), ctypes.c_int64()
    users, items = np.empty(n, np.int64), np.empty(n, np.int64)
    for k in range(n):
        lib.ar_ratings_get(ptr, k, ctypes.byref(u), ctypes.byref(i), None)
        users[k], items[k] = u.value, i.value
    return users, items
