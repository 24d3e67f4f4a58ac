#!/usr/bin/env python
"""Where a finished default run's time went (a run kept by `benchmarks/default_run.py --keep DIR`):
the training jobs' loops against the rest of those jobs (start-up, extraction, fits), from each
job's log and `benchmark:` file, and the cores left idle by the schedule, from Snakemake's log.

    python benchmarks/run_anatomy.py /tmp/default_run > benchmarks/run_anatomy.txt
"""

from __future__ import annotations

import argparse
import csv
import re
from datetime import datetime
from pathlib import Path

LOOP = re.compile(r"done, (\d+) steps in ([\d.]+) s")
STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]$")


def training_jobs(run: Path) -> list[tuple[float, float]]:
    """(job seconds, loop seconds) of every synthetic training job."""
    jobs = []
    for log in sorted((run / "results/logs/synthetic/train").glob("*.log")):
        loop = LOOP.search(log.read_text())
        bench = log.with_suffix(".bench.tsv")
        if loop and bench.exists():
            jobs.append((float(next(csv.DictReader(open(bench), delimiter="\t"))["s"]), float(loop[2])))
    return jobs


def schedule(run: Path) -> tuple[float, float]:
    """(wall seconds, busy job-seconds) from the first to the last timestamp of Snakemake's log,
    each job's time counted from its start line to its 'Finished' line."""
    log = max((run / ".snakemake/log").glob("*.log"))
    now, started, busy, stamps = None, {}, 0.0, []
    for line in log.read_text().splitlines():
        if m := STAMP.match(line):
            now = datetime.strptime(m[1], "%a %b %d %H:%M:%S %Y")
            stamps.append(now)
        elif m := re.match(r"\s+jobid: (\d+)", line):
            started[m[1]] = now
        elif m := re.match(r"Finished jobid: (\d+)", line):
            busy += (now - started.pop(m[1])).total_seconds()
    return (stamps[-1] - stamps[0]).total_seconds(), busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a run folder kept by benchmarks/default_run.py --keep")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    jobs = training_jobs(args.run)
    total, loops = sum(j for j, _ in jobs), sum(l for _, l in jobs)
    print(f"# {args.run}: {len(jobs)} training jobs")
    print(f"training jobs: {total:.0f} s, of which loops {loops:.0f} s ({loops / total:.0%}) and the rest "
          f"{total - loops:.0f} s ({(total - loops) / len(jobs):.1f} s a job: start-up, extraction, fits, saving)")
    wall, busy = schedule(args.run)
    print(f"schedule: {wall:.0f} s of wall time, {busy:.0f} job-seconds = {busy / args.cores:.0f} s on "
          f"{args.cores} cores; left idle: {wall - busy / args.cores:.0f} s of wall time (1 s timestamps)")


if __name__ == "__main__":
    main()
