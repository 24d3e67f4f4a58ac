#!/usr/bin/env python
"""Projected wall time of configs/paper.yaml's synthetic study on this machine (CPU or one GPU).

Measures the training step time of every distinct training job of the paper config (d, N, |C|,
batch size, and how many runs the job stacks: see synthetic.stack), and multiplies by the
config's step budget. Extraction and fitting are seconds per run and are left out. Also times one
run at N = 10^5 against N = 1000 (Table 2's large-N row).
One command, a few minutes:

    python benchmarks/project_paper_time.py [--device auto] [--config configs/paper.yaml]
"""

from __future__ import annotations

import argparse
import time

import torch

from identifiability.config import load_config
from identifiability.device import resolve_device
from identifiability.synthetic.plan import build_plan
from identifiability.synthetic.process import ProcessSettings, create_process
from identifiability.synthetic.train import RunBatch, TrainSettings


def step_time(process: ProcessSettings, train: TrainSettings, runs: int, device, reps: int) -> float:
    procs = [create_process(process, s)[0] for s in range(runs)]
    batch = RunBatch(train, procs, device)
    for _ in range(3):
        batch.train_step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(reps):
        batch.train_step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / reps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/paper.yaml")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    device = resolve_device(args.device)
    cfg = load_config(args.config)
    plan = build_plan(cfg["synthetic"])
    n_seeds = len(plan.seeds)
    # one training job per stack; jobs of equal shape and size are timed once
    jobs: dict[tuple, list[str]] = {}
    for sid, members in plan.stacks.items():
        s = plan.settings[members[0]]
        key = (s.process.d, s.process.N, s.process.clusters, s.train.method, s.train.batch_size,
               len(members) * n_seeds)
        jobs.setdefault(key, []).append(sid)
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"# projected synthetic wall time of {args.config} on {name}")
    n_runs = len(plan.settings) * n_seeds
    print(f"{len(plan.settings)} settings x {n_seeds} seeds = {n_runs} runs in {len(plan.stacks)} training jobs "
          f"(synthetic.stack: {cfg['synthetic'].get('stack', {}).get('by', 'seeds')})")
    print()
    print("| d | N | clusters | method | batch | runs per job | jobs | ms/step | run-steps/s | hours |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    total = 0.0
    per_step = {}
    for (d, N, C, method, bs, R), sids in sorted(jobs.items()):
        s0 = plan.settings[plan.stacks[sids[0]][0]]
        proc = ProcessSettings(d=d, N=N, clusters=C, eval_samples=64, generator_candidates=50)
        t = step_time(proc, s0.train, R, device, args.reps)
        per_step[(d, N, C, method, bs, R)] = t
        hours = sum(plan.settings[plan.stacks[sid][0]].train.steps for sid in sids) * t / 3600
        total += hours
        print(f"| {d} | {N} | {C} | {method} | {bs} | {R} | {len(sids)} | {t * 1e3:.1f} | {R / t:.0f} | {hours:.2f} |")
    print()
    print(f"total training time, one job at a time: {total:.2f} h ({n_runs / total:.0f} runs/hour)")
    # Table 2's N = 10^5 row against the baseline, one run each (issue: within 3x)
    base = ProcessSettings(eval_samples=64, generator_candidates=50)
    t_small = step_time(base, TrainSettings(batch_size=1024), 1, device, args.reps)
    t_large = step_time(ProcessSettings(N=100000, eval_samples=64, generator_candidates=50),
                        TrainSettings(batch_size=1024), 1, device, args.reps)
    print(f"one DIET run, d = 5, batch 1024: N = 1000 {t_small * 1e3:.1f} ms/step, N = 10^5 "
          f"{t_large * 1e3:.1f} ms/step ({t_large / t_small:.2f}x)")


if __name__ == "__main__":
    main()
