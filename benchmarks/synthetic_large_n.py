#!/usr/bin/env python
"""Memory and time per training step against the number of instance labels N (Table 2's
N = 10^5 row): DIET at the baseline (d = 5, |C| = 100, batch 1024, W rows free), one run.

Each N runs in a fresh subprocess so that its peak resident memory (ru_maxrss) is its own; the
cross-entropy over the N rows of W is fused and chunked, so no (batch, N) logits matrix exists.

Usage: python benchmarks/synthetic_large_n.py [--threads 2] > benchmarks/synthetic_large_n.txt
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time


def measure(n_labels: int, threads: int, steps: int) -> dict:
    """Runs inside the subprocess: step time and peak memory of one run at ``n_labels``."""
    import torch
    from identifiability.synthetic.process import ProcessSettings, create_process
    from identifiability.synthetic.train import RunBatch, TrainSettings

    torch.set_num_threads(threads)
    proc, _ = create_process(ProcessSettings(N=n_labels, eval_samples=64, generator_candidates=50), 0)
    batch = RunBatch(TrainSettings(method="diet", batch_size=1024, lr=0.01), [proc], torch.device("cpu"))
    for _ in range(3):
        batch.train_step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        batch.train_step()
        times.append((time.perf_counter() - t0) * 1e3)
    # the part of the step that grows with N: the cross-entropy over the N rows of W (loss and
    # gradients, forward only: its backward just hands the gradients on)
    from identifiability.synthetic import model as M
    x, target = batch.sample_batch()
    with torch.no_grad():
        features = M.encode(batch.params, batch.buffers, batch.shape, x, train=False)
    ce = []
    for _ in range(steps):
        t0 = time.perf_counter()
        M.linear_cross_entropy(batch.params, batch.shape, features, target)
        ce.append((time.perf_counter() - t0) * 1e3)
    return {"N": n_labels, "ms_per_step": statistics.median(times), "ce_ms": statistics.median(ce),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=int, nargs="+", default=[1000, 10240, 100000])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3,
                        help="fresh processes per N, taken in turn (this shared machine's speed drifts)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.threads, args.steps)))
        return
    import torch
    print(f"# synthetic training step against N, {time.strftime('%Y-%m-%d')}")
    print(f"machine: {platform.machine()}, torch {torch.__version__}, {args.threads} threads, CPU; "
          f"DIET, d = 5, |C| = 100, batch 1024, one run; {args.rounds} rounds, each N in a fresh process per "
          f"round, in turn; ms/step = median over rounds of each round's median of {args.steps} steps")
    print()
    rounds = {n: [] for n in args.labels}
    for k in range(args.rounds):
        for n in (args.labels if k % 2 == 0 else args.labels[::-1]):
            out = subprocess.run([sys.executable, __file__, "--child", str(n), "--threads", str(args.threads),
                                  "--steps", str(args.steps)], capture_output=True, text=True, check=True)
            rounds[n].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| N | ms/step | per-round medians | steps/s | x N = 1000 | of which cross-entropy (ms) "
          "| peak memory (MB, whole process) | W + Adam state (MB) |")
    print("|---|---|---|---|---|---|---|---|")
    base = None
    for n in args.labels:
        ms = statistics.median(r["ms_per_step"] for r in rounds[n])
        base = base or ms
        w_mb = n * 5 * 4 * 4 / 2 ** 20   # weights, gradient, two Adam moments (float32)
        per_round = " / ".join(f"{r['ms_per_step']:.1f}" for r in rounds[n])
        ce = statistics.median(r["ce_ms"] for r in rounds[n])
        print(f"| {n} | {ms:.1f} | {per_round} | {1e3 / ms:.1f} | {ms / base:.2f} | {ce:.1f} | "
              f"{max(r['peak_rss_mb'] for r in rounds[n]):.0f} | {w_mb:.1f} |")
    print()
    print("reference code (measured on this machine class, issue 3): step time 7.7x from N = 1000 to N = 10240")


if __name__ == "__main__":
    main()
