#!/usr/bin/env python
"""Stage 4 (ImageNet-X): t-tests against chance and Figure 3.

Reads the per-seed CSVs of imagenetx_decode.py (one per representation), tests every
(model, factor) mean accuracy against 0.5 with a one-sample t-test at the Bonferroni-adjusted
level alpha / (number of tests), and writes <stem>_summary.{csv,md,tex}, <stem>_per_seed.csv and
the figure <stem>.{pdf,png}: grouped bars per factor, SEM error bars, stars where significant,
chance line.
"""

import argparse
from pathlib import Path

import pandas as pd

from identifiability.cli import run_main, validate_args
from identifiability.imagenetx.report import figure, summarize
from identifiability.io import ArtifactError, atomic_path
from identifiability.tables import save_figure, write_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decoding", nargs="+", required=True, help="per-seed CSVs, one per model")
    parser.add_argument("--alpha", type=float, default=0.05, help="family-wise level")
    parser.add_argument("--alternative", default="two-sided", choices=("two-sided", "greater"))
    parser.add_argument("--stem", required=True, help="output path stem, e.g. results/imagenetx/figure3")
    args = parser.parse_args()
    validate_args(args, ("imagenetx.schema.yaml", "properties/report"))   # alpha, alternative
    frames = []
    for path in args.decoding:
        if not Path(path).exists():
            raise ArtifactError(f"decoding results not found: {path}. Run scripts/imagenetx_decode.py")
        frames.append(pd.read_csv(path))
    per_seed = pd.concat(frames, ignore_index=True)
    if per_seed.duplicated(["model", "factor", "seed"]).any():
        raise ValueError("the same model appears in two --decoding files")
    summary = summarize(per_seed, alpha=args.alpha, alternative=args.alternative)
    stem = Path(args.stem)
    with atomic_path(stem.with_name(stem.name + "_per_seed.csv")) as tmp:
        per_seed.to_csv(tmp, index=False)
    write_table(summary, stem.with_name(stem.name + "_summary"),
                caption="ImageNet-X: linear decoding accuracy per factor (mean and SEM over seeds), "
                        "one-sample t-test against 0.5, Bonferroni-adjusted.")
    save_figure(figure(summary), stem)
    n_sig = int(summary["significant"].sum())
    print(f"{n_sig} of {int(summary['n_tests'].iloc[0])} tests significant at "
          f"{summary['alpha_bonferroni'].iloc[0]:.2g}; wrote {stem}.pdf/.png and tables")


if __name__ == "__main__":
    run_main(main)
