#!/usr/bin/env python
"""Every verdict of two default runs side by side: the paper cells of Tables 2, 3, 5 (match /
better / short), the theory tables (holds / fails) and the Appendix D claims, with the measured
values, listing the verdicts that differ and counting apart those that turned from one decided
value to its opposite (match <-> short / better, holds <-> fails; identifiability.verdicts.opposite):
a change that only rounds differently may move a cell to or from inconclusive, never across.

A run is a folder with the workflow's tables (`results/` of a run kept by
`benchmarks/default_run.py --keep DIR`, or docs/examples/default_run/, which holds the same files
flat). Used to check that a change of the default run (a kernel, a precision) keeps its verdicts.

    python benchmarks/compare_verdicts.py docs/examples/default_run /tmp/default_run
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd

from identifiability.verdicts import opposite

# file -> columns that name a verdict's cell, the measured value
FILES = {
    "table2_vs_paper.csv": (["table", "setting", "metric"], "ours_mean"),
    "table3_vs_paper.csv": (["table", "setting", "metric"], "ours_mean"),
    "table5_vs_paper.csv": (["table", "setting", "metric"], "ours_mean"),
    "theory.csv": (["case", "prediction", "setting"], "measured_mean"),
    "theory_kappa.csv": (["case", "prediction", "setting"], "measured_mean"),
    "theory_diversity.csv": (["case", "prediction", "setting"], "measured_mean"),
}
CLAIM = re.compile(r"^- \*\*(?P<claim>.+)\*\*: (?P<verdict>HOLDS|DOES NOT HOLD|INCONCLUSIVE) here")
CLAIM_WORDS = {"HOLDS": "holds", "DOES NOT HOLD": "fails", "INCONCLUSIVE": "inconclusive"}


def claims(md: Path) -> dict[str, str]:
    """The Appendix D claims a sweep's .md checks at its end: claim -> HOLDS | DOES NOT HOLD."""
    return {m["claim"]: m["verdict"] for m in map(CLAIM.match, md.read_text().splitlines()) if m}


def find(run: Path, name: str) -> Path:
    hits = sorted(run.rglob(name))
    if not hits:
        raise SystemExit(f"{name} not found under {run}: give a run's results/ folder or docs/examples/default_run")
    return hits[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    total = changed = turned = 0
    for name, (key, value) in FILES.items():
        a, b = pd.read_csv(find(args.before, name)), pd.read_csv(find(args.after, name))
        if list(a[key].itertuples(index=False)) != list(b[key].itertuples(index=False)):
            raise SystemExit(f"{name}: the two runs have different cells (another config?)")
        diff = a.verdict.astype(str) != b.verdict.astype(str)
        total += len(a)
        changed += int(diff.sum())
        flips = [i for i in diff[diff].index if opposite(str(a.at[i, "verdict"]), str(b.at[i, "verdict"]))]
        turned += len(flips)
        print(f"{name}: {len(a)} verdicts, {int(diff.sum())} differ, {len(flips)} turned to the opposite")
        ref = "paper_mean" if "paper_mean" in a else "predicted"
        for i in diff[diff].index:
            cell = " ".join(str(a.at[i, k]) for k in key)
            print(f"    {cell}: {a.at[i, value]:.3f} ({a.at[i, 'verdict']}) -> {b.at[i, value]:.3f} "
                  f"({b.at[i, 'verdict']}); {ref} {a.at[i, ref]}" + ("  TURNED" if i in flips else ""))
    for md in sorted(args.before.rglob("fig*.md")):
        if md.name.endswith("_claims.md") or not (found := claims(md)):
            continue
        other = claims(find(args.after, md.name))
        diff = [c for c in found if other.get(c) != found[c]]
        flips = [c for c in diff if opposite(CLAIM_WORDS[found[c]], CLAIM_WORDS.get(other.get(c), ""))]
        total += len(found)
        changed += len(diff)
        turned += len(flips)
        print(f"{md.name}: {len(found)} claims, {len(diff)} differ, {len(flips)} turned to the opposite")
        for c in diff:
            print(f"    {c}: {found[c]} -> {other.get(c)}" + ("  TURNED" if c in flips else ""))
    print(f"verdicts that differ: {changed} of {total}")
    print(f"decided verdicts turned to their opposite: {turned} of {total}")


if __name__ == "__main__":
    main()
