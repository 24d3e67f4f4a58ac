"""Runs of different per-run settings (w_norm, feature_norm, beta, label noise, process) trained
stacked in one RunBatch: each must equal the same run trained alone."""

import json
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

import pytest
import torch

from identifiability.synthetic.process import ProcessSettings, create_process, save_process
from identifiability.synthetic.train import (PER_RUN_FIELDS, RunBatch, TrainSettings, save_checkpoint,
                                             train_runs)

REPO = Path(__file__).resolve().parent.parent
SMALL = ProcessSettings(d=3, clusters=6, N=30, eval_samples=64, generator_candidates=20)
CPU = torch.device("cpu")
BASE = TrainSettings(steps=40, batch_size=64, lr=3e-3, checkpoint_every=0)
# (process, training) of four runs that differ in every per-run field and in the process
MIXED = [
    (replace(SMALL, kappa=10.0), replace(BASE, w_norm=True)),
    (replace(SMALL, kappa=50.0), replace(BASE, feature_norm=True, beta="fixed", label_noise=0.2)),
    (replace(SMALL, conditional="laplace"), replace(BASE, label_noise=0.1)),
    (replace(SMALL, kappa=10.0), replace(BASE, feature_norm=True, w_norm=True, beta="fixed")),
]


def _mixed_processes():
    return [create_process(p, seed)[0] for seed, (p, _) in enumerate(MIXED)]


def _mixed_settings():
    return [t for _, t in MIXED]


def _assert_run_equal(batch, r, alone, a=0):
    for name in batch.params:
        torch.testing.assert_close(batch.params[name][r], alone.params[name][a], rtol=1e-7, atol=1e-9)
    for name in batch.buffers:
        torch.testing.assert_close(batch.buffers[name][r], alone.buffers[name][a], rtol=1e-7, atol=1e-9)


def test_runs_of_different_settings_stacked_equal_each_run_alone():
    """float64, as in test_training's batch-vs-alone test: the comparison is about the algorithm."""
    procs, settings = _mixed_processes(), _mixed_settings()
    together = RunBatch(settings, procs, CPU, dtype=torch.float64)
    alone = [RunBatch(s, [p], CPU, dtype=torch.float64) for s, p in zip(settings, _mixed_processes())]
    for _ in range(BASE.steps):
        loss = together.train_step()
        for r, batch in enumerate(alone):
            torch.testing.assert_close(loss[r], batch.train_step()[0], rtol=1e-7, atol=1e-9)
    for r, batch in enumerate(alone):
        _assert_run_equal(together, r, batch)
    log_beta = together.params["log_beta"].detach()
    assert log_beta[1] == 0 and log_beta[3] == 0, "a fixed-beta run must keep beta = 1 exactly"
    assert log_beta[0] != 0 and log_beta[2] != 0, "learned-beta runs must have moved beta"
    assert together.shape.learn_beta == (True, False, True, False)
    assert [s.w_norm for s in together.shapes] == [True, False, False, True]


def test_shared_switch_stays_one_bool():
    """Runs that agree on a switch keep it scalar: the unmasked fast path."""
    settings = [replace(BASE, w_norm=True), replace(BASE, w_norm=True, label_noise=0.3)]
    batch = RunBatch(settings, [create_process(SMALL, s)[0] for s in (0, 1)], CPU)
    assert batch.shape.w_norm is True and batch.shape.feature_norm is False and batch.shape.learn_beta is True


def test_checkpoints_move_between_stacked_and_alone():
    """A checkpoint of a run written inside a mixed batch resumes alone, and one written alone
    resumes inside a mixed batch, both to the uninterrupted run (fixed beta has no Adam state)."""
    settings, half = _mixed_settings(), BASE.steps // 2
    straight = RunBatch(settings, _mixed_processes(), CPU, dtype=torch.float64)
    for _ in range(BASE.steps):
        straight.train_step()

    stacked = RunBatch(settings, _mixed_processes(), CPU, dtype=torch.float64)
    alone = [RunBatch(s, [p], CPU, dtype=torch.float64) for s, p in zip(settings, _mixed_processes())]
    for _ in range(half):
        stacked.train_step()
        for batch in alone:
            batch.train_step()
    assert "log_beta" not in stacked.run_state(1)["adam"] and "log_beta" in stacked.run_state(0)["adam"]

    resumed_alone = [RunBatch(s, [p], CPU, dtype=torch.float64) for s, p in zip(settings, _mixed_processes())]
    for r, batch in enumerate(resumed_alone):
        batch.load_run_states([stacked.run_state(r)])
    resumed_stacked = RunBatch(settings, _mixed_processes(), CPU, dtype=torch.float64)
    resumed_stacked.load_run_states([batch.run_state(0) for batch in alone])
    for _ in range(half):
        resumed_stacked.train_step()
        for batch in resumed_alone:
            batch.train_step()
    for r, batch in enumerate(resumed_alone):
        _assert_run_equal(straight, r, batch)
        _assert_run_equal(straight, r, resumed_stacked, r)


def test_resume_compares_each_runs_own_settings(tmp_path):
    settings = [replace(s, steps=4, checkpoint_every=2) for s in _mixed_settings()[:2]]
    dirs = [tmp_path / "a", tmp_path / "b"]
    first = RunBatch(settings, _mixed_processes()[:2], CPU)
    first.train_step()
    first.train_step()
    for r, d in enumerate(dirs):
        save_checkpoint(d / "checkpoint.pt", first.run_state(r))
    for other in (list(reversed(settings)), [settings[0], replace(settings[1], w_norm=True)]):
        with pytest.raises(ValueError, match="other training settings"):
            train_runs(other, _mixed_processes()[:2], dirs, CPU, log=lambda m: None)
    messages = []
    batch = train_runs(settings, _mixed_processes()[:2], dirs, CPU, log=messages.append)
    assert messages[0] == "resumed 2 run(s) from step 2" and batch.step == 4


@pytest.mark.parametrize("field, value", [("lr", 1e-2), ("steps", 41), ("method", "supervised"),
                                          ("batch_size", 32), ("schedule", "constant")])
def test_runs_in_a_batch_must_share_the_loop_settings(field, value):
    assert field not in PER_RUN_FIELDS
    settings = [BASE, replace(BASE, **{field: value})]
    with pytest.raises(ValueError, match=f"share the training setting '{field}'"):
        RunBatch(settings, [create_process(SMALL, s)[0] for s in (0, 1)], CPU)


def test_one_settings_per_run():
    with pytest.raises(ValueError, match="2 training settings for 3 runs"):
        RunBatch([BASE, BASE], [create_process(SMALL, s)[0] for s in (0, 1, 2)], CPU)


TINY = ProcessSettings(d=3, clusters=10, N=40, eval_samples=64, generator_candidates=20)


def _script(tmp_path, *extra):
    files = []
    for seed, kappa in ((0, 10.0), (1, 50.0)):
        proc, ev = create_process(replace(TINY, kappa=kappa), seed)
        save_process(tmp_path / f"p{seed}.h5", proc, ev)
        files.append(str(tmp_path / f"p{seed}.h5"))
    outs = [str(tmp_path / f"run{seed}" / "model.pt") for seed in (0, 1)]
    cmd = [sys.executable, str(REPO / "scripts" / "synthetic_train.py"), "--process", *files, "--out", *outs,
           "--steps", "5", "--batch-size", "32", "--checkpoint-every", "0", "--threads", "1",
           "--device", "cpu", *extra]
    return subprocess.run(cmd, capture_output=True, text=True), outs


def test_script_run_overrides_train_each_run_with_its_settings(tmp_path):
    from identifiability.synthetic.evaluate import extract, load_model
    overrides = [{"w_norm": True, "beta": "fixed"}, {"label_noise": 0.2, "feature_norm": True}]
    proc, outs = _script(tmp_path, "--lr", "0.01", "--run-overrides", *map(json.dumps, overrides))
    assert proc.returncode == 0, proc.stderr
    for seed, (out, override) in enumerate(zip(outs, overrides)):
        state = load_model(out)
        expected = replace(TrainSettings(steps=5, batch_size=32, lr=0.01, checkpoint_every=0), **override)
        assert state["train_settings"] == asdict(expected)
        assert state["model_shape"]["w_norm"] is override.get("w_norm", False)
        assert state["model_shape"]["feature_norm"] is override.get("feature_norm", False)
        arrays, _ = extract(state, tmp_path / f"p{seed}.h5")   # evaluate.py reads one run as before
        assert arrays["z_hat"].shape == (64, 3)
    assert float(load_model(outs[0])["params"]["log_beta"]) == 0.0


@pytest.mark.parametrize("overrides, message", [
    (['{"lr": 0.1}', '{}'], "'lr' is not a per-run training setting"),
    (['{"w_norm": true}'], "1 --run-overrides for 2 --process files"),
    (['{"w_norm": "no"}', '{}'], "w_norm must be a bool"),
])
def test_script_rejects_bad_run_overrides(tmp_path, overrides, message):
    proc, outs = _script(tmp_path, "--run-overrides", *overrides)
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert not any(Path(o).exists() for o in outs)
