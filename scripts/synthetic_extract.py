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
from identifiability.io import write_json
from identifiability.synthetic.evaluate import extract, load_model, save_representations
from identifiability.synthetic.metrics import compute_metrics


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
    for model_path, process_path, out in zip(args.model, args.process, args.out):
        state = load_model(model_path, device)
        arrays, meta = extract(state, process_path, device)
        save_representations(out, arrays, meta, state["process_seed"])
        print(f"wrote {out}")
    for out, metrics_path in zip(args.out, args.metrics or []):
        metrics = compute_metrics(out)
        write_json(metrics_path, metrics)
        print(f"wrote {metrics_path}: affine R² z {metrics['affine_r2_z']:.4f}")


if __name__ == "__main__":
    run_main(main)
