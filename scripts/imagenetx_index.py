#!/usr/bin/env python
"""Stage 1 (ImageNet-X): match the ImageNet-X annotations to the validation JPEGs on disk.

Loads the annotations shipped with the imagenet-x package (46,110 validation images after
prototype filtering; 16 binary factors plus `class` = label >= 500), finds the images under
--image-dir (flat or in class sub-folders), and writes the index of annotated images found, in
file-name order: file_name, path, label and one 0/1 column per factor. Stops with a clear
message when fewer than --min-images match. A JSON summary says what was found.
"""

import argparse
import logging

import numpy as np

from identifiability.cli import run_main, validate_args
from identifiability.imagenetx.annotations import load_annotations
from identifiability.imagenetx.images import discover_images, match_annotations
from identifiability.io import atomic_path, provenance, write_json

log = logging.getLogger("imagenetx_index")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image-dir", required=True, help="folder of ILSVRC2012_val_*.JPEG files")
    parser.add_argument("--which-factor", default="top", choices=("top", "multi"),
                        help="ImageNet-X factor selection (package default: top)")
    parser.add_argument("--min-images", type=int, default=1000,
                        help="fail when fewer annotated images are found (default: 1000)")
    parser.add_argument("--max-images", type=int, default=0,
                        help="use a seeded random subset of this many images (0: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --max-images subset")
    parser.add_argument("--out", required=True, help="index CSV to write")
    parser.add_argument("--summary", required=True, help="JSON summary to write")
    args = parser.parse_args()
    validate_args({k: getattr(args, k) for k in ("which_factor", "min_images", "max_images", "seed")},
                  ("imagenetx.schema.yaml", ""))

    annotations = load_annotations(which_factor=args.which_factor)
    log.info("%d annotated validation images (factor selection: %s)", len(annotations), args.which_factor)
    found = discover_images(args.image_dir)
    log.info("%d validation JPEGs under %s", len(found), args.image_dir)
    index = match_annotations(annotations, found, args.min_images, args.image_dir)
    n_matched = len(index)
    if args.max_images and args.max_images < n_matched:
        rng = np.random.default_rng(args.seed)
        keep = np.sort(rng.choice(n_matched, args.max_images, replace=False))
        index = index.iloc[keep].reset_index(drop=True)
    print(f"found {n_matched} of {len(annotations)} annotated images in {args.image_dir}; "
          f"using {len(index)}")
    with atomic_path(args.out) as tmp:
        index.to_csv(tmp, index=False)
    factors = [c for c in index.columns if c not in ("file_name", "path", "label")]
    write_json(args.summary, {
        "n_annotated": len(annotations), "n_jpegs_in_dir": len(found), "n_matched": n_matched,
        "n_used": len(index), "positives": {f: int(index[f].sum()) for f in factors},
        **provenance(vars(args), args.seed)})


if __name__ == "__main__":
    run_main(main)
