#!/usr/bin/env python
"""DisLib stage 1: write one data set to the prepared HDF5 (images uint8 + true factor indices).

Real data sets are read from their public files under --data-dir (never downloaded here; a
missing file stops with its name, where to put it and its URL). The procedural dSprites
stand-in (--dataset dsprites_procedural) is rendered offline: --n-samples random factor
combinations (seeded by --seed), or all 737,280 with --n-samples 0.
"""

import argparse

from identifiability.cli import run_main, validate_args
from identifiability.dislib.data import write_data_file
from identifiability.dislib.datasets import SPECS, load_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, choices=sorted(SPECS))
    parser.add_argument("--out", required=True, help="prepared data file (.h5)")
    parser.add_argument("--data-dir", default="data/dislib", help="folder with the public files (real data sets)")
    parser.add_argument("--n-samples", type=int, default=20000, help="procedural dSprites: images to render (0: all)")
    parser.add_argument("--seed", type=int, default=0, help="procedural dSprites: which combinations")
    args = parser.parse_args()
    if SPECS[args.dataset].stand_in:
        from identifiability.dislib.dsprites_render import render_dataset
        validate_args(args, ("dislib.schema.yaml", "properties/procedural"))   # n_samples, seed
        n = args.n_samples if args.n_samples > 0 else None
        data = render_dataset(n, args.seed)
        settings = {"dataset": args.dataset, "n_samples": args.n_samples, "renderer": "dsprites_render"}
        write_data_file(args.out, data, settings, seed=args.seed)
    else:
        data = load_dataset(args.dataset, args.data_dir)
        write_data_file(args.out, data, {"dataset": args.dataset, "data_dir": str(args.data_dir)})
    print(f"wrote {args.out}: {len(data.images)} images {data.images.shape[1:]}, "
          f"factors {list(data.spec.factor_names)}")


if __name__ == "__main__":
    run_main(main)
