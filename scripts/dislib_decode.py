#!/usr/bin/env python
"""DisLib stage 4: linear decoding of the factors (Pearson r on the validation split).

From --features (a trained encoder's representations, dislib_extract.py) or, for the input
baseline, from the flattened pixels of --data (--model input). Least squares without intercept
to each standardised factor, fitted on the train split. Writes one JSON per run.
"""

import argparse

from identifiability.cli import run_main
from identifiability.dislib.data import read_data_file, split_indices
from identifiability.dislib.decode import decode_all
from identifiability.io import read_hdf5, read_json, write_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="prepared data file")
    parser.add_argument("--model", required=True, choices=["input", "mlp", "resnet18"])
    parser.add_argument("--seed", type=int, required=True, help="split seed (the run's seed)")
    parser.add_argument("--features", help="features file (required unless --model input)")
    parser.add_argument("--history", help="training history JSON, to record the validation accuracy")
    parser.add_argument("--data-tag", default=None, help="name of the data variant for the report")
    parser.add_argument("--out", required=True, help="decoding results (.json)")
    parser.add_argument("--device", default="auto",
                        help="device for decoding too wide for memory (full pixel data sets): auto (CUDA if usable, "
                             "else CPU), cpu or cuda; torch is imported only then")
    args = parser.parse_args()
    images, factors, meta = read_data_file(args.data)
    if args.model == "input":
        splits = split_indices(len(images), args.seed)
        train_x, val_x = images[splits["train"]], images[splits["val"]]
        train_f, val_f = factors[splits["train"]], factors[splits["val"]]
    else:
        if not args.features:
            raise ValueError(f"--features is required for --model {args.model}")
        arrays, attrs = read_hdf5(args.features, "features file", "Run scripts/dislib_extract.py.",
                                  required=("features_train", "features_val", "factors_train", "factors_val"))
        if int(attrs["seed"]) != args.seed or attrs["model"] != args.model:
            raise ValueError(f"{args.features} holds {attrs['model']} seed {attrs['seed']}, "
                             f"not {args.model} seed {args.seed}")
        train_x, val_x = arrays["features_train"], arrays["features_val"]
        train_f, val_f = arrays["factors_train"], arrays["factors_val"]
    del images
    r = decode_all(train_x, train_f, val_x, val_f, meta, device=args.device)
    record = {"dataset": meta["dataset"], "data_tag": args.data_tag or meta["dataset"],
              "model": args.model, "seed": args.seed, "decoding": r,
              "n_train": int(len(train_x)), "n_val": int(len(val_x)), "stand_in": bool(meta["stand_in"])}
    if args.history:
        record["val_acc"] = read_json(args.history, "training history", "Run scripts/dislib_train.py.")["best_val_acc"]
    write_json(args.out, record)
    print(f"{meta['label']} {args.model} seed {args.seed}: " + ", ".join(f"{k} r={v:.3f}" for k, v in r.items()))


if __name__ == "__main__":
    run_main(main)
