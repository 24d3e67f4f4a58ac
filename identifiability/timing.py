"""Timing helpers shared by the benchmarks (benchmarks/): a call's median time, and the training
step of the baseline setting timed in fresh processes, as the workflow's training jobs run."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(fn, warmup: int, reps: int) -> float:
    """Median seconds per call (a median: a shared machine has bursts of slowness)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# the d = 5 baseline's run-step (N = 1000, batch 1024, 2 stacked runs): ms per run-step, page faults per step
STEP = """
import resource, sys, time, torch
if sys.argv[3] == "retain":
    from identifiability.cli import retain_freed_memory
    retain_freed_memory()
from identifiability.synthetic.process import create_process
from identifiability.synthetic.settings import ProcessSettings, TrainSettings
from identifiability.synthetic.train import RunBatch
from identifiability.device import set_threads
set_threads(int(sys.argv[1]))
procs = [create_process(ProcessSettings(), s)[0] for s in range(2)]
b = RunBatch(TrainSettings(lr=0.02, cpu_matmul=sys.argv[2]), procs, torch.device("cpu"))
for _ in range(5):
    b.train_step()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
t = time.perf_counter()
for _ in range(40):
    b.train_step()
print((time.perf_counter() - t) / 40 * 1000 / 2, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / 40)
"""


def step_stats(threads: int, side_by_side: int = 1, precision: str = "float32",
               retain_memory: bool = False) -> list[tuple[float, float]]:
    """(ms per run-step, page faults per step) of each of ``side_by_side`` processes timing 40
    steps; ``retain_memory``: with identifiability.cli.retain_freed_memory, as the stages run."""
    procs = [subprocess.Popen([sys.executable, "-c", STEP, str(threads), precision,
                               "retain" if retain_memory else "default"], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True) for _ in range(side_by_side)]
    return [tuple(map(float, p.communicate()[0].strip().splitlines()[-1].split())) for p in procs]


def step_ms(threads: int, side_by_side: int = 1, precision: str = "float32") -> list[float]:
    """ms per run-step (see step_stats), glibc's allocation defaults: the machine's speed as
    measured since benchmarks/default_budget.txt, so that hours stay comparable."""
    return [ms for ms, _ in step_stats(threads, side_by_side, precision)]
