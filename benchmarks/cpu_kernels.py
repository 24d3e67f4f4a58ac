#!/usr/bin/env python
"""The compiled CPU kernels against the torch implementations they replace, call by call.

1. linear cross-entropy (loss and all gradients), batch 1024, d = 5, one run, K = 1000, 10240,
   10^5 rows of W: the kernel (identifiability/synthetic/kernels/linear_cross_entropy.cpp)
   against the chunked torch path of model._LinearCrossEntropy;
2. BatchNorm + LeakyReLU, forward and backward, on the encoder's (1024, C) hidden layers (C = 50,
   250 at d = 5): the kernel against F.batch_norm + F.leaky_relu under autograd;
3. the whole encoder, forward and backward, at d = 5, batch 1024.

Medians of per-call times, rounds interleaved (this machine's speed drifts over minutes).
Usage: python benchmarks/cpu_kernels.py [--threads 2] > benchmarks/cpu_kernels.txt
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
import torch.nn.functional as F

from identifiability.synthetic import model as M
from identifiability.timing import timed   # median seconds per call


def median_ms(fn, reps: int) -> float:
    return 1e3 * timed(fn, 3, reps)


def without_kernels(fn):
    """Run ``fn`` with the compiled kernels switched off (the torch implementations)."""
    def wrapped():
        cached = M._kernel_cache.get("kernel")
        M._kernel_cache["kernel"] = None
        try:
            return fn()
        finally:
            M._kernel_cache["kernel"] = cached
    return wrapped


class _Ctx:
    def save_for_backward(self, *tensors):
        self.saved = tensors


def cross_entropy_case(K: int):
    g = torch.Generator().manual_seed(K)
    feats = F.normalize(torch.randn(1, 1024, 5, generator=g), dim=-1)
    rows = torch.randn(1, K, 5, generator=g)
    beta = torch.tensor([8.0])
    target = torch.randint(0, K, (1, 1024), generator=g)
    return lambda: M._LinearCrossEntropy.forward(_Ctx(), feats, rows, beta, target)


def batch_norm_case(C: int):
    g = torch.Generator().manual_seed(C)
    x = (torch.randn(1024, C, generator=g) * 3 + 1).requires_grad_()
    w = (torch.rand(C, generator=g) + 0.5).requires_grad_()
    b = torch.randn(C, generator=g).requires_grad_()
    rm, rv = torch.zeros(C), torch.ones(C)
    dy = torch.randn(1024, C, generator=g)

    def step():
        M.batch_norm_leaky_relu(x, rm, rv, w, b, train=True).backward(dy)
    return step


def encoder_case():
    shape = M.ModelShape(d=5, head_rows=1000, feature_norm=False, w_norm=False, learn_beta=True)
    g = torch.Generator().manual_seed(0)
    params = M.stack_runs([M.init_run_parameters(shape, g)])
    for p in params.values():
        p.requires_grad_()
    buffers = M.stack_runs([M.init_run_buffers(shape, "cpu")])
    x = torch.randn(1, 1024, 5, generator=g)
    return lambda: M.encode(params, buffers, shape, x, train=True).square().sum().backward()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if M.cpu_kernels() is None:
        raise SystemExit("the compiled kernels are not available here (C++ compiler and ninja needed)")
    cases = [(f"cross-entropy, K = {K}", cross_entropy_case(K), 40 if K < 50_000 else 8) for K in (1000, 10240, 100_000)]
    cases += [(f"BatchNorm + LeakyReLU fwd+bwd, C = {C}", batch_norm_case(C), 200) for C in (50, 250)]
    cases += [("encoder fwd+bwd (6 hidden layers, d = 5)", encoder_case(), 50)]
    times = {name: ([], []) for name, _, _ in cases}
    for _ in range(args.rounds):
        for name, fn, reps in cases:
            times[name][0].append(median_ms(fn, reps))
            times[name][1].append(median_ms(without_kernels(fn), reps))
    print(f"# compiled CPU kernels against torch, {time.strftime('%Y-%m-%d')}")
    print(f"machine: {platform.machine()}, torch {torch.__version__}, {args.threads} threads; batch 1024; "
          f"ms per call = median over {args.rounds} interleaved rounds of per-call medians")
    print()
    print("| operation | kernel ms | torch ms | speed-up |")
    print("|---|---|---|---|")
    for name, _, _ in cases:
        ours, ref = (statistics.median(t) for t in times[name])
        print(f"| {name} | {ours:.2f} | {ref:.2f} | {ref / ours:.1f}x |")


if __name__ == "__main__":
    main()
