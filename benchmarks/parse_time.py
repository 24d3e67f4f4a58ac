#!/usr/bin/env python
"""How long `snakemake -n` takes to parse the workflow on the default config, and whether it
imports torch (it should not: the rules need only the plan, the stages import torch themselves).

Runs `snakemake -n --cores 1` in this process under cProfile, --rounds times, and prints the
median of: the parse (cumulative time in Workflow.include of the Snakefile: every rule file, the
config's validation and the plans), the whole dry run (parse, DAG of every job, the plan's
printout) and Snakemake's own import, then whether torch was imported.

    python benchmarks/parse_time.py [--rounds 5] [--configfile configs/paper.yaml]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = """
import cProfile, pstats, sys, time
t0 = time.perf_counter()
import snakemake.cli
t_import = time.perf_counter() - t0
prof = cProfile.Profile()
t1 = time.perf_counter()
prof.enable()
try:
    snakemake.cli.main(sys.argv[1:])
except SystemExit:
    pass
prof.disable()
t_run = time.perf_counter() - t1
stats = pstats.Stats(prof)
include = max((v[3] for k, v in stats.stats.items() if k[2] == "include" and "workflow.py" in k[0]), default=float("nan"))
print(f"RESULT {t_import:.3f} {include:.3f} {t_run:.3f} {'torch' in sys.modules}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--configfile")
    args = parser.parse_args()
    extra = ["--configfile", args.configfile] if args.configfile else []
    rows = []
    for _ in range(args.rounds):
        out = subprocess.run([sys.executable, "-c", CHILD, "-n", "--cores", "1", "--quiet", "all", *extra], cwd=REPO,
                             capture_output=True, text=True).stdout
        line = next(l for l in out.splitlines() if l.startswith("RESULT"))
        imp, inc, run, torch = line.split()[1:]
        rows.append((float(imp), float(inc), float(run), torch == "True"))
    med = [statistics.median(r[i] for r in rows) for i in range(3)]
    config = args.configfile or "config.yaml"
    print(f"# snakemake -n on {config}, {args.rounds} rounds in fresh processes (medians; every round below)")
    for i, (imp, inc, run, torch) in enumerate(rows):
        print(f"round {i + 1}: import snakemake {imp:.2f} s, parse {inc:.2f} s, dry run {run:.2f} s, torch imported: {torch}")
    print(f"import of snakemake itself: {med[0]:.2f} s")
    print(f"dry run after the import (parse + DAG + printout): {med[2]:.2f} s")
    print(f"torch imported while parsing: {'yes' if any(r[3] for r in rows) else 'no'}")
    print(f"parse (Workflow.include of the Snakefile): {med[1]:.2f} s")


if __name__ == "__main__":
    main()
