#!/usr/bin/env python
"""DisLib stage 2: train an encoder (MLP or ResNet18) + linear head with cross-entropy.

The class label is the data set's categorical factor (true indices; --legacy-truncation
reproduces the reference code's merging of Cars3D cars). Seeded 80/10/10 split (--seed), Adam,
best validation accuracy kept, early stop above --early-stop-acc. CUDA when available, else CPU.
Writes the model (state dict + settings) and a JSON history.
"""

import argparse
import dataclasses

import torch

from identifiability.cli import add_dataclass_arguments, dataclass_from_args, run_main
from identifiability.device import resolve_device, set_threads
from identifiability.dislib.data import class_targets, read_data_file, split_indices
from identifiability.dislib.models import TRAINED
from identifiability.dislib.train import ClassifierTrainSettings, train_classifier
from identifiability.io import atomic_path, write_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="prepared data file (dislib_prepare.py)")
    parser.add_argument("--model", required=True, choices=TRAINED)
    parser.add_argument("--seed", type=int, required=True, help="split, init and shuffling seed")
    parser.add_argument("--out", required=True, help="model file (.pt)")
    parser.add_argument("--history", required=True, help="training history (.json)")
    parser.add_argument("--device", default="auto", help="auto (CUDA if usable, else CPU), cpu or cuda")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    add_dataclass_arguments(parser, ClassifierTrainSettings, "training settings")
    args = parser.parse_args()
    settings = dataclass_from_args(ClassifierTrainSettings, args, schema=("dislib.schema.yaml", "properties/train"))
    set_threads(args.threads)
    device = resolve_device(args.device)
    images, factors, meta = read_data_file(args.data)
    splits = split_indices(len(images), args.seed)
    labels, n_classes = class_targets(factors, meta, settings.legacy_truncation)
    print(f"{meta['label']}: {len(images)} images, target {meta['target']} ({n_classes} classes); "
          f"training {args.model} on {device}, seed {args.seed}: {settings}")
    state, history = train_classifier(args.model, images, labels, splits, n_classes, settings,
                                      args.seed, device)
    record = {"model": args.model, "seed": args.seed, "n_classes": n_classes,
              "channels": int(images.shape[-1]), "size": int(images.shape[1]),
              "dataset": meta["dataset"], "data_file": str(args.data),
              "settings": dataclasses.asdict(settings)}
    with atomic_path(args.out) as tmp:
        torch.save({"state_dict": state, **record}, tmp)
    write_json(args.history, {**record, **history, "device": str(device)})
    print(f"best validation accuracy {history['best_val_acc']:.4f} (epoch {history['best_epoch']}); "
          f"wrote {args.out}")


if __name__ == "__main__":
    run_main(main)
