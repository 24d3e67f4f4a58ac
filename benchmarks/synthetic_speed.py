#!/usr/bin/env python
"""Training speed of the synthetic experiments on this machine.

Prints, for the baseline setting (d = 5, batch 1024, DIET, W rows free):
  1. the matmul roofline: all matrix products of one training step (forward and backward) run as
     plain torch.mm calls of the same shapes, timed in this same process;
  2. our training step at N = 1000 and N = 10240 (steps/s, ms/step, achieved FLOP/s, % of the
     roofline; FLOPs counted as 2 * m * k * n over those same products);
  3. a reference-style step (torch.nn.Sequential + F.cross_entropy over the full logits, the
     reference code's structure, with our sampler) at the same N, for comparison;
  4. R stacked runs in one process against R runs one after another (run-steps/s);
  5. steps and wall time to reach affine R² >= 0.98 at the baseline with the default schedule.

Usage: python benchmarks/synthetic_speed.py [--quick] > benchmarks/synthetic_speed.txt
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from identifiability.synthetic.model import HIDDEN_FACTORS
from identifiability.synthetic.process import ProcessSettings, create_process
from identifiability.synthetic.train import RunBatch, TrainSettings, train_runs
from identifiability.timing import timed


def step_matmuls(d: int, K: int, B: int):
    """(m, k, n) of every matrix product in one step: forward, grad-input, grad-weight."""
    widths = [d] + [f * d for f in HIDDEN_FACTORS] + [d]
    shapes = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        shapes.append((B, a, b))               # forward
        if i > 0:
            shapes.append((B, b, a))           # gradient w.r.t. the layer input
        shapes.append((a, B, b))               # gradient w.r.t. the weight
    shapes += [(B, d, K), (B, K, d), (d, B, K)]  # head: logits, grad features, grad W
    return shapes


def roofline(d: int, K: int, B: int, reps: int):
    shapes = step_matmuls(d, K, B)
    mats = [(torch.randn(m, k), torch.randn(k, n)) for m, k, n in shapes]
    t = timed(lambda: [torch.mm(a, b) for a, b in mats], 3, reps)
    flops = sum(2 * m * k * n for m, k, n in shapes)
    return t, flops


def ours_step_time(N: int, reps: int, R: int = 1, B: int = 1024) -> float:
    """Our training step, timed in a fresh process as the workflow's training jobs run (a heap
    shaped by the roofline's large matrices would add page faults that a real job never has)."""
    out = subprocess.run([sys.executable, __file__, "--child", str(N), str(reps), str(R), str(B),
                          "--threads", str(torch.get_num_threads())],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _child_step_time(N: int, reps: int, R: int, B: int) -> float:
    procs = [create_process(ProcessSettings(N=N, eval_samples=64), s)[0] for s in range(R)]
    batch = RunBatch(TrainSettings(batch_size=B, checkpoint_every=0), procs, torch.device("cpu"))
    return timed(batch.train_step, 5, reps)


def reference_style_step_time(N: int, reps: int, B: int = 1024) -> float:
    proc = create_process(ProcessSettings(N=N, eval_samples=64), 0)[0]
    proc.cluster_vectors = proc.cluster_vectors.float()
    proc.generator_weights = proc.generator_weights.float()
    d = 5
    widths = [d] + [f * d for f in HIDDEN_FACTORS]
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.LeakyReLU()]
    f = nn.Sequential(*layers, nn.Linear(widths[-1], d))
    W = nn.Linear(d, N, bias=False)
    opt = torch.optim.Adam(list(f.parameters()) + list(W.parameters()), lr=1e-3)
    g = torch.Generator().manual_seed(0)

    def step():
        labels = torch.randint(0, N, (B,), generator=g)
        _, x = proc.sample(labels, g)
        loss = F.cross_entropy(W(f(x)), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return timed(step, 5, reps)


def steps_to_r2(target: float, settings: TrainSettings, seed: int):
    proc, ev = create_process(ProcessSettings(), seed)
    t0 = time.perf_counter()

    def log(msg):
        pass
    batch = train_runs(settings, [proc], [__import__("pathlib").Path(f"/tmp/speed_bench_seed{seed}")],
                       torch.device("cpu"), eval_sets=[ev], log=log)
    import csv
    rows = list(csv.DictReader(open(f"/tmp/speed_bench_seed{seed}/train_log.csv")))
    first = next((int(r["step"]) for r in rows if float(r["affine_r2_probe"]) >= target), None)
    return first, float(rows[-1]["affine_r2_probe"]), time.perf_counter() - t0, batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--skip-convergence", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds, taken in turn")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--lr", type=float, default=0.02, help="peak lr of the convergence runs")
    parser.add_argument("--seeds", type=int, default=5, help="process seeds of the convergence runs")
    parser.add_argument("--child", type=int, nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.child:
        print(_child_step_time(*args.child))
        return
    reps = 10 if args.quick else 40
    print(f"# synthetic training speed, {time.strftime('%Y-%m-%d')}")
    print(f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, CPU")
    print()
    print("| N | roofline ms (torch.mm only) | ours ms/step | ours steps/s | ours GFLOP/s | % of roofline "
          "| reference-style ms/step | reference-style steps/s |")
    print("|---|---|---|---|---|---|---|---|")
    # rounds taken in turn, each measuring roofline and step back to back: the machine's speed
    # drifts over minutes, and a ratio is only meaningful between measurements made together
    sizes = (1000, 10240)
    meas = {N: [] for N in sizes}
    for k in range(args.rounds):
        for N in (sizes if k % 2 == 0 else sizes[::-1]):
            t_mm, flops = roofline(5, N, 1024, reps)
            meas[N].append((t_mm, ours_step_time(N, reps), flops))
    base = {}
    for N in sizes:
        t_mm = statistics.median(m[0] for m in meas[N])
        t_ours = statistics.median(m[1] for m in meas[N])
        flops = meas[N][0][2]
        t_ref = reference_style_step_time(N, max(5, reps // 4))
        base[N] = t_ours
        print(f"| {N} | {t_mm * 1e3:.1f} | {t_ours * 1e3:.1f} | {1 / t_ours:.1f} | {flops / t_ours / 1e9:.1f} "
              f"| {100 * t_mm / t_ours:.0f} % | {t_ref * 1e3:.1f} | {1 / t_ref:.1f} |")
    print()
    print("per round, % of roofline (N = 1000): "
          + ", ".join(f"{100 * a / b:.0f} %" for a, b, _ in meas[1000])
          + "; N = 10240 / N = 1000 step time: "
          + ", ".join(f"{b10[1] / b1[1]:.2f}x" for b1, b10 in zip(meas[1000], meas[10240])))
    print()
    print(f"step time N=10240 / N=1000: ours {base[10240] / base[1000]:.2f}x")
    print()
    R = 5
    t_stack = ours_step_time(1000, max(5, reps // 4), R=R)
    print(f"{R} runs stacked in one process: {R / t_stack:.1f} run-steps/s; one at a time: "
          f"{1 / base[1000]:.1f} run-steps/s ({base[1000] * R / t_stack:.2f}x)")
    if not args.skip_convergence:
        print()
        print("reference (measured on this machine class, one seed, constant lr 1e-3, the reference code): "
              "affine R² 0.96 after 2,000 steps, 0.98 after about 4,000 steps")
        print()
        settings = TrainSettings(steps=1000, lr=args.lr, warmup_steps=100, schedule="cosine", log_every=50,
                                 checkpoint_every=0)
        print(f"convergence at the baseline (DIET, W free), schedule: steps={settings.steps}, lr={settings.lr}, "
              f"warm-up {settings.warmup_steps}, cosine; probe = affine R² on 2048 held-out samples")
        reached = 0
        for seed in range(args.seeds):
            first, final, wall, _ = steps_to_r2(0.98, settings, seed)
            reached += first is not None
            print(f"  seed {seed}: first step with R² >= 0.98: {first}; final R² {final:.4f}; wall {wall:.0f} s")
        print(f"  {reached} of {args.seeds} seeds reach R² >= 0.98 within {settings.steps} steps "
              "(a quarter of the reference's ~4,000)")


if __name__ == "__main__":
    main()
