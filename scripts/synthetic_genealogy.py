#!/usr/bin/env python
"""Stage 5 (synthetic): the paper's family of methods side by side: table and figure (docs/genealogy.md).

One line per (process, method): R² of z (affine, no intercept), the singular-value MAE, R² of v_c
from W where a method has W, and the training time.
"""

import argparse

from identifiability.cli import run_main
from identifiability.synthetic.genealogy import render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layout", required=True, help="genealogy layout JSON (cells and run ids)")
    parser.add_argument("--runs-root", required=True, help="folder holding <run_id>/seed<k>/metrics.json")
    parser.add_argument("--tables-dir", required=True)
    parser.add_argument("--figures-dir", required=True)
    args = parser.parse_args()
    table = render(args.layout, args.runs_root, args.tables_dir, args.figures_dir)
    print(table.to_string())


if __name__ == "__main__":
    run_main(main)
