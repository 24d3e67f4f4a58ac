#!/usr/bin/env python
"""Stage 3 (synthetic): extract representations to HDF5, and optionally fit their metrics.

Writes z̃ = f(x) on the process's held-out samples beside the true z, the rows of W beside the
cluster vectors v_c of their labels, and the learned beta. With --metrics it also runs stage 4
(scripts/synthetic_fit.py) on each file in the same process, as the workflow does: one start-up
for both.
"""

import argparse

from identifiability.cli import run_main
from identifiability.device import resolve_device
from identifiability.synthetic.evaluate import evaluate_run, load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", required=True, help="model file(s) written by synthetic_train.py")
    parser.add_argument("--process", nargs="+", required=True, help="the process file of each model")
    parser.add_argument("--out", nargs="+", required=True, help="representations HDF5 per model")
    parser.add_argument("--metrics", nargs="+", help="also fit and write the metrics JSON of each model")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    if not len(args.model) == len(args.process) == len(args.out):
        raise ValueError("give as many --model, --process and --out paths")
    if args.metrics and len(args.metrics) != len(args.out):
        raise ValueError("give one --metrics path per --out path")
    device = resolve_device(args.device)
    metrics = args.metrics or [None] * len(args.out)
    for model_path, process_path, out, metrics_path in zip(args.model, args.process, args.out, metrics):
        evaluate_run(load_model(model_path, device), process_path, out, metrics_path, device)


if __name__ == "__main__":
    run_main(main)
