"""Procedural dSprites geometry, targets, decoding, training determinism and the stage scripts."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from identifiability.dislib import dsprites_render as dr
from identifiability.dislib.data import class_targets, read_data_file, split_indices, write_data_file
from identifiability.dislib.decode import decode_all, streamed_pearson_decoding
from identifiability.dislib.models import Classifier
from identifiability.dislib.train import ClassifierTrainSettings, train_classifier
from identifiability.linear_fit import pearson_decoding

ROOT = Path(__file__).resolve().parent.parent


def _one(shape, scale=5, orient=0, x=16, y=16):
    return dr.render(np.array([[shape, scale, orient, x, y]]))[0]


def test_square_geometry_and_position():
    img = _one(0, scale=5, x=0, y=31)                     # s = 1: 20 x 20 square
    rows, cols = np.nonzero(img)
    assert img.sum() == 400
    assert np.isclose(cols.mean() + 0.5, 16) and np.isclose(rows.mean() + 0.5, 48)  # x column, y row
    assert _one(0, scale=0).sum() == 100                  # s = 0.5: 10 x 10


def test_ellipse_horizontal_and_rotation():
    img = _one(1)
    rows, cols = np.nonzero(img)
    assert np.ptp(cols) + 1 == 26 and np.ptp(rows) + 1 == 14
    quarter = _one(1, orient=10)                          # ~ 92°: major axis vertical
    r2, c2 = np.nonzero(quarter)
    assert np.ptp(r2) > np.ptp(c2)
    np.testing.assert_array_equal(_one(1, orient=0), _one(1, orient=39))   # 0 and 2π coincide


def test_heart_lobes_up():
    img = _one(2)
    rows, cols = np.nonzero(img)
    assert 19 <= np.ptp(cols) + 1 <= 21 and 16 <= np.ptp(rows) + 1 <= 18
    top = img[rows.min():rows.min() + 2]
    assert top[:, 32].sum() == 0 and top.sum() > 0      # the notch between the lobes is at the top


def test_render_dataset_seeded():
    a, b = dr.render_dataset(50, 3, progress=lambda *_: None), dr.render_dataset(50, 3, progress=lambda *_: None)
    np.testing.assert_array_equal(a.images, b.images)
    assert len(np.unique(np.ravel_multi_index(a.factors.T, dr.FACTOR_SIZES))) == 50
    assert set(np.unique(a.images)) <= {0, 255}


def test_render_rejects_bad_factors():
    with pytest.raises(ValueError):
        dr.render(np.array([[3, 0, 0, 0, 0]]))


def test_split_and_targets():
    s = split_indices(100, 0)
    assert [len(s[k]) for k in ("train", "val", "test")] == [80, 10, 10]
    assert sorted(np.concatenate(list(s.values()))) == list(range(100))
    np.testing.assert_array_equal(split_indices(100, 0)["val"], s["val"])
    meta = {"factor_names": ["elevation", "azimuth", "object_type"], "target": "object_type",
            "factor_sizes": [4, 24, 183]}
    f = np.zeros((183, 3), int)
    f[:, 2] = np.arange(183)
    assert class_targets(f, meta)[1] == 183
    assert class_targets(f, meta, legacy_truncation=True)[1] == 138   # the reference code's merge


def test_streamed_decoding_matches_direct():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 20))
    y = x @ rng.normal(size=(20, 2)) + 0.5 * rng.normal(size=(300, 2))
    direct = [pearson_decoding(x[:200], y[:200, j], x[200:], y[200:, j]) for j in range(2)]
    streamed = streamed_pearson_decoding(x[:200], y[:200], x[200:], y[200:], chunk=64, log=lambda *_: None)
    np.testing.assert_allclose(streamed, direct, atol=1e-8)


def test_decode_all_rows():
    rng = np.random.default_rng(1)
    f = rng.integers(0, 5, size=(200, 3))
    x = np.concatenate([f, np.ones((200, 1)), rng.normal(size=(200, 4))], axis=1).astype(np.float32)
    meta = {"factor_names": ["a", "b", "c"], "target": "a", "decoded": ["c"]}
    r = decode_all(x[:150], f[:150], x[150:], f[150:], meta)
    assert list(r) == ["category", "c"] and min(r.values()) > 0.99


def test_decoding_that_fits_in_memory_imports_no_torch():
    """The decode stage of the default run (features, or the pixels of 2,000 images) is numpy's
    least squares: its process does not pay the seconds of importing torch."""
    code = ("import runpy, sys, numpy as np\n"
            "sys.argv = ['dislib_decode.py']\n"
            "stage = runpy.run_path('scripts/dislib_decode.py', run_name='stage')\n"
            "rng = np.random.default_rng(0)\n"
            "f = rng.integers(0, 5, size=(200, 2)); x = np.hstack([f, np.ones((200, 1)), rng.normal(size=(200, 3))])\n"
            "meta = {'factor_names': ['a', 'b'], 'target': 'a', 'decoded': ['b']}\n"
            "r = stage['decode_all'](x[:150], f[:150], x[150:], f[150:], meta, device='auto')\n"
            "print(min(r.values()) > 0.99, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"], out.stdout + out.stderr


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("dl") / "data.h5"
    write_data_file(path, dr.render_dataset(240, 0, progress=lambda *_: None), {"n_samples": 240}, seed=0)
    return path


def test_data_file_roundtrip(tiny_data):
    images, factors, meta = read_data_file(tiny_data)
    assert images.shape == (240, 64, 64, 1) and meta["stand_in"] and meta["target"] == "shape"
    assert meta["decoded"] == ["scale", "posX", "posY"]


def test_training_deterministic(tiny_data):
    images, factors, meta = read_data_file(tiny_data)
    labels, k = class_targets(factors, meta)
    splits = split_indices(len(images), 0)
    settings = ClassifierTrainSettings(batch_size=64, max_epochs=2)
    runs = [train_classifier("mlp", images, labels, splits, k, settings, 0, torch.device("cpu"),
                             log=lambda *_: None) for _ in range(2)]
    for key in runs[0][0]:
        torch.testing.assert_close(runs[0][0][key], runs[1][0][key])
    assert runs[0][1]["val_acc"] == runs[1][1]["val_acc"] and len(runs[0][1]["epoch"]) == 2


def test_resnet18_shapes():
    model = Classifier("resnet18", 3, 64, 7).eval()
    x = torch.zeros(2, 3, 64, 64)
    assert model.features(x).shape == (2, 512) and model(x).shape == (2, 7)


def _run(*args, check=True):
    proc = subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stdout + proc.stderr)
    return proc


def test_prepare_missing_file_exits_clearly(tmp_path):
    proc = _run("scripts/dislib_prepare.py", "--dataset", "cars3d", "--data-dir", tmp_path,
                "--out", tmp_path / "c.h5", check=False)
    assert proc.returncode == 2
    assert "car_*_mesh.mat" in proc.stderr and "scottreed.info" in proc.stderr and str(tmp_path) in proc.stderr


@pytest.mark.slow
def test_stage_scripts_end_to_end(tmp_path):
    data, run = tmp_path / "data.h5", tmp_path / "mlp/seed0"
    _run("scripts/dislib_prepare.py", "--dataset", "dsprites_procedural", "--n-samples", 300, "--out", data)
    _run("scripts/dislib_train.py", "--data", data, "--model", "mlp", "--seed", 0, "--batch-size", 64,
         "--max-epochs", 2, "--out", run / "model.pt", "--history", run / "train.json")
    _run("scripts/dislib_extract.py", "--data", data, "--model-file", run / "model.pt", "--out", run / "features.h5")
    _run("scripts/dislib_decode.py", "--data", data, "--model", "mlp", "--seed", 0, "--features",
         run / "features.h5", "--history", run / "train.json", "--out", run / "decoding.json")
    _run("scripts/dislib_decode.py", "--data", data, "--model", "input", "--seed", 0,
         "--out", tmp_path / "input.json")
    _run("scripts/dislib_report.py", "--runs", run / "decoding.json", tmp_path / "input.json",
         "--paper", "reference/paper_results.yaml", "--out", tmp_path / "table4", "--figure", tmp_path / "fig")
    rec = json.loads((run / "decoding.json").read_text())
    assert set(rec["decoding"]) == {"category", "scale", "posX", "posY"} and rec["n_train"] == 240
    table = (tmp_path / "table4.md").read_text()
    assert "stand-in" in table and "0.92 ± 0.00" in table          # paper's input posX beside ours
    for ext in ("csv", "tex"):
        assert (tmp_path / f"table4.{ext}").exists()
    assert (tmp_path / "fig.png").stat().st_size > 0
