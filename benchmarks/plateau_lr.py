#!/usr/bin/env python
"""Final probe R² at a short budget against the learning rate (the table in docs/synthetic.md,
"Short budgets"): DIET at the baseline setting, two process seeds stacked as the workflow trains
them, 600 steps, cosine schedule, 60 warm-up steps, one CPU thread.

Usage: python benchmarks/plateau_lr.py --lr 0.02 --seeds 0 1 [--train '{"w_norm": true}']
"""

import argparse
import csv
import json
import tempfile
from pathlib import Path

import torch

from identifiability.synthetic.process import ProcessSettings, create_process
from identifiability.synthetic.train import TrainSettings, train_runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--train", default="{}", help="other training settings as JSON")
    args = parser.parse_args()
    torch.set_num_threads(1)
    settings = TrainSettings(**{**dict(steps=args.steps, batch_size=1024, lr=args.lr, schedule="cosine",
                                       warmup_steps=60, log_every=100, checkpoint_every=0, method="diet"),
                                **json.loads(args.train)})
    loaded = [create_process(ProcessSettings(), s) for s in args.seeds]
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [Path(tmp) / f"seed{s}" for s in args.seeds]
        train_runs(settings, [p for p, _ in loaded], dirs, torch.device("cpu"),
                   eval_sets=[e for _, e in loaded], log=lambda m: None)
        for d, s in zip(dirs, args.seeds):
            rows = list(csv.DictReader(open(d / "train_log.csv")))
            print(f"lr {args.lr} seed {s}: probe R² every 100 steps "
                  + " ".join(f"{float(r['affine_r2_probe']):.3f}" for r in rows))


if __name__ == "__main__":
    main()
