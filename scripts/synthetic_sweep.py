#!/usr/bin/env python
"""Stage 5 (synthetic, Appendix D): aggregate the runs of a sweep into its figure and table.

A sweep is a grid over one or two settings (e.g. label noise; batch size x kappa), trained for
each of its variants. Writes <sweeps-dir>/<name>.csv|md|tex (mean and std over seeds per cell),
<name>_claims.csv|md|tex (the paper's stated findings checked against the numbers; also at the
end of <name>.md) and <figures-dir>/<name>.pdf|png (heat maps or line plots with error bars).
"""

import argparse

from identifiability.cli import run_main
from identifiability.synthetic.sweeps import render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layout", required=True, help="sweep layout JSON (axes, cells, run ids, claims)")
    parser.add_argument("--runs-root", required=True, help="folder holding <run_id>/seed<k>/metrics.json")
    parser.add_argument("--sweeps-dir", required=True)
    parser.add_argument("--figures-dir", required=True)
    args = parser.parse_args()
    summary, claims = render(args.layout, args.runs_root, args.sweeps_dir, args.figures_dir)
    print(summary.to_string())
    if not claims.empty:
        print(claims.to_string())


if __name__ == "__main__":
    run_main(main)
