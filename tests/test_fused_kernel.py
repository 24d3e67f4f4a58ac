"""The compiled CPU kernels give the torch implementations' numbers (float32 rounding): the
cross-entropy's loss and gradients for single and stacked runs, several latent dimensions and
label counts; BatchNorm + LeakyReLU's output, running statistics and gradients for several shapes;
and training falls back to torch when the kernels are switched off."""
import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

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
    assert M.cpu_kernels() is not None, "the fused kernel did not build (C++ compiler and ninja needed)"


@pytest.mark.parametrize("R, B, d, K", [(1, 1024, 5, 1000), (3, 200, 5, 777), (2, 64, 3, 40),
                                        (1, 256, 10, 5000), (2, 100, 7, 300), (1, 128, 5, 30000),
                                        (1, 13, 5, 2000), (2, 9, 20, 1500)])
def test_kernel_matches_torch_implementation(R, B, d, K):
    kernel = M.cpu_kernels()
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


@pytest.mark.parametrize("B, C", [(1024, 250), (1024, 50), (64, 7), (5, 40), (300, 1)])
def test_batch_norm_leaky_relu_matches_torch(B, C):
    kernel = M.cpu_kernels()
    g = torch.Generator().manual_seed(B + C)
    # channels with offsets and spreads far from 0 and 1, as a Linear's outputs can be
    x = torch.randn(B, C, generator=g) * torch.rand(C, generator=g) * 5 + torch.randn(C, generator=g) * 3
    weight = torch.rand(C, generator=g) + 0.5
    bias = torch.randn(C, generator=g)
    grad_y = torch.randn(B, C, generator=g)
    running = (torch.randn(C, generator=g), torch.rand(C, generator=g) + 0.5)   # mean, var before the step
    stats = {"ours": tuple(t.clone() for t in running), "torch": tuple(t.clone() for t in running)}

    def run(use_kernel):
        xs, w, b = (t.clone().requires_grad_() for t in (x, weight, bias))
        rm, rv = stats["ours" if use_kernel else "torch"]
        if use_kernel:
            y = M._BatchNormLeakyReLU.apply(xs, w, b, rm, rv, kernel)
        else:
            y = F.leaky_relu(F.batch_norm(xs, rm, rv, w, b, training=True, momentum=M.BN_MOMENTUM, eps=M.BN_EPS),
                             M.ENCODER_SLOPE)
        y.backward(grad_y)
        return y.detach(), xs.grad, w.grad, b.grad, rm, rv

    for name, ours, ref in zip(("y", "dx", "dweight", "dbias", "running_mean", "running_var"), run(True), run(False)):
        torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4 * max(1.0, ref.abs().max().item()), msg=name)


def test_batch_norm_kernel_stacked_runs_are_independent():
    """Stacked runs (R, B, C): each run's numbers equal those of the run alone, (B, C) (no statistic
    or gradient mixes runs or channels), and the whole equals torch's BatchNorm over the runs'
    channels as the columns of one (B, R * C) matrix."""
    kernel = M.cpu_kernels()
    g = torch.Generator().manual_seed(1)
    R, B, C = 3, 512, 100
    x, dy = torch.randn(R, B, C, generator=g) * 2 + 1, torch.randn(R, B, C, generator=g)
    w, b = torch.rand(R, C, generator=g) + 0.5, torch.randn(R, C, generator=g)
    rm, rv = torch.zeros(R, C), torch.ones(R, C)
    y, mean, invstd = kernel.batch_norm_leaky_relu_forward(x, w, b, rm, rv, 0.1, 1e-5, 0.01)
    grads = kernel.batch_norm_leaky_relu_backward(dy, x, w, b, mean, invstd, 0.01)
    assert y.shape == x.shape and grads[0].shape == x.shape and grads[1].shape == (R * C,)
    for r in range(R):
        rm1, rv1 = torch.zeros(C), torch.ones(C)
        y1, m1, s1 = kernel.batch_norm_leaky_relu_forward(x[r], w[r], b[r], rm1, rv1, 0.1, 1e-5, 0.01)
        g1 = kernel.batch_norm_leaky_relu_backward(dy[r], x[r], w[r], b[r], m1, s1, 0.01)
        # equal up to the last bit of float32 (a column's place in a SIMD vector may change
        # whether the compiler fuses a multiply-add)
        for ours, whole in ((y1, y[r]), (rm1, rm[r]), (rv1, rv[r]), (g1[0], grads[0][r]),
                            (g1[1], grads[1].view(R, C)[r]), (g1[2], grads[2].view(R, C)[r])):
            torch.testing.assert_close(ours, whole, rtol=1e-6, atol=1e-5)
    flat = lambda t: t.transpose(0, 1).reshape(B, R * C)   # noqa: E731
    xs, ws, bs = (t.clone().requires_grad_() for t in (flat(x), w.reshape(-1), b.reshape(-1)))
    rm2, rv2 = torch.zeros(R * C), torch.ones(R * C)
    ref = F.leaky_relu(F.batch_norm(xs, rm2, rv2, ws, bs, training=True, momentum=M.BN_MOMENTUM, eps=M.BN_EPS),
                       M.ENCODER_SLOPE)
    ref.backward(flat(dy))
    tol = dict(rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(flat(y), ref.detach(), **tol)
    torch.testing.assert_close(flat(grads[0]), xs.grad, **tol)
    torch.testing.assert_close(grads[1], ws.grad, **tol)
    torch.testing.assert_close(rv.reshape(-1), rv2, **tol)


def test_encoder_uses_the_batch_norm_kernel_only_in_training():
    """Training mode goes through the kernel, evaluation through torch's BatchNorm with running stats."""
    shape = M.ModelShape(d=3, head_rows=10, feature_norm=False, w_norm=False, learn_beta=True)
    g = torch.Generator().manual_seed(0)
    params = M.stack_runs([M.init_run_parameters(shape, g)])
    x = torch.randn(1, 32, 3, generator=g)
    outs = {}
    for flag in (True, False):
        cached = M._kernel_cache.get("kernel")
        if not flag:
            M._kernel_cache["kernel"] = None
        try:
            buffers = M.stack_runs([M.init_run_buffers(shape, "cpu")])
            train_out = M.encode(params, buffers, shape, x, train=True)
            outs[flag] = (train_out, M.encode(params, buffers, shape, x, train=False), buffers)
        finally:
            M._kernel_cache["kernel"] = cached
    torch.testing.assert_close(outs[True][0], outs[False][0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(outs[True][1], outs[False][1], rtol=1e-4, atol=1e-5)
    for name in outs[False][2]:
        torch.testing.assert_close(outs[True][2][name], outs[False][2][name], rtol=1e-5, atol=1e-6)


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
        "print(M.cpu_kernels() is not None, losses[-1])\n")
    out = {}
    for flag in ("1", "0"):
        env = {**os.environ, "IDENTIFIABILITY_FUSED_KERNEL": flag}
        res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        used, loss = res.stdout.split()
        out[flag] = (used == "True", float(loss))
    assert out["1"][0] and not out["0"][0]
    assert out["1"][1] == pytest.approx(out["0"][1], rel=1e-3)
