#!/usr/bin/env python
"""Stage 4 (synthetic): fit linear maps on extracted representations and write metrics JSON.

Metrics: affine and orthogonal R² of z from z̃, singular-value MAE, R² of v_c from the rows of W
(and its MAE), within-class collapse of W rows, learned beta against kappa, mean feature norm.
"""

import argparse

from identifiability.cli import run_main
from identifiability.io import write_json
from identifiability.synthetic.metrics import compute_metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--representations", required=True, help="HDF5 from synthetic_extract.py")
    parser.add_argument("--out", required=True, help="metrics JSON path")
    args = parser.parse_args()
    metrics = compute_metrics(args.representations)
    write_json(args.out, metrics)
    print(f"wrote {args.out}: affine R² z {metrics['affine_r2_z']:.4f}, W->v {metrics['affine_r2_w']:.4f}")


if __name__ == "__main__":
    run_main(main)
