"""The package and the `autorec` tool give the same numbers: one training configuration run
both ways on the same data and device has the same per-epoch figures (the validation set
carved alike), and each reads the other's model files."""
import csv
import json
import subprocess

import pytest

import autorec_cl
from autorec_cl import AutoRec

from conftest import write_tsv

COLUMNS = ("loss", "train_rmse", "valid_rmse", "test_rmse", "train_mae", "valid_mae",
           "test_mae")


def six(x):
    """x as the tool prints it: 6 significant digits."""
    return float("%.6g" % x)


def run(cli, *args):
    p = subprocess.run([cli, *args], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.mark.parametrize("settings", [
    {"hidden": 24, "epochs": 6},
    {"hidden": 12, "epochs": 4, "model": "user", "kernels": "dense", "activation": "relu",
     "center": "none", "valid_ratio": 0},
])
def test_same_epochs_as_autorec_train(cli, data, tmp_path, settings):
    train, test = data
    device = autorec_cl.devices()[0]["id"]
    flags = []
    for k, v in settings.items():
        flags += ["--" + k.replace("_", "-"), str(v)]
    metrics = tmp_path / "m.csv"
    run(cli, "train", "--train", write_tsv(tmp_path / "tr.tsv", train), "--test",
        write_tsv(tmp_path / "te.tsv", test), "--device", device, "--metrics", str(metrics),
        "--quiet", *flags)
    with open(metrics) as f:
        rows = list(csv.DictReader(f))
    m = AutoRec(device=device, verbose=False, **settings).fit(train, test=test)
    # with a validation set, center "auto" (the default) trains a bias run, then an input run,
    # and try_lighter and try_tanh (the defaults) one more each, as --lighter and --tanh try do
    valid = settings.get("valid_ratio", 1)
    runs = (2 if settings.get("center", "auto") == "auto" and valid else 1) + (2 if valid else 0)
    assert len(rows) == len(m.history_) == runs * settings["epochs"]
    for row, (_, py) in zip(rows, m.history_.iterrows()):
        assert int(row["epoch"]) == py.epoch
        assert row["center"] == py.center
        assert int(row["lighter"]) == py.lighter
        assert int(row["tanh"]) == py.tanh
        for c in COLUMNS:
            if row[c] == "":  # NaN: no validation set
                assert py[c] != py[c], c
            else:  # the CSV holds 6 significant digits (%.6g)
                assert six(py[c]) == float(row[c]), (c, py.epoch)


def test_model_files_go_both_ways(cli, data, tmp_path):
    train, test = data
    te = write_tsv(tmp_path / "te.tsv", test)
    m = AutoRec(hidden=16, epochs=5, verbose=False).fit(train)
    m.save(tmp_path / "py.autorec")
    ours = m.score(test)
    theirs = json.loads(run(cli, "eval", "--model", str(tmp_path / "py.autorec"), "--test", te,
                            "--json").splitlines()[-1])
    assert theirs["test_rmse"] == six(ours["rmse"])
    assert theirs["test_mae"] == six(ours["mae"])
    run(cli, "train", "--train", write_tsv(tmp_path / "tr.tsv", train), "--test", te,
        "--hidden", "16", "--epochs", "5", "--save", str(tmp_path / "cli.autorec"), "--quiet")
    loaded = AutoRec.load(tmp_path / "cli.autorec")
    theirs = json.loads(run(cli, "eval", "--model", str(tmp_path / "cli.autorec"), "--test", te,
                            "--json").splitlines()[-1])
    assert six(loaded.score(test)["rmse"]) == theirs["test_rmse"]
    assert loaded.hidden == 16 and loaded.epochs_done_ == theirs["epochs"]
