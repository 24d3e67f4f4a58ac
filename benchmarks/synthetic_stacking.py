#!/usr/bin/env python
"""Throughput of R stacked synthetic runs whose settings differ, against one run at a time.

At the baseline setting (d = 5, N = 1000, |C| = 100, batch 1024, DIET), run r of a stack has
w_norm = (r odd) and kappa = 10 or 50 (alternating in pairs), so stacks of R >= 2 mix per-run
switches (masked with torch.where) and processes. For R = 1, 2, 4, 8 it prints the step time of
the stack, its run-steps/s, the run-steps/s of training the same R runs one after another (sum of
each run's own single-run step time), and runs/hour at a 600-step and a 3000-step budget. Step
times are medians over the timed steps of sampling, forward, backward and Adam (no start-up,
probes or checkpoints). The last column is a stack of R runs with identical settings (the
unmasked path), for the cost of the masks. R = 1 is the single run 0 in every column.

Usage: python benchmarks/synthetic_stacking.py [--threads 2] [--steps 30] > benchmarks/synthetic_stacking.txt
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from dataclasses import replace

import torch

from identifiability.synthetic.process import ProcessSettings, create_process
from identifiability.synthetic.train import RunBatch, TrainSettings

BASELINE = ProcessSettings(d=5, N=1000, clusters=100, eval_samples=64, generator_candidates=50)
TRAIN = TrainSettings(method="diet", batch_size=1024, checkpoint_every=0)
STACK_SIZES = (1, 2, 4, 8)
BUDGETS = (600, 3000)


def run_config(r: int) -> tuple[ProcessSettings, TrainSettings]:
    """Process and training settings of run r of a mixed stack."""
    kappa = 10.0 if (r // 2) % 2 == 0 else 50.0
    return replace(BASELINE, kappa=kappa), replace(TRAIN, w_norm=r % 2 == 1)


def step_time(configs: list[tuple[ProcessSettings, TrainSettings]], steps: int, warmup: int = 3) -> float:
    """Median seconds per train_step of these runs stacked in one RunBatch (the median, so that
    a burst of other work on a shared machine does not skew it)."""
    procs = [create_process(p, seed)[0] for seed, (p, _) in enumerate(configs)]
    batch = RunBatch([t for _, t in configs], procs, torch.device("cpu"))
    for _ in range(warmup):
        batch.train_step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        batch.train_step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--steps", type=int, default=30,
                        help="timed steps per measurement (after 3 warm-up; default 30)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# stacked synthetic runs with differing settings, {time.strftime('%Y-%m-%d')}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads, CPU; load average before: "
          f"{os.getloadavg()[0]:.1f}; {args.steps} timed steps per measurement")
    print("setting: d=5, N=1000, |C|=100, batch 1024, DIET; run r: w_norm = r odd, kappa 10/50 in pairs; "
          "median step time")
    print()
    step_time([run_config(0)], 3)   # the process's first steps are slow (lazy initialisation)
    # one run at a time: each distinct single-run configuration once (r = 0..3 cover all four)
    single = {r: step_time([run_config(r)], args.steps) for r in range(4)}
    header = ["R", "stacked ms/step", "stacked run-steps/s", "one-at-a-time run-steps/s", "speed-up"]
    header += [f"runs/h @{b} stacked | runs/h @{b} one-at-a-time" for b in BUDGETS]
    header += ["stacked, same settings, run-steps/s"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * sum(h.count("|") + 1 for h in header))
    for R in STACK_SIZES:
        t_alone = sum(single[r % 4] for r in range(R))
        t_stack = step_time([run_config(r) for r in range(R)], args.steps) if R > 1 else t_alone
        t_same = step_time([run_config(0)] * R, args.steps) if R > 1 else t_alone
        stacked, alone = R / t_stack, R / t_alone
        cells = [f"{R}", f"{t_stack * 1e3:.1f}", f"{stacked:.1f}", f"{alone:.1f}", f"{stacked / alone:.2f}x"]
        for b in BUDGETS:
            cells += [f"{stacked * 3600 / b:.0f}", f"{alone * 3600 / b:.0f}"]
        cells.append(f"{R / t_same:.1f}")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
