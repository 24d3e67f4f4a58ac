"""The training setting cpu_matmul: bfloat16 products (float32 accumulation) on CPUs that have
them, float32 otherwise and on GPUs; a run's id names it, and the ids of runs made before the
setting existed (float32) are unchanged, so committed validation results still name their runs."""
import json
from pathlib import Path

import pytest
import torch

from identifiability.config import load_config
from identifiability.device import cpu_matmul_precision, matmul_precision, native_bfloat16_cpu
from identifiability.synthetic.plan import build_plan, run_id
from identifiability.synthetic.process import ProcessSettings, create_process
from identifiability.synthetic.settings import TrainSettings
from identifiability.synthetic.train import RunBatch, final_state

REPO = Path(__file__).resolve().parent.parent
PART = REPO / "docs" / "validation" / "parts" / "d5_kappa"


def test_published_run_ids_are_unchanged_at_float32():
    plan = build_plan(load_config(PART / "config.yaml")["synthetic"])
    layout = json.loads((PART / "table2.layout.json").read_text())
    published = {rid for row in layout["rows"] for rid in row["runs"].values()}
    assert published <= set(plan.settings), sorted(published - set(plan.settings))


def test_the_precision_is_part_of_a_runs_id():
    p = ProcessSettings()
    ids = {run_id(p, TrainSettings(cpu_matmul=m)) for m in ("float32", "bfloat16", "auto")}
    assert len(ids) == 3
    with pytest.raises(ValueError, match="cpu_matmul"):
        TrainSettings(cpu_matmul="float16")


def test_auto_resolves_by_device_and_cpu():
    assert cpu_matmul_precision("auto", torch.device("cuda")) == "float32"
    assert cpu_matmul_precision("bfloat16", torch.device("cuda")) == "float32"
    assert cpu_matmul_precision("float32", torch.device("cpu")) == "float32"
    expected = "bfloat16" if native_bfloat16_cpu() else "float32"
    assert cpu_matmul_precision("auto", torch.device("cpu")) == expected


def test_bfloat16_products_round_inputs_and_are_restored():
    """In the context, a float32 product has bfloat16's error (inputs rounded to 8 bits of
    mantissa, ~2^-9 relative); outside it products are float32 again."""
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(256, 128, generator=g), torch.randn(128, 64, generator=g)
    exact = a.double() @ b.double()
    rel = lambda c: ((c.double() - exact).norm() / exact.norm()).item()   # noqa: E731
    with matmul_precision("bfloat16"):
        inside = rel(a @ b)
        emulated = rel(a.bfloat16().float() @ b.bfloat16().float())
    after = rel(a @ b)
    assert after < 1e-6
    if native_bfloat16_cpu():
        assert 1e-4 < inside < 2e-2 and inside == pytest.approx(emulated, rel=0.5)
    with matmul_precision("float32"):
        assert rel(a @ b) < 1e-6


def test_training_in_bfloat16_records_it_and_learns_like_float32():
    """A few steps in each precision from the same start: the model file says which was used,
    and the losses agree to bfloat16's precision (the runs differ, the training does not break)."""
    p = create_process(ProcessSettings(d=3, clusters=10, N=200, eval_samples=64, generator_candidates=20), 0)[0]
    losses, used = {}, {}
    for m in ("float32", "bfloat16"):
        b = RunBatch(TrainSettings(steps=30, batch_size=128, lr=0.003, cpu_matmul=m), [p], torch.device("cpu"))
        losses[m] = [float(b.train_step()[0]) for _ in range(30)]
        used[m] = final_state(b, 0, {})["matmul_precision"]
    assert used == {"float32": "float32", "bfloat16": "bfloat16"}
    assert losses["float32"][-1] < losses["float32"][0]
    assert losses["bfloat16"][-1] < losses["bfloat16"][0]
    assert losses["bfloat16"][0] == pytest.approx(losses["float32"][0], rel=1e-2)
    assert losses["bfloat16"][-1] == pytest.approx(losses["float32"][-1], rel=5e-2)
