#!/usr/bin/env python
"""Projected wall time of configs/paper.yaml's synthetic study on this machine (CPU or one GPU).

Measures the training step time of every distinct run shape of the paper config (d, N or |C| rows,
batch size), with the seeds of a setting stacked as the workflow trains them, and multiplies by
the config's step budget. Extraction and fitting are seconds per run and are left out.
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
    R = len(plan.seeds)
    shapes: dict[tuple, list] = {}
    for s in plan.settings.values():
        rows = s.process.N if s.train.method == "diet" else s.process.clusters
        key = (s.process.d, rows, s.train.batch_size)
        shapes.setdefault(key, []).append(s)
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"# projected synthetic wall time of {args.config} on {name}")
    print(f"{len(plan.settings)} settings x {R} seeds = {len(plan.settings) * R} runs; seeds stacked per job")
    print()
    print("| d | rows of W | batch | settings | ms/step ({R} runs stacked) | run-steps/s | hours |".replace("{R}", str(R)))
    print("|---|---|---|---|---|---|---|")
    total = 0.0
    for (d, rows, bs), settings in sorted(shapes.items()):
        s0 = settings[0]
        proc = ProcessSettings(d=d, N=s0.process.N, clusters=s0.process.clusters, eval_samples=64,
                               generator_candidates=50)
        t = step_time(proc, s0.train, R, device, args.reps)
        hours = sum(s.train.steps for s in settings) * t / 3600
        total += hours
        print(f"| {d} | {rows} | {bs} | {len(settings)} | {t * 1e3:.1f} | {R / t:.0f} | {hours:.2f} |")
    print()
    print(f"total training time, one job at a time: {total:.2f} h")


if __name__ == "__main__":
    main()
