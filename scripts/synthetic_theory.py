#!/usr/bin/env python
"""Stage 5 (synthetic): Theorems 1 and 2 prediction by prediction: tables and figures (docs/theory.md).

For every case of the theorems in the layout (C1-C4, supervised), each prediction measured from
the runs' metrics, its predicted value and a verdict; a kappa sweep and a sweep of the number of
clusters (C3's diversity condition), as tables and figures.
"""

from identifiability.cli import render_stage_arguments, run_main
from identifiability.synthetic.theory import render


def main() -> None:
    args = render_stage_arguments(__doc__, "theory layout JSON (cells and setting ids)")
    table = render(args.layout, args.runs_root, args.tables_dir, args.figures_dir)
    print(table.to_string())


if __name__ == "__main__":
    run_main(main)
