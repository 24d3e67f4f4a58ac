#!/usr/bin/env python
"""DisLib stage 3: extract the 512-d representations f(x) of a trained encoder to HDF5.

Features of the train and validation splits (the same seeded split as training), with the true
factor indices beside them and the provenance as attributes.
"""

import argparse
import json

import torch

from identifiability.cli import run_main
from identifiability.device import resolve_device, set_threads
from identifiability.dislib.data import read_data_file, split_indices
from identifiability.dislib.models import Classifier
from identifiability.dislib.train import extract_features
from identifiability.io import ArtifactError, provenance, write_hdf5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="prepared data file")
    parser.add_argument("--model-file", required=True, help="trained model (dislib_train.py)")
    parser.add_argument("--out", required=True, help="features file (.h5)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=1024)
    args = parser.parse_args()
    set_threads(args.threads)
    device = resolve_device(args.device)
    try:
        ckpt = torch.load(args.model_file, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ArtifactError(f"model file not found: {args.model_file}. Run scripts/dislib_train.py first.")
    images, factors, meta = read_data_file(args.data)
    if ckpt["dataset"] != meta["dataset"]:
        raise ValueError(f"{args.model_file} was trained on {ckpt['dataset']}, not {meta['dataset']}")
    model = Classifier(ckpt["model"], ckpt["channels"], ckpt["size"], ckpt["n_classes"])
    model.load_state_dict(ckpt["state_dict"])
    splits = split_indices(len(images), ckpt["seed"])
    arrays = {}
    for part in ("train", "val"):
        print(f"extracting {part} features ({len(splits[part])} images) on {device}")
        arrays[f"features_{part}"] = extract_features(model, images[splits[part]], device, args.batch_size,
                                                      desc=f"{part} features")
        arrays[f"factors_{part}"] = factors[splits[part]]
        arrays[f"index_{part}"] = splits[part]
    attrs = provenance({"model_file": str(args.model_file), "data": str(args.data),
                        "model": ckpt["model"], "train_settings": ckpt["settings"]}, ckpt["seed"])
    attrs.update(dataset=meta["dataset"], model=ckpt["model"],
                 factor_names=json.dumps(meta["factor_names"]), target=meta["target"],
                 decoded=json.dumps(meta["decoded"]))
    write_hdf5(args.out, arrays, attrs)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    run_main(main)
