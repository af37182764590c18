"""autorec_cl: AutoRec recommenders trained on OpenCL devices by libautorec, from Python.

    import pandas as pd, autorec_cl
    df = pd.read_csv("u1.base", sep="\\t", names=["user", "item", "rating", "ts"])
    model = autorec_cl.AutoRec(epochs=50).fit(df)
    model.predict([1, 2], [50, 100]); model.recommend(1, n=5)

The package binds include/autorec.h through ctypes and bundles libautorec; every figure comes
from the C library, as the `autorec` tool gives it.
"""
import ctypes as _ctypes

from ._estimator import AutoRec
from ._lib import (AutoRecError, AutoRecOSError, AutoRecRuntimeError, AutoRecValueError,
                   __version__, library_version)

__all__ = ["AutoRec", "devices", "AutoRecError", "AutoRecValueError", "AutoRecOSError",
           "AutoRecRuntimeError", "__version__", "library_version"]


def devices():
    """Every OpenCL device the library sees, as `autorec devices` lists them: a list of dicts
    with id ("P:D", what device= takes), index, name, platform, vendor, type ("cpu", "gpu",
    ...), memory (bytes), compute_units and opencl_c_version."""
    from ._lib import DeviceInfo, PlatformInfo, check, lib
    plats, devs = _ctypes.POINTER(PlatformInfo)(), _ctypes.POINTER(DeviceInfo)()
    n_p, n_d = _ctypes.c_int(), _ctypes.c_int()
    check(lib.ar_devices_list(_ctypes.byref(plats), _ctypes.byref(n_p), _ctypes.byref(devs),
                              _ctypes.byref(n_d)))
    try:
        out = []
        for k in range(n_d.value):
            d = devs[k]
            out.append({"id": "%d:%d" % (d.platform, d.device), "index": d.flat_index,
                        "name": d.name.decode(), "platform": d.platform_name.decode(),
                        "vendor": d.vendor.decode(), "type": d.type.decode(),
                        "memory": d.global_mem_bytes, "compute_units": d.compute_units,
                        "opencl_c_version": d.opencl_c_version.decode()})
        return out
    finally:
        lib.ar_free(plats)
        lib.ar_free(devs)
