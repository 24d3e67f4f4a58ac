"""End to end: index -> extraction -> decoding -> Figure 3 on real photographs (shipped with
scikit-image and matplotlib) saved under the names of ImageNet-X annotated images, with the
randomly initialised networks and the input projection (no weights needed)."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

from identifiability.imagenetx import models
from identifiability.imagenetx.annotations import FACTORS, load_annotations
from identifiability.imagenetx.extract import extract, partial_path
from identifiability.imagenetx.features import read_features

from identifiability.imagenetx.sample_photos import make_image_dir  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("resnet50_random", "vit_b_16_random", "input_projection")
DIMS = {"resnet50_random": 2048, "vit_b_16_random": 768, "input_projection": 2048}


def run(script, *args):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / script), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT)
    return proc


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("imagenetx")
    rows = make_image_dir(tmp / "val", load_annotations(), per_cell=2)
    proc = run("imagenetx_index.py", "--image-dir", tmp / "val", "--min-images", 6,
               "--out", tmp / "index.csv", "--summary", tmp / "index.json")
    assert proc.returncode == 0, proc.stderr
    for model in MODELS:
        proc = run("imagenetx_extract.py", "--index", tmp / "index.csv", "--model", model,
                   "--seed", 0, "--batch-size", 4, "--chunk-images", 8, "--threads", 2,
                   "--out", tmp / f"{model}.h5")
        assert proc.returncode == 0, proc.stderr
        proc = run("imagenetx_decode.py", "--features", tmp / f"{model}.h5", "--index",
                   tmp / "index.csv", "--seeds", 0, 1, 2, "--min-minority", 4,
                   "--out", tmp / f"{model}.csv")
        assert proc.returncode == 0, proc.stderr
    proc = run("imagenetx_report.py", "--decoding", *[tmp / f"{m}.csv" for m in MODELS],
               "--stem", tmp / "figure3")
    assert proc.returncode == 0, proc.stderr
    return tmp, rows


@pytest.mark.slow
def test_chain_outputs(chain):
    tmp, rows = chain
    index = pd.read_csv(tmp / "index.csv")
    assert index["file_name"].tolist() == rows["file_name"].tolist()
    assert json.loads((tmp / "index.json").read_text())["n_matched"] == len(rows) == 8
    for model in MODELS:
        feats, names, info = read_features(tmp / f"{model}.h5")
        assert feats.shape == (8, DIMS[model]) and names == index["file_name"].tolist()
        assert np.isfinite(feats).all() and feats.std(axis=0).max() > 0
        assert info["model"] == model and info["seed"] == 0
        assert not partial_path(tmp / f"{model}.h5").exists()
    per_seed = pd.read_csv(tmp / "figure3_per_seed.csv")
    assert set(per_seed["model"]) == set(MODELS) and set(per_seed["factor"]) == set(FACTORS)
    decoded = per_seed[per_seed["status"] == "ok"]
    # pose and class have 4 of 8 positives: decoded; every other factor is skipped (< 4).
    assert set(decoded["factor"]) == {"pose", "class"}
    assert decoded["accuracy"].between(0, 1).all() and decoded["auc"].between(0, 1).all()
    summary = pd.read_csv(tmp / "figure3_summary.csv")
    assert summary["n_tests"].iloc[0] == 6
    assert summary["alpha_bonferroni"].iloc[0] == pytest.approx(0.05 / 6)
    for ext in ("pdf", "png"):
        assert (tmp / f"figure3.{ext}").stat().st_size > 10_000
    assert (tmp / "figure3_summary.md").exists() and (tmp / "figure3_summary.tex").exists()


@pytest.mark.slow
def test_interrupted_extraction_resumes_to_the_same_features(chain, tmp_path):
    tmp, _ = chain
    index = pd.read_csv(tmp / "index.csv")
    out = tmp_path / "proj.h5"
    rep = models.build("input_projection", seed=0)
    assert extract(index, rep, out, device=torch.device("cpu"), batch_size=4, chunk_images=4,
                   stop_after=4) is None
    assert not out.exists()
    with h5py.File(partial_path(out), "r") as f:
        assert f.attrs["n_done"] == 4
    assert extract(index, rep, out, device=torch.device("cpu"), batch_size=4,
                   chunk_images=4) == out
    resumed, _, _ = read_features(out)
    reference, _, _ = read_features(tmp / "input_projection.h5")
    np.testing.assert_allclose(resumed, reference, rtol=1e-4, atol=1e-5)
    # A partial file made with other settings (here: another seed) is not reused.
    other = dataclasses.replace(rep, info=dict(rep.info, seed=1))
    out2 = tmp_path / "proj1.h5"
    extract(index, rep, out2, device=torch.device("cpu"), batch_size=4, chunk_images=4, stop_after=4)
    extract(index, other, out2, device=torch.device("cpu"), batch_size=4, chunk_images=4,
            stop_after=4)
    with h5py.File(partial_path(out2), "r") as f:
        assert f.attrs["n_done"] == 4 and json.loads(f.attrs["settings"])["seed"] == 1


def test_stage_errors_are_one_clear_line(tmp_path):
    proc = run("imagenetx_index.py", "--image-dir", tmp_path / "nowhere", "--out",
               tmp_path / "i.csv", "--summary", tmp_path / "i.json")
    assert proc.returncode == 2 and "image-net.org" in proc.stderr
    (tmp_path / "idx.csv").write_text("file_name,path\nILSVRC2012_val_00000001.JPEG,/x.JPEG\n")
    proc = run("imagenetx_extract.py", "--index", tmp_path / "idx.csv", "--model", "vit_b_16",
               "--weights", tmp_path / "missing.pth", "--out", tmp_path / "f.h5")
    assert proc.returncode == 2 and "download.pytorch.org/models/vit_b_16-c867db91.pth" in proc.stderr
    proc = run("imagenetx_decode.py", "--features", tmp_path / "f.h5", "--index",
               tmp_path / "idx.csv", "--out", tmp_path / "d.csv")
    assert proc.returncode == 2 and "imagenetx_extract.py" in proc.stderr


def snakemake_dry_run(tmp_path, imagenetx, *targets):
    import yaml
    cfg = {"results": str(tmp_path / "results"), "synthetic": {"seeds": [0], "tables": {}},
           "imagenetx": imagenetx}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return subprocess.run([sys.executable, "-m", "snakemake", "-n", *targets, "--cores", "1",
                           "--configfile", str(path)], capture_output=True, text=True, cwd=ROOT)


def test_workflow_plans_and_explains_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_torch_home"))
    (tmp_path / "val").mkdir()
    ready = {"enabled": True, "image_dir": str(tmp_path / "val"),
             "models": list(MODELS), "min_images": 4}
    proc = snakemake_dry_run(tmp_path, ready)
    assert proc.returncode == 0, proc.stderr
    for rule, count in (("imagenetx_index", 1), ("imagenetx_extract", 3),
                        ("imagenetx_decode", 3), ("imagenetx_report", 1)):
        assert any(line.split()[:2] == [rule, str(count)] for line in proc.stdout.splitlines()), proc.stdout
    # Pretrained models without weights, and no image folder: stop, naming both.
    proc = snakemake_dry_run(tmp_path, {"enabled": True, "models": ["resnet50"]})
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "imagenetx.image_dir is not set" in out and "resnet50-11ad3fa6.pth" in out
    # auto: skipped with a notice; the default target plans without it.
    proc = snakemake_dry_run(tmp_path, {"enabled": "auto", "image_dir": str(tmp_path / "nope")})
    assert proc.returncode == 0 and "ImageNet-X skipped" in proc.stdout + proc.stderr
    assert "imagenetx_extract" not in proc.stdout
