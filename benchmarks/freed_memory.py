#!/usr/bin/env python
"""What keeping freed memory (identifiability.cli.retain_freed_memory, which every stage calls)
buys a training step: the d = 5 run-step of benchmarks/default_budget.py timed with glibc's
allocation defaults and with freed memory retained, in alternating processes (the machine's
speed drifts within minutes, so each pair is compared side by side in time), 1 thread, and two
processes side by side (the default run's 2 jobs at a time).

    python benchmarks/freed_memory.py > benchmarks/freed_memory.txt
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from identifiability.timing import step_stats   # the d = 5 run-step, timed in fresh processes

ROUNDS = 6


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    print(f"# page faults and step time, {time.strftime('%Y-%m-%d %H:%M')}; d = 5 run-step, batch 1024, "
          "2 stacked runs, cpu_matmul auto, 40 steps a process")
    for side_by_side in (1, 2):
        ratios = []
        for k in range(ROUNDS):
            rows = {}
            for retain in (False, True) if k % 2 == 0 else (True, False):
                stats = step_stats(1, side_by_side=side_by_side, precision="auto", retain_memory=retain)
                rows[retain] = (statistics.mean(ms for ms, _ in stats), statistics.mean(f for _, f in stats))
            ratios.append(rows[True][0] / rows[False][0])
            print(f"{side_by_side} process(es), round {k + 1}: defaults {rows[False][0]:.1f} ms per run-step, "
                  f"{rows[False][1]:.0f} page faults per step; retained {rows[True][0]:.1f} ms, "
                  f"{rows[True][1]:.0f} faults; ratio {ratios[-1]:.2f}")
        print(f"{side_by_side} process(es): retained / defaults, median of {ROUNDS} rounds: "
              f"{statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
