#!/usr/bin/env python
"""Stage 5 (synthetic, Appendix D): aggregate the runs of a sweep into its figure and table.

A sweep is a grid over one or two settings (e.g. label noise; batch size x kappa), trained for
each of its variants. Writes <sweeps-dir>/<name>.csv|md|tex (mean and std over seeds per cell),
<name>_claims.csv|md|tex (the paper's stated findings checked against the numbers; also at the
end of <name>.md) and <figures-dir>/<name>.pdf|png (heat maps or line plots with error bars).
"""

from identifiability.cli import render_stage_arguments, run_main
from identifiability.synthetic.sweeps import render


def main() -> None:
    args = render_stage_arguments(__doc__, "sweep layout JSON (axes, cells, setting ids, claims)", out_flag="--sweeps-dir")
    summary, claims = render(args.layout, args.runs_root, args.sweeps_dir, args.figures_dir)
    print(summary.to_string())
    if not claims.empty:
        print(claims.to_string())


if __name__ == "__main__":
    run_main(main)
