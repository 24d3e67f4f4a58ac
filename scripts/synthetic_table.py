#!/usr/bin/env python
"""Stage 5 (synthetic): aggregate run metrics into a paper table (CSV, Markdown, LaTeX) and figure.

Mean and std over seeds for every metric, the paper's value beside each.
"""

import argparse

from identifiability.cli import run_main
from identifiability.synthetic.report import render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layout", required=True, help="table layout JSON (rows and setting ids)")
    parser.add_argument("--runs-root", required=True, help="folder holding <setting_id>/seed<k>/metrics.json")
    parser.add_argument("--paper", required=True, help="paper_results.yaml")
    parser.add_argument("--tables-dir", required=True)
    parser.add_argument("--figures-dir", required=True)
    args = parser.parse_args()
    summary = render(args.layout, args.runs_root, args.paper, args.tables_dir, args.figures_dir)
    print(summary.to_string())


if __name__ == "__main__":
    run_main(main)
