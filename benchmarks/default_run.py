#!/usr/bin/env python
"""Wall time of the default workflow (config.yaml) from scratch, and where the time goes.

Copies the committed files of this checkout (`git ls-files`) into a temporary folder, runs
`snakemake --cores all` there with this environment's Snakemake (the install is not timed), and
prints the machine's speed before and after (one training step timed alone, as in
benchmarks/default_budget.py: this machine drifts by a quarter and more between hours), the job
time per rule from the rules' `benchmark:` files, the number of jobs, and on its last
line `workflow wall time: <minutes> min`. With --keep DIR the finished run is kept there (to refresh
docs/examples/default_run/ from it).

    python benchmarks/default_run.py [--cores all] [--keep /tmp/default_run] > benchmarks/default_run.txt
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from identifiability.timing import step_ms   # the d = 5 run-step, timed in fresh processes

REPO = Path(__file__).resolve().parent.parent


def copy_checkout(dest: Path) -> str:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, files):
        src = REPO / name.decode()
        if src.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()


def rule_of(bench: Path, logs: Path) -> str:
    """The rule a benchmark file belongs to, from its folder under results/logs/."""
    parts = bench.relative_to(logs).parts
    family = parts[0]
    if family == "synthetic":
        return f"synthetic_{parts[1]}" if len(parts) > 2 else f"synthetic_{bench.name.split('.')[0]}"
    if family == "dislib":
        stage = bench.name.split(".")[0]
        return f"dislib_{stage}"
    return f"{family}_{bench.name.split('.')[0]}"


def machine_speed() -> float:
    """ms per run-step of the default training step, one 1-thread process alone (the median of 3)."""
    return sorted(step_ms(1, precision="auto")[0] for _ in range(3))[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", default="all")
    parser.add_argument("--keep", help="keep the finished run in this folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="default_run_"))
    commit = copy_checkout(work)
    print(f"# default workflow (config.yaml) from scratch, commit {commit}, {time.strftime('%Y-%m-%d %H:%M')}")
    from identifiability.device import cpu_summary
    print(f"# machine: {platform.machine()}, {cpu_summary()}, {os.cpu_count()} CPUs; snakemake --cores {args.cores}; "
          "install not timed")
    speed_before = machine_speed()
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(args.cores)], cwd=work,
                          capture_output=True, text=True)
    wall = time.time() - t0
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"the workflow failed (exit {proc.returncode}); its folder is kept: {work}")
    logs = work / "results" / "logs"
    per_rule: dict[str, list[float]] = defaultdict(list)
    for bench in logs.rglob("*.bench.tsv"):
        row = next(csv.DictReader(open(bench), delimiter="\t"))
        per_rule[rule_of(bench, logs)].append(float(row["s"]))
    total = sum(sum(v) for v in per_rule.values())
    print()
    print("| rule | jobs | job time (min) | mean per job (s) | share |")
    print("|---|---|---|---|---|")
    for rule, times in sorted(per_rule.items(), key=lambda kv: -sum(kv[1])):
        print(f"| {rule} | {len(times)} | {sum(times) / 60:.1f} | {sum(times) / len(times):.1f} | "
              f"{sum(times) / total:.0%} |")
    print(f"| all | {sum(len(v) for v in per_rule.values())} | {total / 60:.1f} | | |")
    print()
    print(f"job time / wall time: {total / wall:.2f} (2 cores: at most ~2)")
    print(f"machine speed: {speed_before:.1f} ms per run-step before the workflow, {machine_speed():.1f} after "
          "(benchmarks/default_budget.py's d = 5 step, 1 thread alone, cpu_matmul auto; lower is faster)")
    if args.keep:
        shutil.rmtree(args.keep, ignore_errors=True)
        shutil.move(str(work), args.keep)
        print(f"run kept in {args.keep}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"workflow wall time: {wall / 60:.1f} min")


if __name__ == "__main__":
    main()
