#!/usr/bin/env python
"""Every row of Tables 2, 3 and 5 of configs/paper.yaml, run through the workflow in parts.

The paper config's tables take hours on a 2-core CPU, so they run in parts (groups of rows that
share tensor shapes and train in the same stacked jobs). Each part

    python benchmarks/validate_paper_tables.py run <part> [--cores all]

runs the workflow on configs/paper.yaml reduced to the part's rows (results in
results/validation_tables/, git-ignored) and commits-ready evidence to docs/validation/parts/<part>/:
per table the layout and every run's metrics (one line per row, column and seed), every run's
training curve (loss, beta and the probe R² of z over steps), and the part's wall time and
training jobs. Nothing later needs results/: the report is rebuilt from these files alone,

(snakemake --cores 1 -f validation_report: rules/validation.smk, scripts/validation_report.py) writes
docs/validation/paper_tables.csv (one line per cell of the paper's tables, with the verdict),
docs/validation/paper_tables.png (ours against the paper's, one point per cell) and docs/validation.md.
`list` prints the parts and their rows.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import subprocess
import sys
import time

import pandas as pd
import yaml

from identifiability.device import cpu_summary
from identifiability.synthetic.plan import build_plan
from identifiability.synthetic.report import collect
from identifiability.validation.parts import REPO, load_parts, part_config

RESULTS = "results/validation_tables"
EVIDENCE = REPO / "docs" / "validation"


def part_spec(part: str) -> dict:
    parts = load_parts()
    if part not in parts:
        raise SystemExit(f"unknown part {part!r}; parts (configs/validation.yaml): {', '.join(parts)}")
    return parts[part]


def _commit() -> str:
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                           capture_output=True, text=True).stdout.strip()
    return rev + ("+uncommitted" if dirty else "")


def run_part(part: str, cores: str, threads: int | None = None, stack: str | None = None) -> None:
    spec = part_spec(part)
    cfg = part_config(spec, RESULTS, threads=threads, stack=stack)
    plan = build_plan(cfg["synthetic"], cfg["threads"])
    out = EVIDENCE / "parts" / part
    out.mkdir(parents=True, exist_ok=True)
    cfg_file = out / "config.yaml"
    cfg_file.write_text(f"# configs/paper.yaml reduced to part {part} by benchmarks/validate_paper_tables.py\n"
                        + yaml.safe_dump(cfg, sort_keys=False))
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    commit = _commit()
    print(f"part {part}: {sum(len(t['rows']) for t in plan.tables.values())} rows, "
          f"{len(plan.settings)} settings x {len(plan.seeds)} seeds, {len(plan.stacks)} training jobs", flush=True)
    t0 = time.time()
    targets = [f"{RESULTS}/synthetic/tables/{t}.csv" for t in plan.tables]
    subprocess.run([sys.executable, "-m", "snakemake", *targets, "--cores", str(cores), "--configfile", str(cfg_file)],
                   cwd=REPO, check=True)
    wall = time.time() - t0
    results = REPO / RESULTS / "synthetic"
    jobs = []
    for sid, members in plan.stacks.items():
        bench = REPO / RESULTS / "logs" / "synthetic" / "train" / f"{sid}.bench.tsv"
        seconds = float(next(csv.DictReader(open(bench), delimiter="\t"))["s"]) if bench.exists() else None
        jobs.append({"stack": sid, "runs": len(members) * len(plan.seeds), "train_s": seconds})
    curves = []
    for name in plan.tables:
        layout = plan.table_layout(name)
        (out / f"{name}.layout.json").write_text(json.dumps(layout, indent=1) + "\n")
        long = collect(layout, results / "runs")
        long.to_csv(out / f"{name}.runs.csv", index=False)
        for row in layout["rows"]:
            for column, rid in row["runs"].items():
                for seed in plan.seeds:
                    log = results / "models" / plan.stack_of(rid) / rid / f"seed{seed}" / "train_log.csv"
                    for rec in csv.DictReader(open(log)):
                        curves.append({"table": name, "row": row["label"], "column": column, "seed": seed, **rec})
    pd.DataFrame(curves).to_csv(out / "curves.csv", index=False)
    steps = sorted({s.train.steps for s in plan.settings.values()})
    info = {"part": part, "investigation": spec["investigation"], "commit": commit, "started_utc": started,
            "wall_s": round(wall, 1), "steps": steps, "seeds": plan.seeds, "settings": len(plan.settings),
            "machine": f"{os.cpu_count()} CPUs: {cpu_summary()}", "jobs": jobs}
    (out / "part.json").write_text(json.dumps(info, indent=1) + "\n")
    print(f"part {part} done in {wall / 60:.1f} min; evidence in {out.relative_to(REPO)}", flush=True)


def list_parts() -> None:
    for part, spec in load_parts().items():
        cfg = part_config(spec, RESULTS)
        plan = build_plan(cfg["synthetic"], cfg["threads"])
        done = (EVIDENCE / "parts" / part / "part.json").exists()
        print(f"{part}: {len(plan.settings)} settings, {len(plan.stacks)} training jobs"
              f"{' (done)' if done else ''}")
        for name, spec in cfg["synthetic"]["tables"].items():
            print(f"  {name}: " + "; ".join(json.dumps(r.get("process", {})) for r in spec["rows"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one part through the workflow and write its evidence")
    run.add_argument("part", help="a part of configs/validation.yaml")
    run.add_argument("--cores", default="all")
    run.add_argument("--threads", type=int, default=None,
                     help="CPU threads per training job (default: configs/paper.yaml's)")
    run.add_argument("--stack", choices=["seeds", "settings"], default=None,
                     help="stack runs by seeds (a job per setting) or by settings (default: configs/paper.yaml's)")
    sub.add_parser("list", help="the parts, their rows, which are done")
    args = parser.parse_args()
    if args.command == "run":
        run_part(args.part, args.cores, args.threads, args.stack)
    else:
        list_parts()


if __name__ == "__main__":
    main()
