"""FusedAdam: bit-identical to torch.optim.Adam(fused=True), state-compatible with it, and a
training process that never imports torch._dynamo (the 2.5 s that FusedAdam exists to save)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from identifiability.optim import FusedAdam

REPO = Path(__file__).resolve().parent.parent


def _params(seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=g).requires_grad_() for shape in ((2, 7, 5), (2, 5), (3,))]


def _grads(step: int, params: list[torch.Tensor]) -> list[torch.Tensor | None]:
    g = torch.Generator().manual_seed(100 + step)
    grads = [torch.randn(p.shape, generator=g) * 10 ** (step % 3 - 1) for p in params]
    if step < 2:
        grads[2] = None        # a parameter without a gradient for its first steps: left alone, no state
    return grads


def _run(optimizer, params, steps: range) -> None:
    for step in steps:
        optimizer.param_groups[0]["lr"] = 0.02 * (1 + step) / 4     # a schedule, as in training
        optimizer.zero_grad()
        for p, grad in zip(params, _grads(step, params)):
            p.grad = grad
        optimizer.step()


def test_updates_and_state_are_bit_identical_to_torch_fused_adam():
    ours, theirs = _params(), _params()
    a, b = FusedAdam(ours, lr=0.02), torch.optim.Adam(theirs, lr=0.02, fused=True)
    _run(a, ours, range(1))
    _run(b, theirs, range(1))
    assert ours[2] not in a.state and theirs[2] not in b.state
    _run(a, ours, range(1, 6))
    _run(b, theirs, range(1, 6))
    for p, q in zip(ours, theirs):
        assert torch.equal(p, q)
        for key in ("step", "exp_avg", "exp_avg_sq"):
            assert a.state[p][key].dtype == b.state[q][key].dtype
            assert torch.equal(a.state[p][key], b.state[q][key]), key
    assert not torch.equal(ours[0], _params()[0])   # it did move the parameters


def test_a_state_written_by_torch_adam_resumes_exactly():
    """Checkpoints hold exp_avg / exp_avg_sq / step per parameter (RunBatch.run_state): one from
    torch's Adam continues in FusedAdam as it would have in torch."""
    ours, theirs = _params(), _params()
    b = torch.optim.Adam(theirs, lr=0.02, fused=True)
    _run(b, theirs, range(4))
    with torch.no_grad():
        for p, q in zip(ours, theirs):
            p.copy_(q)
    a = FusedAdam(ours, lr=0.02)
    for p, q in zip(ours, theirs):
        a.state[p] = {k: v.clone() for k, v in b.state[q].items()}
    _run(a, ours, range(4, 8))
    _run(b, theirs, range(4, 8))
    assert all(torch.equal(p, q) for p, q in zip(ours, theirs))


def test_rejects_what_it_does_not_implement():
    with pytest.raises(ValueError, match="one dtype"):
        FusedAdam([torch.zeros(3, requires_grad=True), torch.zeros(3, dtype=torch.float64, requires_grad=True)],
                  lr=0.1)
    with pytest.raises(ValueError, match="no parameters"):
        FusedAdam([], lr=0.1)


def test_a_training_process_does_not_import_torch_dynamo():
    code = textwrap.dedent("""
        import sys, tempfile, torch
        from pathlib import Path
        from identifiability.synthetic.process import create_process
        from identifiability.synthetic.settings import ProcessSettings, TrainSettings
        from identifiability.synthetic.train import train_runs
        procs = [create_process(ProcessSettings(d=3, clusters=6, N=12, eval_samples=64), s)[0] for s in range(2)]
        with tempfile.TemporaryDirectory() as tmp:
            train_runs(TrainSettings(steps=3, batch_size=16, log_every=3, checkpoint_every=2), procs,
                       [Path(tmp) / "a", Path(tmp) / "b"], torch.device("cpu"), log=lambda _: None)
        print("torch._dynamo" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr
