"""The compiled CPU kernel of the cross-entropy gives the torch implementation's loss and
gradients (float32 rounding), for single and stacked runs, several latent dimensions and label
counts; and training falls back to torch when the kernel is switched off."""
import os
import subprocess
import sys

import pytest
import torch

from identifiability.synthetic import model as M


class _Ctx:
    def save_for_backward(self, *tensors):
        self.saved = tensors


def _torch_path(feats, rows, beta, target):
    """The pure-torch implementation (the kernel switched off for this call)."""
    cached = M._kernel_cache.get("kernel")
    M._kernel_cache["kernel"] = None
    try:
        ctx = _Ctx()
        loss = M._LinearCrossEntropy.forward(ctx, feats, rows, beta, target)
        return (loss, *ctx.saved)
    finally:
        M._kernel_cache["kernel"] = cached


def test_kernel_builds_on_this_machine():
    assert M.fused_cpu_kernel() is not None, "the fused kernel did not build (C++ compiler and ninja needed)"


@pytest.mark.parametrize("R, B, d, K", [(1, 1024, 5, 1000), (3, 200, 5, 777), (2, 64, 3, 40),
                                        (1, 256, 10, 5000), (2, 100, 7, 300), (1, 128, 5, 30000)])
def test_kernel_matches_torch_implementation(R, B, d, K):
    kernel = M.fused_cpu_kernel()
    g = torch.Generator().manual_seed(R * K + d)
    feats = torch.randn(R, B, d, generator=g)
    rows = torch.randn(R, K, d, generator=g) * 0.7
    beta = torch.rand(R, generator=g) * 8 + 0.5          # up to sharp softmaxes
    target = torch.randint(0, K, (R, B), generator=g)
    ours = kernel.linear_cross_entropy(feats, rows, beta, target)
    ref = _torch_path(feats, rows, beta, target)
    for name, a, b in zip(("loss", "g_feats", "g_rows", "g_beta"), ours, ref):
        torch.testing.assert_close(a, b, rtol=2e-4, atol=2e-5 * max(1.0, b.abs().max().item()), msg=name)
    # and the loss is the cross-entropy itself
    logits = torch.bmm(feats, rows.transpose(1, 2)) * beta[:, None, None]
    ce = torch.stack([torch.nn.functional.cross_entropy(logits[r], target[r]) for r in range(R)])
    torch.testing.assert_close(ours[0], ce, rtol=1e-4, atol=1e-5)


def test_training_without_the_kernel_uses_torch_and_agrees(tmp_path):
    """A few steps with the kernel and without (IDENTIFIABILITY_FUSED_KERNEL=0) end close."""
    code = (
        "import torch, sys\n"
        "from identifiability.synthetic.process import ProcessSettings, create_process\n"
        "from identifiability.synthetic.train import RunBatch, TrainSettings\n"
        "from identifiability.synthetic import model as M\n"
        "torch.set_num_threads(1)\n"
        "p = create_process(ProcessSettings(d=3, clusters=10, N=200, eval_samples=64, generator_candidates=20), 0)[0]\n"
        "b = RunBatch(TrainSettings(steps=20, batch_size=64, lr=0.003), [p], torch.device('cpu'))\n"
        "losses = [float(b.train_step()[0]) for _ in range(20)]\n"
        "print(M.fused_cpu_kernel() is not None, losses[-1])\n")
    out = {}
    for flag in ("1", "0"):
        env = {**os.environ, "IDENTIFIABILITY_FUSED_KERNEL": flag}
        res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        used, loss = res.stdout.split()
        out[flag] = (used == "True", float(loss))
    assert out["1"][0] and not out["0"][0]
    assert out["1"][1] == pytest.approx(out["0"][1], rel=1e-3)
