#!/usr/bin/env python
"""Stage 5 (synthetic): the paper's family of methods side by side: table and figure (docs/genealogy.md).

One line per (process, method): R² of z (affine, no intercept), the singular-value MAE, R² of v_c
from W where a method has W, and the training time.
"""

from identifiability.cli import render_stage_arguments, run_main
from identifiability.synthetic.genealogy import render


def main() -> None:
    args = render_stage_arguments(__doc__, "genealogy layout JSON (cells and setting ids)")
    table = render(args.layout, args.runs_root, args.tables_dir, args.figures_dir)
    print(table.to_string())


if __name__ == "__main__":
    run_main(main)
