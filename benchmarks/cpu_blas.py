#!/usr/bin/env python
"""Which BLAS should compute the encoder's float32 products on this CPU: torch's own (MKL) or
numpy's (OpenBLAS)? (identifiability.device.cpu_blas picks OpenBLAS on CPUs that are not Intel's.)

(a) GFLOP/s of the three products of a 250 x 250 (d = 5) and a 500 x 500 (d = 10) hidden layer,
    2 stacked runs, batch 1024, one thread: forward h W^T, backward grad W and grad^T h, each the
    median of interleaved rounds;
(b) ms per run-step of a whole training step (DIET, N = 1000, |C| = 100, 2 stacked runs, one
    thread), the two libraries alternating every 10 steps inside one process so that the machine's
    drift cancels in the paired ratio; at d = 5 also two such processes side by side (how the
    default workflow runs its jobs on 2 cores);
(c) ms per run-step of that step (d = 5) at 1 and 2 threads, a fresh process for each library and
    thread count (``threads`` of the config): OpenBLAS's threads beside torch's OpenMP ones;
(d) the cost of the choice itself: µs per call of cpu_blas(), which every encoder product makes.

    python benchmarks/cpu_blas.py > benchmarks/cpu_blas.txt
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def use_blas(name: str) -> None:
    os.environ["IDENTIFIABILITY_CPU_BLAS"] = name   # read at every product (identifiability.device.cpu_blas)


def timed(f, n: int) -> float:
    f()
    t = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - t) / n


def products(width: int, rounds: int = 7) -> str:
    import numpy as np
    import torch
    R, B = 2, 1024
    h, g, w = torch.randn(R, B, width), torch.randn(R, B, width), torch.randn(R, width, width)
    hn, gn, wn = h.numpy(), g.numpy(), w.numpy()
    cases = {"forward h W^T": (lambda: torch.bmm(h, w.transpose(1, 2)),
                               lambda: np.matmul(hn, wn.transpose(0, 2, 1))),
             "backward grad W": (lambda: torch.bmm(g, w), lambda: np.matmul(gn, wn)),
             "backward grad^T h": (lambda: torch.bmm(g.transpose(1, 2), h),
                                   lambda: np.matmul(gn.transpose(0, 2, 1), hn))}
    gflop = 2 * R * B * width * width / 1e9
    n = max(3, int(0.05 / (gflop / 60)))
    cells = []
    for name, (mkl, openblas) in cases.items():
        t_mkl, t_open = [], []
        for _ in range(rounds):
            t_mkl.append(timed(mkl, n))
            t_open.append(timed(openblas, n))
        a, b = gflop / statistics.median(t_mkl), gflop / statistics.median(t_open)
        cells.append(f"| {width} x {width} | {name} | {a:.0f} | {b:.0f} | {b / a:.2f}x |")
    return "\n".join(cells)


def paired_steps(d: int, rounds: int) -> tuple[float, float, float]:
    """(MKL ms, OpenBLAS ms per run-step, median paired MKL / OpenBLAS ratio) of one process."""
    import torch
    from identifiability.synthetic.process import create_process
    from identifiability.synthetic.settings import ProcessSettings, TrainSettings
    from identifiability.synthetic.train import RunBatch
    procs = [create_process(ProcessSettings(d=d), s)[0] for s in range(2)]
    batch = RunBatch(TrainSettings(lr=0.02, cpu_matmul="float32"), procs, torch.device("cpu"))
    for _ in range(5):
        batch.train_step()
    ms = {"mkl": [], "openblas": []}
    for _ in range(rounds):
        for blas in ms:
            use_blas(blas)
            ms[blas].append(timed(batch.train_step, 10) * 1000 / batch.n_runs)
    ratio = statistics.median(a / b for a, b in zip(ms["mkl"], ms["openblas"]))
    return statistics.median(ms["mkl"]), statistics.median(ms["openblas"]), ratio


def steps_line(label: str, result: tuple[float, float, float]) -> str:
    return f"| {label} | {result[0]:.1f} | {result[1]:.1f} | {result[2]:.2f}x |"


def threaded_step(blas: str, threads: int, steps: int = 40) -> float:
    """ms per run-step of the d = 5 step in a fresh process with ``threads`` threads and ``blas``."""
    env = {**os.environ, "IDENTIFIABILITY_CPU_BLAS": blas}
    out = subprocess.run([sys.executable, __file__, "--threaded", str(threads), str(steps)], cwd=REPO, env=env,
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return float(out.split()[-1])


def main() -> None:
    if sys.argv[1:2] == ["--threaded"]:       # one process of (c), run by threaded_step
        import torch
        from identifiability.cli import retain_freed_memory
        from identifiability.device import set_threads
        from identifiability.synthetic.process import create_process
        from identifiability.synthetic.settings import ProcessSettings, TrainSettings
        from identifiability.synthetic.train import RunBatch
        retain_freed_memory()
        set_threads(int(sys.argv[2]))
        procs = [create_process(ProcessSettings(), s)[0] for s in range(2)]
        batch = RunBatch(TrainSettings(lr=0.02, cpu_matmul="float32"), procs, torch.device("cpu"))
        for _ in range(5):
            batch.train_step()
        print(timed(batch.train_step, int(sys.argv[3])) * 1000 / batch.n_runs)
        return
    if sys.argv[1:2] == ["--steps"]:          # one process of (b)'s side-by-side pair, run by main below
        from identifiability.device import set_threads
        set_threads(1)
        print(*paired_steps(int(sys.argv[2]), int(sys.argv[3])))
        return
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    import numpy as np
    import torch
    from identifiability.cli import retain_freed_memory
    from identifiability.device import _numpy_blas, cpu_summary, set_threads
    retain_freed_memory()
    set_threads(1)
    print(f"# float32 products: torch's MKL against numpy's OpenBLAS, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"machine: {cpu_summary()}; {os.cpu_count()} cores; torch {torch.__version__}, numpy {np.__version__} "
          f"with {_numpy_blas()}; one thread")
    print("\n(a) GFLOP/s of the products of one hidden layer (2 runs, batch 1024), median of 7 interleaved rounds\n")
    print("| layer | product | MKL (torch.bmm) | OpenBLAS (numpy.matmul) | OpenBLAS / MKL |")
    print("|---|---|---|---|---|")
    print(products(250))
    print(products(500))
    print("\n(b) ms per run-step of a training step (DIET, 2 stacked runs, one thread), the libraries alternating "
          "every 10 steps in one process; ratio = median of the paired MKL / OpenBLAS ratios\n")
    print("| setting | MKL ms | OpenBLAS ms | speed-up |")
    print("|---|---|---|---|")
    print(steps_line("d = 5, one process alone", paired_steps(5, 12)))
    print(steps_line("d = 10, one process alone", paired_steps(10, 5)))
    pair = [subprocess.Popen([sys.executable, __file__, "--steps", "5", "12"], cwd=REPO, stdout=subprocess.PIPE,
                             text=True) for _ in range(2)]
    for i, p in enumerate(pair):
        result = tuple(map(float, p.communicate()[0].split()))
        print(steps_line(f"d = 5, process {i + 1} of 2 side by side", result))
    print("\n(c) ms per run-step of the d = 5 step by thread count, a fresh process each (40 steps, alone)\n")
    print("| library | 1 thread | 2 threads | 2 threads / 1 thread |")
    print("|---|---|---|---|")
    for blas in ("mkl", "openblas"):
        one, two = threaded_step(blas, 1), threaded_step(blas, 2)
        print(f"| {blas} | {one:.1f} | {two:.1f} | {two / one:.2f}x |")
    from identifiability.device import cpu_blas
    os.environ.pop("IDENTIFIABILITY_CPU_BLAS", None)   # (b) left its last choice there
    print(f"\ncpu_blas picks {cpu_blas(threads=1)} at 1 thread and {cpu_blas(threads=2)} at 2")
    per_call = statistics.median(timed(cpu_blas, 100_000) for _ in range(5))
    print(f"\n(d) cpu_blas() per call: {per_call * 1e6:.2f} µs (median of 5 rounds of 100000 calls)")


if __name__ == "__main__":
    main()
