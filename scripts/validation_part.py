#!/usr/bin/env python
"""Validation part evidence: once the workflow has trained one part of the paper validation
(configs/validation.yaml; `snakemake validation_part --config validation_part='{name: <part>}'`),
write its evidence to docs/validation/parts/<part>/ from the results: the config it ran, per table
the cells' runs and every run's metrics, every run's training curve, and part.json (commit,
machine, the training jobs' and the part's wall times, from the jobs' Snakemake benchmark files).

`--list` prints the parts, their rows and which have evidence.
"""

import argparse
import json
from pathlib import Path

from identifiability.cli import run_main
from identifiability.validation.evidence import write_dislib_evidence, write_part_evidence
from identifiability.validation.parts import (
    EVIDENCE_DIR,
    PAPER_CONFIG,
    PARTS_FILE,
    load_parts,
    requested_part_config,
)


def list_parts(args) -> None:
    for name in load_parts(args.parts):
        cfg = requested_part_config({"name": name}, args.results_root, args.parts, args.paper)
        done = (EVIDENCE_DIR / "parts" / name / "part.json").exists()
        syn = cfg["synthetic"]
        if "dislib" in load_parts(args.parts)[name]:
            dl = cfg["dislib"]
            print(f"{name}: Table 4, {', '.join(dl['datasets'])}, models {', '.join(dl['models'])}, seeds {dl['seeds']}"
                  f"{' (evidence committed)' if done else ''}")
            continue
        what = (f"sweep {', '.join(syn['sweeps'])}" if syn.get("sweeps")
                else f"{sum(len(t['rows']) for t in syn['tables'].values())} rows")
        print(f"{name}: {what}, seeds {syn['seeds']}{' (evidence committed)' if done else ''}")
        for table, t in syn["tables"].items():
            print(f"  {table}: " + "; ".join(json.dumps(r.get("process", {})) for r in t["rows"]))
        for sweep, s in syn.get("sweeps", {}).items():
            print(f"  {sweep}: " + json.dumps(s["axes"]) + (f", training {json.dumps(s['base'])}" if s.get("base") else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", help="a part of configs/validation.yaml")
    parser.add_argument("--threads", type=int, default=None, help="as the run: CPU threads per training job")
    parser.add_argument("--stack", choices=["seeds", "settings"], default=None, help="as the run: how runs stacked")
    parser.add_argument("--results-root", default="results",
                        help="the workflow's results folder (the part's runs are in <it>/validation_tables)")
    parser.add_argument("--parts", default=str(PARTS_FILE), help="the parts (configs/validation.yaml)")
    parser.add_argument("--paper", default=str(PAPER_CONFIG), help="the config they reduce (configs/paper.yaml)")
    parser.add_argument("--out", help="evidence folder (default docs/validation/parts/<part>)")
    parser.add_argument("--dislib-runs", nargs="+", default=[],
                        help="a DisLib part's run folders (<results>/dislib/<data>/<model>/<training>/seed<k>)")
    parser.add_argument("--list", action="store_true", help="print the parts and their rows, then exit")
    args = parser.parse_args()
    if args.list:
        return list_parts(args)
    if not args.part:
        parser.error("--part is required (or --list)")
    request = {"name": args.part, **{k: v for k, v in (("threads", args.threads), ("stack", args.stack)) if v}}
    cfg = requested_part_config(request, args.results_root, args.parts, args.paper)
    out = Path(args.out) if args.out else EVIDENCE_DIR / "parts" / args.part
    spec = load_parts(args.parts)[args.part]
    if "dislib" in spec:
        info = write_dislib_evidence(args.part, spec, cfg, cfg["results"], out, args.dislib_runs)
    else:
        info = write_part_evidence(args.part, spec, cfg, cfg["results"], out)
    wall = f"{info['wall_s'] / 60:.1f} min" if info["wall_s"] else "wall time unknown"
    print(f"part {args.part}: {wall}; evidence in {out}")


if __name__ == "__main__":
    run_main(main)
