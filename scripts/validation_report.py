#!/usr/bin/env python
"""Validation report: docs/validation.md, docs/validation/paper_tables.csv and its figure, rebuilt
from the committed evidence of the validation's parts alone (docs/validation/parts/<part>/); trains
nothing and needs no results/.

One line per cell of the paper's Tables 2, 3 and 5 with our mean, its 95 % interval and the verdict
(identifiability/verdicts.py); the parts' wall times; the short cells' training curves; and the
budget plan, the investigation and the DisLib row where docs/validation/ holds them.
"""

import argparse
from pathlib import Path

from identifiability.cli import run_main
from identifiability.validation.parts import PARTS_FILE, REPO, load_parts
from identifiability.validation.report import write_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evidence", default=str(REPO / "docs" / "validation"),
                        help="folder holding parts/<part>/ (written: paper_tables.csv, .png, .pdf)")
    parser.add_argument("--parts", default=str(PARTS_FILE), help="the parts' config (configs/validation.yaml)")
    parser.add_argument("--out", default=str(REPO / "docs" / "validation.md"), help="the report (Markdown)")
    args = parser.parse_args()
    evidence = Path(args.evidence)
    if not (evidence / "parts").is_dir():
        raise SystemExit(f"no validation evidence: {evidence / 'parts'} is not a folder (run a part first)")
    write_report(evidence, Path(args.out), load_parts(args.parts))


if __name__ == "__main__":
    run_main(main)
