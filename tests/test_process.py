import numpy as np
import pytest
import torch

from identifiability.io import ArtifactError
from identifiability.synthetic.generator import apply_generator, build_generator_weights, invert_generator
from identifiability.synthetic.process import ProcessSettings, create_process, load_process, save_process


def test_generator_is_invertible_and_well_conditioned():
    rng = np.random.default_rng(0)
    w = torch.as_tensor(build_generator_weights(5, 4, 500, rng))
    assert w.shape == (4, 5, 5)
    assert np.allclose(np.linalg.norm(w.numpy(), axis=1), 1.0)      # unit-norm columns
    assert np.all(np.linalg.cond(w.numpy()) < 10)
    z = torch.randn(1000, 5, dtype=torch.float64)
    x = apply_generator(z, w)
    assert torch.allclose(invert_generator(x, w), z, atol=1e-9)
    # and it is genuinely nonlinear: no linear map explains x from z exactly
    coef, res, *_ = np.linalg.lstsq(z.numpy(), x.numpy(), rcond=None)
    assert res.sum() > 1e-3


def test_best_of_candidates_is_better_than_a_single_draw():
    conds_best = np.linalg.cond(build_generator_weights(10, 4, 1000, np.random.default_rng(1)))
    conds_one = np.linalg.cond(build_generator_weights(10, 4, 1, np.random.default_rng(1)))
    assert conds_best.max() < np.median(conds_one) or conds_best.mean() < conds_one.mean()


def test_process_file_round_trip(tmp_path):
    settings = ProcessSettings(d=4, clusters=7, N=21, eval_samples=100, generator_candidates=20)
    process, ev = create_process(settings, seed=3)
    save_process(tmp_path / "p.h5", process, ev)
    loaded, ev2 = load_process(tmp_path / "p.h5")
    assert loaded.settings == settings and loaded.seed == 3
    assert torch.equal(loaded.cluster_vectors, process.cluster_vectors)
    for k in ("labels", "classes", "z", "x"):
        assert np.array_equal(ev[k], ev2[k])
    assert np.array_equal(ev2["classes"], ev2["labels"] % 7)
    # the stored samples are what the stored process generates
    assert np.allclose(apply_generator(torch.as_tensor(ev2["z"]), loaded.generator_weights).numpy(), ev2["x"])
    # same seed, same process; other seed, other process
    again, _ = create_process(settings, seed=3)
    other, _ = create_process(settings, seed=4)
    assert torch.equal(again.generator_weights, process.generator_weights)
    assert not torch.equal(other.cluster_vectors, process.cluster_vectors)


def test_missing_and_corrupt_process_files_say_what_to_do(tmp_path):
    with pytest.raises(ArtifactError, match="not found.*synthetic_generate"):
        load_process(tmp_path / "absent.h5")
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"this is not HDF5")
    with pytest.raises(ArtifactError, match="not a readable HDF5"):
        load_process(bad)


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="conditional"):
        ProcessSettings(conditional="cauchy")
    with pytest.raises(ValueError, match="unknown process settings"):
        ProcessSettings.from_dict({"dims": 3})
