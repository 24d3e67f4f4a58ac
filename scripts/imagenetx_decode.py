#!/usr/bin/env python
"""Stage 3 (ImageNet-X): decode every factor from one representation with logistic regression.

Drops dead units (default: mean <= 0, as the paper), z-scores, and per factor and seed makes a
stratified train/test split, balances both splits by subsampling the majority value, fits
sklearn's LogisticRegression and records test accuracy and ROC AUC. Writes one CSV row per
(factor, seed).
"""

import argparse

import pandas as pd

from identifiability.cli import run_main, validate_args
from identifiability.imagenetx.annotations import FACTORS
from identifiability.imagenetx.decode import DEAD_UNIT_RULES, DecodeSettings, decode
from identifiability.imagenetx.features import read_features
from identifiability.io import atomic_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--features", required=True, help="features HDF5 from imagenetx_extract.py")
    parser.add_argument("--index", required=True, help="index CSV from imagenetx_index.py")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--test-size", type=float, default=0.3)
    parser.add_argument("--min-minority", type=int, default=10,
                        help="decode a factor only if its rarer value has this many images")
    parser.add_argument("--C", type=float, default=1.0, help="inverse L2 strength")
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--dead-units", default="mean_nonpositive", choices=DEAD_UNIT_RULES)
    parser.add_argument("--threads", type=int, default=0, help="BLAS threads (0: default)")
    parser.add_argument("--out", required=True, help="per-seed results CSV to write")
    args = parser.parse_args()
    validate_args(args, ("imagenetx.schema.yaml", "properties/decode"))   # seeds, test_size, C, ...
    if args.threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    settings = DecodeSettings(seeds=tuple(args.seeds), test_size=args.test_size,
                              min_minority=args.min_minority, C=args.C, max_iter=args.max_iter,
                              dead_units=args.dead_units)
    feats, names, info = read_features(args.features)
    index = pd.read_csv(args.index)
    if index["file_name"].astype(str).tolist() != names:
        raise ValueError(f"{args.features} was extracted for other images than {args.index}; "
                         "re-extract it")
    missing = [f for f in FACTORS if f not in index.columns]
    if missing:
        raise ValueError(f"{args.index} lacks factor columns {missing}")
    table = decode(feats, index[list(FACTORS)], settings, model=info["model"])
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, index=False)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    run_main(main)
