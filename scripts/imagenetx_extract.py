#!/usr/bin/env python
"""Stage 2 (ImageNet-X): extract one representation of every indexed image to HDF5.

Models: resnet50, vit_b_16 (pretrained; need a local torchvision checkpoint, found at --weights
or in $TORCH_HOME/hub/checkpoints, sha256 prefix checked), resnet50_random, vit_b_16_random
(random initialisation from --seed) and input_projection (the preprocessed image times a seeded
Gaussian 150528 x 2048 matrix). Each uses its weights' evaluation transform. Runs on the GPU when
present. Features are written in chunks; an interrupted run resumes where it stopped.
"""

import argparse

import pandas as pd

from identifiability.cli import run_main, validate_args
from identifiability.device import resolve_device, set_threads
from identifiability.imagenetx import models
from identifiability.imagenetx.extract import extract


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", required=True, help="index CSV from imagenetx_index.py")
    parser.add_argument("--model", required=True, choices=models.MODELS)
    parser.add_argument("--weights", default=None,
                        help="checkpoint of a pretrained model (default: torchvision's cache)")
    parser.add_argument("--seed", type=int, default=0, help="seed of random init / projection")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=0, help="image-decoding processes")
    parser.add_argument("--chunk-images", type=int, default=1024,
                        help="images per written (resumable) chunk")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--out", required=True, help="features HDF5 to write")
    args = parser.parse_args()
    validate_args(args, ("imagenetx.schema.yaml", "properties/extract"))   # batch_size, workers, ...
    validate_args({"seed": args.seed}, ("imagenetx.schema.yaml", ""))
    set_threads(args.threads)
    device = resolve_device(args.device)
    index = pd.read_csv(args.index)
    if not {"file_name", "path"} <= set(index.columns):
        raise ValueError(f"{args.index} is not an index written by imagenetx_index.py")
    rep = models.build(args.model, args.seed, args.weights if models.needs_weights(args.model) else None)
    print(f"extracting {args.model} ({rep.dim}-d) of {len(index)} images on {device}")
    extract(index, rep, args.out, device=device, batch_size=args.batch_size,
            num_workers=args.workers, chunk_images=args.chunk_images)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    run_main(main)
