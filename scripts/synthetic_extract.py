#!/usr/bin/env python
"""Stage 3 (synthetic): extract representations to HDF5.

Writes z̃ = f(x) on the process's held-out samples beside the true z, the rows of W beside the
cluster vectors v_c of their labels, and the learned beta.
"""

import argparse

from identifiability.cli import run_main
from identifiability.device import resolve_device
from identifiability.synthetic.evaluate import extract, load_model, save_representations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", required=True, help="model file(s) written by synthetic_train.py")
    parser.add_argument("--process", nargs="+", required=True, help="the process file of each model")
    parser.add_argument("--out", nargs="+", required=True, help="representations HDF5 per model")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    if not len(args.model) == len(args.process) == len(args.out):
        raise ValueError("give as many --model, --process and --out paths")
    device = resolve_device(args.device)
    for model_path, process_path, out in zip(args.model, args.process, args.out):
        state = load_model(model_path, device)
        arrays, meta = extract(state, process_path, device)
        save_representations(out, arrays, meta, state["process_seed"])
        print(f"wrote {out}")


if __name__ == "__main__":
    run_main(main)
