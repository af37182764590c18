"""The ctypes structs of autorec_cl/_lib.py mirror include/autorec.h: a C program compiled
against the header prints every field's offset and every struct's size."""
import ctypes
import os
import shutil
import subprocess

import pytest

from autorec_cl import _lib

from conftest import REPO

STRUCTS = {"ar_device_info": _lib.DeviceInfo, "ar_platform_info": _lib.PlatformInfo,
           "ar_load_options": _lib.LoadOptions, "ar_train_config": _lib.TrainConfig,
           "ar_epoch_stats": _lib.EpochStats, "ar_train_result": _lib.TrainResult,
           "ar_errors": _lib.Errors, "ar_metrics": _lib.Metrics,
           "ar_topn_config": _lib.TopNConfig, "ar_topn": _lib.TopN,
           "ar_dataset_stats": _lib.DatasetStats}


def test_structs_match_the_header(tmp_path):
    header = os.path.join(REPO, "include", "autorec.h")
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not (cc and os.path.exists(header)):
        pytest.skip("needs a C compiler and include/autorec.h")
    lines, expected = [], []
    for cname, py in STRUCTS.items():
        lines.append('printf("%%zu\\n", sizeof(%s));' % cname)
        expected.append(("sizeof " + cname, ctypes.sizeof(py)))
        for field, _ in py._fields_:
            lines.append('printf("%%zu\\n", offsetof(%s, %s));' % (cname, field))
            expected.append(("%s.%s" % (cname, field), getattr(py, field).offset))
    lines.append('printf("%d\\n", AR_MAX_HIDDEN_LAYERS);')
    expected.append(("AR_MAX_HIDDEN_LAYERS", _lib.AR_MAX_HIDDEN_LAYERS))
    lines.append('printf("%d\\n", AR_PHASE_COUNT);')
    expected.append(("AR_PHASE_COUNT", _lib.AR_PHASE_COUNT))
    src = tmp_path / "layout.c"
    src.write_text('#include <stddef.h>\n#include <stdio.h>\n#include "autorec.h"\n'
                   "int main(void) {\n%s\nreturn 0;\n}\n" % "\n".join(lines))
    exe = tmp_path / "layout"
    subprocess.run([cc, "-std=c11", "-I", os.path.dirname(header), str(src), "-o", str(exe)],
                   check=True)
    got = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split()
    for (what, want), have in zip(expected, got):
        assert int(have) == want, what
    assert len(got) == len(expected)
