#!/usr/bin/env python
"""Stage 2 (synthetic): train encoder f and head W with cross-entropy on fresh samples.

Several runs (one per --process file, typically the seeds of one setting) train together as
stacked tensors; each writes its own model file and log. Resumes from checkpoints in the run
folders when a previous attempt was interrupted. CUDA when available, else CPU.
"""

import argparse
from pathlib import Path

import torch

from identifiability.cli import add_dataclass_arguments, dataclass_from_args, run_main
from identifiability.device import resolve_device, set_threads
from identifiability.io import atomic_path
from identifiability.synthetic.process import load_process
from identifiability.synthetic.train import TrainSettings, final_state, train_runs
from dataclasses import asdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--process", nargs="+", required=True, help="process HDF5 file(s), one per run")
    parser.add_argument("--out", nargs="+", required=True, help="model file per run (run folder/model.pt)")
    parser.add_argument("--device", default="auto", help="auto (CUDA if usable, else CPU), cpu or cuda")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    add_dataclass_arguments(parser, TrainSettings, "training settings")
    args = parser.parse_args()
    if len(args.process) != len(args.out):
        raise ValueError(f"{len(args.process)} --process files but {len(args.out)} --out paths")
    set_threads(args.threads)
    settings = dataclass_from_args(TrainSettings, args)
    device = resolve_device(args.device)
    loaded = [load_process(p) for p in args.process]
    processes = [p for p, _ in loaded]
    run_dirs = [Path(o).parent for o in args.out]
    print(f"training {len(processes)} run(s) on {device}: {settings}")
    batch = train_runs(settings, processes, run_dirs, device, eval_sets=[e for _, e in loaded])
    for r, out in enumerate(args.out):
        with atomic_path(out) as tmp:
            torch.save(final_state(batch, r, asdict(processes[r].settings)), tmp)
        ckpt = Path(out).parent / "checkpoint.pt"
        if ckpt.exists():
            ckpt.unlink()
        print(f"wrote {out}")


if __name__ == "__main__":
    run_main(main)
