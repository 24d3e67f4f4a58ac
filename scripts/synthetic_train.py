#!/usr/bin/env python
"""Stage 2 (synthetic): train encoder f and head W with cross-entropy on fresh samples.

Several runs (one per --process file, typically the seeds of one setting) train together as
stacked tensors; each writes its own model file and log. Every --checkpoint-every steps each run
writes a resume checkpoint (atomically; by default next to its model file, or at --checkpoints);
a rerun after an interruption resumes from them, and they are deleted once the models are written.
CUDA when available, else CPU. With --representations (and --metrics) the job also runs stages 3
and 4 on each trained run (scripts/synthetic_extract.py, on the CPU): one start-up for all three,
as the workflow does when each job trains one setting's seeds.

The training flags set every run's settings. --run-overrides gives one JSON object per --process
file that overrides that run's per-run settings (feature_norm, w_norm, beta, label_noise), so runs
of different settings can share a job, e.g.
    --run-overrides '{"w_norm": true}' '{"w_norm": false, "label_noise": 0.2}'
"""

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import torch

from identifiability.cli import add_dataclass_arguments, dataclass_from_args, run_main
from identifiability.device import check_products, machine_probe, products_here, resolve_device, set_threads
from identifiability.numerics import PRODUCTS, TENSORS_MIN_SPEEDUP
from identifiability.io import atomic_path
from identifiability.synthetic.evaluate import evaluate_run
from identifiability.synthetic.process import load_process
from identifiability.synthetic.settings import PER_RUN_FIELDS, TrainSettings
from identifiability.synthetic.train import final_state, train_runs


PRODUCT_WORDS = {
    "float32": "float32 by torch's BLAS",
    "float32-openblas": "float32 by numpy's OpenBLAS",
    "bfloat16-onednn": "hidden layers: bfloat16 inputs, float32 accumulation, by oneDNN's switch",
    "bfloat16-tensors": "hidden layers: bfloat16 tensors, float32 accumulation inside each product",
}


def run_settings(base: TrainSettings, overrides: list[str] | None, n_runs: int) -> list[TrainSettings]:
    """``base`` for every run, with each run's --run-overrides JSON object applied."""
    if overrides is None:
        return [base] * n_runs
    if len(overrides) != n_runs:
        raise ValueError(f"{len(overrides)} --run-overrides for {n_runs} --process files; give one per run")
    runs = []
    for r, text in enumerate(overrides):
        try:
            override = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--run-overrides #{r + 1} is not valid JSON ({exc}): {text!r}") from None
        if not isinstance(override, dict):
            raise ValueError(f"--run-overrides #{r + 1} must be a JSON object, got {text!r}")
        values = {}
        for key, value in override.items():
            if key not in PER_RUN_FIELDS:
                raise ValueError(f"--run-overrides #{r + 1}: {key!r} is not a per-run training setting; "
                                 f"per-run: {', '.join(PER_RUN_FIELDS)}")
            kind = type(getattr(base, key))
            number = (int, float) if kind is float else kind
            if isinstance(value, bool) != (kind is bool) or not isinstance(value, number):
                raise ValueError(f"--run-overrides #{r + 1}: {key} must be a {kind.__name__}, got {value!r}")
            values[key] = kind(value)
        runs.append(TrainSettings.from_dict({**asdict(base), **values}))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--process", nargs="+", required=True, help="process HDF5 file(s), one per run")
    parser.add_argument("--out", nargs="+", required=True, help="model file per run (run folder/model.pt)")
    parser.add_argument("--checkpoints", nargs="+", metavar="PATH",
                        help="resume checkpoint file per run (default: checkpoint.pt beside each --out)")
    parser.add_argument("--run-overrides", nargs="+", metavar="JSON",
                        help="one JSON object per --process file overriding that run's "
                             f"{', '.join(PER_RUN_FIELDS)} (default: the flags below for every run)")
    parser.add_argument("--device", default="auto", help="auto (CUDA if usable, else CPU), cpu or cuda")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--products", choices=PRODUCTS, default=None,
                        help="how the encoder's products are computed, as the workflow planned them "
                             "(identifiability.numerics; the run's id names them): stops if this machine "
                             "cannot; default: --cpu-matmul resolved here")
    parser.add_argument("--representations", nargs="+", metavar="H5",
                        help="also extract each trained run's representations to this file (one per run)")
    parser.add_argument("--metrics", nargs="+", metavar="JSON",
                        help="and fit its metrics to this file (one per run; needs --representations)")
    add_dataclass_arguments(parser, TrainSettings, "training settings")
    args = parser.parse_args()
    if len(args.process) != len(args.out):
        raise ValueError(f"{len(args.process)} --process files but {len(args.out)} --out paths")
    for name in ("representations", "metrics"):
        if getattr(args, name) and len(getattr(args, name)) != len(args.out):
            raise ValueError(f"give one --{name} path per --out path")
    if args.metrics and not args.representations:
        raise ValueError("--metrics fits the extracted representations: give --representations too")
    checkpoints = args.checkpoints or [str(Path(o).parent / "checkpoint.pt") for o in args.out]
    if len(checkpoints) != len(args.out):
        raise ValueError(f"{len(checkpoints)} --checkpoints paths but {len(args.out)} --out paths")
    set_threads(args.threads)
    base = dataclass_from_args(TrainSettings, args, schema=("synthetic.schema.yaml", "train"))
    settings = run_settings(base, args.run_overrides, len(args.process))
    device = resolve_device(args.device)
    loaded = [load_process(p) for p in args.process]
    processes = [p for p, _ in loaded]
    run_dirs = [Path(o).parent for o in args.out]
    print(f"training {len(processes)} run(s) on {device}: {base}")
    products = args.products or products_here(base.cpu_matmul, device)
    check_products(products, device)
    print(f"matrix products: {products} ({PRODUCT_WORDS[products]})")
    if products == "bfloat16-tensors" and machine_probe()["tensors_speedup"] < TENSORS_MIN_SPEEDUP:
        print(f"note: bfloat16 products ran {machine_probe()['tensors_speedup']:.2f}x as fast as float32 ones "
              "on this CPU (measured), so they are not expected to save time here; cpu_matmul auto picks "
              "float32 on such CPUs")
    for r, s in enumerate(settings):
        own = {k: getattr(s, k) for k in PER_RUN_FIELDS if getattr(s, k) != getattr(base, k)}
        if own:
            print(f"  run {r} overrides: {own}")
    batch = train_runs(settings, processes, run_dirs, device, eval_sets=[e for _, e in loaded],
                       checkpoints=checkpoints, products=products)
    states = [final_state(batch, r, asdict(processes[r].settings)) for r in range(batch.n_runs)]
    for state, out in zip(states, args.out):
        with atomic_path(out) as tmp:
            torch.save(state, tmp)
        print(f"wrote {out}")
    if args.representations:
        metrics = args.metrics or [None] * len(states)
        for state, process_path, rep, metrics_path in zip(states, args.process, args.representations, metrics):
            evaluate_run(state, process_path, rep, metrics_path, torch.device("cpu"))
    for ckpt in map(Path, checkpoints):   # only once every model is written (and evaluated)
        ckpt.unlink(missing_ok=True)


if __name__ == "__main__":
    run_main(main)
