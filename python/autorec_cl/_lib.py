"""The binding: libautorec loaded with ctypes, the structs and functions of include/autorec.h
that the package uses, and the library's statuses turned into Python exceptions.

Nothing here computes anything: every figure comes from the C library. The structs mirror the
header field by field; tests/test_layout.py compiles the header and checks every offset.
"""
import ctypes
import os
import re
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_float, c_int,
                    c_int64, c_size_t, c_uint, c_uint64, c_void_p)

_HERE = os.path.dirname(os.path.abspath(__file__))

# ---- errors ----------------------------------------------------------------------------------

AR_OK = 0
AR_ERR_INVALID_ARG = -1
AR_ERR_IO = -2
AR_ERR_PARSE = -3
AR_ERR_NO_PLATFORM = -4
AR_ERR_NO_DEVICE = -5
AR_ERR_INTERRUPTED = -11


class AutoRecError(Exception):
    """An error reported by libautorec: the library's one-line message, its status code
    (`status`) and the status' name (`status_name`)."""

    def __init__(self, message, status=0, status_name=""):
        super().__init__(message)
        self.status = status
        self.status_name = status_name


class AutoRecValueError(AutoRecError, ValueError):
    """A bad argument or malformed input (invalid argument, malformed input, no such device)."""


class AutoRecOSError(AutoRecError, OSError):
    """A file could not be read or written."""


class AutoRecRuntimeError(AutoRecError, RuntimeError):
    """The device or the run failed: OpenCL, CLBlast, kernel build, memory, divergence."""


def _error_class(status):
    if status in (AR_ERR_INVALID_ARG, AR_ERR_PARSE, AR_ERR_NO_DEVICE):
        return AutoRecValueError
    if status == AR_ERR_IO:
        return AutoRecOSError
    return AutoRecRuntimeError


def error_for(status):
    """The exception for a failed call, with the message this thread's last error holds (call
    it on the thread that made the call: ar_last_error is per thread)."""
    msg = lib.ar_last_error().decode("utf-8", "replace")
    name = lib.ar_status_string(status).decode()
    return _error_class(status)(msg or name, status, name)


def check(status):
    if status != AR_OK:
        raise error_for(status)


# ---- structs (include/autorec.h) -------------------------------------------------------------

AR_MAX_HIDDEN_LAYERS = 8
AR_PHASE_COUNT = 13


class DeviceInfo(Structure):
    _fields_ = [("platform", c_int), ("device", c_int), ("flat_index", c_int),
                ("platform_name", c_char * 128), ("platform_version", c_char * 128),
                ("name", c_char * 256), ("vendor", c_char * 128), ("type", c_char * 32),
                ("opencl_c_version", c_char * 64), ("compute_units", c_uint),
                ("global_mem_bytes", c_uint64), ("max_alloc_bytes", c_uint64)]


class PlatformInfo(Structure):
    _fields_ = [("platform", c_int), ("name", c_char * 128), ("vendor", c_char * 128),
                ("version", c_char * 128), ("n_devices", c_int)]


class LoadOptions(Structure):
    _fields_ = [("format", c_int), ("columns", c_char_p), ("delimiter", c_char),
                ("skip_bad", c_int), ("rating_min", c_float), ("rating_max", c_float),
                ("duplicates", c_int), ("progress", c_void_p), ("progress_user", c_void_p)]


class TrainConfig(Structure):
    _fields_ = [("hidden", c_int), ("n_layers", c_int), ("layers", c_int * AR_MAX_HIDDEN_LAYERS),
                ("epochs", c_int), ("batch", c_int), ("lr", c_float), ("lr_decay", c_float),
                ("l2", c_float), ("dropout", c_float), ("input_dropout", c_float),
                ("input_noise", c_int), ("activation", c_int), ("out_activation", c_int),
                ("seed", c_uint64), ("beta1", c_float), ("beta2", c_float), ("eps", c_float),
                ("rating_min", c_float), ("rating_max", c_float), ("default_rating", c_float),
                ("kernels", c_int), ("center", c_int), ("patience", c_int),
                ("min_improvement", c_float), ("baseline_fallback", c_int),
                ("try_lighter", c_int), ("try_tanh", c_int)]


class EpochStats(Structure):
    _fields_ = [("epoch", c_int), ("loss", c_double), ("train_rmse", c_double),
                ("valid_rmse", c_double), ("test_rmse", c_double), ("epoch_seconds", c_double),
                ("eval_seconds", c_double), ("phase_seconds", c_double * AR_PHASE_COUNT),
                ("train_mae", c_double), ("valid_mae", c_double), ("test_mae", c_double)]


class TrainResult(Structure):
    _fields_ = [("stop", c_int), ("epochs_run", c_int), ("last_epoch", c_int),
                ("selected_epoch", c_int), ("selected", EpochStats), ("last", EpochStats),
                ("baseline_kept", c_int), ("network_epoch", c_int),
                ("network_valid_rmse", c_double), ("center", c_int),
                ("auto_valid_rmse", c_double * 2), ("auto_epoch", c_int * 2),
                ("auto_epochs_run", c_int * 2), ("lighter", c_int),
                ("given_valid_rmse", c_double), ("lighter_valid_rmse", c_double),
                ("lighter_epoch", c_int), ("lighter_epochs_run", c_int),
                ("tanh_run", c_int), ("tanh_valid_rmse", c_double), ("tanh_epoch", c_int),
                ("tanh_epochs_run", c_int)]


class Errors(Structure):
    _fields_ = [("rmse", c_double), ("mae", c_double), ("n", c_size_t)]


class Metrics(Structure):
    _fields_ = [("train", Errors), ("valid", Errors), ("test", Errors)]


class TopNConfig(Structure):
    _fields_ = [("k", c_int), ("relevant", c_float)]


class TopN(Structure):
    _fields_ = [("precision", c_double), ("recall", c_double), ("ndcg", c_double),
                ("hit_rate", c_double), ("users", c_size_t), ("relevant", c_size_t)]


class DatasetStats(Structure):
    _fields_ = [("rows_are", c_int), ("n_users", c_int), ("n_items", c_int),
                ("n_train", c_size_t), ("n_test", c_size_t), ("n_test_cold", c_size_t),
                ("n_valid", c_size_t), ("n_valid_cold", c_size_t), ("rating_min", c_float),
                ("rating_max", c_float), ("train_mean", c_double)]


EpochCallback = CFUNCTYPE(c_int, c_void_p, POINTER(EpochStats), POINTER(TrainResult))

# ---- the library -----------------------------------------------------------------------------

_P = c_void_p  # every opaque handle
_I64P = POINTER(c_int64)
_F32P = POINTER(c_float)

# name: (return type, argument types)
_FUNCTIONS = {
    "ar_version": (c_char_p, []),
    "ar_status_string": (c_char_p, [c_int]),
    "ar_last_error": (c_char_p, []),
    "ar_devices_list": (c_int, [POINTER(POINTER(PlatformInfo)), POINTER(c_int),
                                POINTER(POINTER(DeviceInfo)), POINTER(c_int)]),
    "ar_ctx_create": (c_int, [c_char_p, POINTER(_P)]),
    "ar_ctx_free": (None, [_P]),
    "ar_ctx_device": (POINTER(DeviceInfo), [_P]),
    "ar_load_options_default": (None, [POINTER(LoadOptions)]),
    "ar_column_role": (c_char_p, [c_char_p]),
    "ar_duplicates_name": (c_char_p, [c_int]),
    "ar_duplicates_parse": (c_int, [c_char_p, POINTER(c_int)]),
    "ar_ratings_from_arrays": (c_int, [_I64P, _I64P, _F32P, c_size_t, POINTER(_P)]),
    "ar_ratings_merge_duplicates": (c_int, [_P, c_int]),
    "ar_ratings_split": (c_int, [_P, c_double, c_uint64, POINTER(_P), POINTER(_P)]),
    "ar_ratings_count": (c_size_t, [_P]),
    "ar_ratings_get": (None, [_P, c_size_t, _I64P, _I64P, _F32P]),
    "ar_ratings_free": (None, [_P]),
    "ar_dataset_create_ex": (c_int, [_P, _P, _P, c_int, POINTER(_P)]),
    "ar_dataset_free": (None, [_P]),
    "ar_dataset_get_stats": (None, [_P, POINTER(DatasetStats)]),
    "ar_activation_name": (c_char_p, [c_int]),
    "ar_activation_parse": (c_int, [c_char_p, POINTER(c_int)]),
    "ar_kernel_path_name": (c_char_p, [c_int]),
    "ar_kernel_path_parse": (c_int, [c_char_p, POINTER(c_int)]),
    "ar_input_noise_name": (c_char_p, [c_int]),
    "ar_input_noise_parse": (c_int, [c_char_p, POINTER(c_int)]),
    "ar_center_name": (c_char_p, [c_int]),
    "ar_center_parse": (c_int, [c_char_p, POINTER(c_int)]),
    "ar_stop_reason_name": (c_char_p, [c_int]),
    "ar_train_config_default": (None, [POINTER(TrainConfig)]),
    "ar_train_config_validate": (c_int, [POINTER(TrainConfig)]),
    "ar_model_create": (c_int, [_P, _P, POINTER(TrainConfig), POINTER(_P)]),
    "ar_model_free": (None, [_P]),
    "ar_model_train": (c_int, [_P, EpochCallback, c_void_p, POINTER(TrainResult)]),
    "ar_model_interrupt": (None, [_P]),
    "ar_model_evaluate_metrics": (c_int, [_P, POINTER(Metrics)]),
    "ar_model_rating_scale": (None, [_P, _F32P, _F32P, _F32P]),
    "ar_model_epochs_done": (c_int, [_P]),
    "ar_model_kernels": (c_int, [_P]),
    "ar_model_config": (POINTER(TrainConfig), [_P]),
    "ar_model_predict": (c_int, [_P, _I64P, _I64P, c_size_t, _F32P]),
    "ar_topn_config_default": (None, [POINTER(TopNConfig)]),
    "ar_ensemble_topn": (c_int, [POINTER(_P), c_int, POINTER(TopNConfig), POINTER(TopN)]),
    "ar_model_save": (c_int, [_P, c_char_p]),
    "ar_checkpoint_read": (c_int, [c_char_p, POINTER(_P)]),
    "ar_checkpoint_free": (None, [_P]),
    "ar_checkpoint_train": (_P, [_P]),
    "ar_checkpoint_rows": (c_int, [_P]),
    "ar_checkpoint_config": (None, [_P, POINTER(TrainConfig)]),
    "ar_checkpoint_epochs_done": (c_int, [_P]),
    "ar_model_create_from": (c_int, [_P, _P, _P, POINTER(TrainConfig), POINTER(_P)]),
    "ar_output_open": (c_int, [c_char_p, POINTER(_P)]),
    "ar_output_write": (c_int, [_P, c_void_p, c_size_t]),
    "ar_output_commit": (c_int, [_P]),
    "ar_output_abort": (None, [_P]),
}


def _library_path():
    """$AUTOREC_LIB (a build tree's libautorec.so), else the copy inside the package."""
    env = os.environ.get("AUTOREC_LIB")
    if env:
        return env
    for name in ("libautorec.so", "libautorec.dylib", "autorec.dll"):
        path = os.path.join(_HERE, name)
        if os.path.exists(path):
            return path
    raise ImportError("autorec_cl: libautorec is not in the package (%s); install the package "
                      "with 'pip install ./python', or point AUTOREC_LIB at a build's "
                      "libautorec.so" % _HERE)


def _load():
    # CDLL, not PyDLL: the GIL is released during every call, training included.
    dll = ctypes.CDLL(_library_path())
    for name, (res, args) in _FUNCTIONS.items():
        f = getattr(dll, name)
        f.restype = res
        f.argtypes = args
    dll.ar_free = ctypes.CDLL(None).free  # the C library's free, for ar_devices_list's arrays
    dll.ar_free.argtypes = [c_void_p]
    dll.ar_free.restype = None
    return dll


def package_version():
    """The version the package was built with (python/autorec_cl/_version.py, written by the
    build), else, running from the source tree, the header's next to it."""
    try:
        from ._version import __version__
        return __version__
    except ImportError:
        header = os.path.join(_HERE, "..", "..", "include", "autorec.h")
        with open(header) as f:
            return re.search(r'AR_VERSION_STRING "([^"]+)"', f.read()).group(1)


lib = _load()
library_version = lib.ar_version().decode()
__version__ = package_version()
if library_version != __version__:
    raise ImportError("autorec_cl %s cannot use libautorec %s (%s): the versions must match"
                      % (__version__, library_version, _library_path()))


# ---- names of the library's enums ------------------------------------------------------------

_ENUMS = {  # setting: (name function, parse function)
    "activation": ("ar_activation_name", "ar_activation_parse"),
    "out_activation": ("ar_activation_name", "ar_activation_parse"),
    "kernels": ("ar_kernel_path_name", "ar_kernel_path_parse"),
    "input_noise": ("ar_input_noise_name", "ar_input_noise_parse"),
    "center": ("ar_center_name", "ar_center_parse"),
    "duplicates": ("ar_duplicates_name", "ar_duplicates_parse"),
}


def enum_name(setting, value):
    return getattr(lib, _ENUMS[setting][0])(value).decode()


def enum_parse(setting, name):
    """The library's value for a name (its parser, its message on failure)."""
    if not isinstance(name, str):
        raise AutoRecValueError("%s must be a name, not %r" % (setting, name),
                                AR_ERR_INVALID_ARG, "invalid argument")
    out = c_int()
    check(getattr(lib, _ENUMS[setting][1])(name.encode(), ctypes.byref(out)))
    return out.value


def enum_fields():
    return set(_ENUMS) - {"duplicates"}


def as_ptr(array, ctype):
    """A pointer into a contiguous NumPy array (no copy)."""
    return array.ctypes.data_as(POINTER(ctype))

