#!/usr/bin/env python
"""Why a prediction of the theory table fails at the default budget: the budget, beta's
optimisation, or the prediction itself (docs/theory.md, "What the numbers show").

For each probe (a case of Theorem 1 at one kappa or |C|, a step budget, beta's initial value),
trains 2 seeds at the default config's schedule otherwise (batch 1024, lr 0.02, cosine, warm-up
10 % of the steps) and prints the recovered kappa (beta for C1, beta · scale of f∘g for C3), the
logit map's kappa and its distance from a multiple of the identity, the R² of z and the
orthogonal-map distance: the same metrics as the workflow's (metrics.compute_metrics).

    python benchmarks/theory_investigation.py [--probes kappa50 kappa2 diversity] > benchmarks/theory_investigation.txt
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from identifiability.synthetic.evaluate import extract, save_representations
from identifiability.synthetic.metrics import compute_metrics
from identifiability.synthetic.process import create_process, save_process
from identifiability.synthetic.settings import ProcessSettings, TrainSettings
from identifiability.synthetic.train import final_state, train_runs

CASES = {"C1": {"feature_norm": True, "w_norm": True}, "C3": {"feature_norm": False, "w_norm": True}}
# probe groups: (case, process changes, steps, beta_init)
PROBES = {
    "kappa50": [("C1", {"kappa": 50.0}, 600, 1.0), ("C1", {"kappa": 50.0}, 3000, 1.0), ("C1", {"kappa": 50.0}, 600, 50.0),
                ("C3", {"kappa": 50.0}, 600, 1.0), ("C3", {"kappa": 50.0}, 3000, 1.0)],
    "kappa2": [("C1", {"kappa": 2.0}, 600, 1.0), ("C1", {"kappa": 2.0}, 3000, 1.0), ("C1", {"kappa": 2.0}, 600, 2.0),
               ("C3", {"kappa": 2.0}, 3000, 1.0)],
    "diversity": [("C3", {"clusters": 9}, 3000, 1.0), ("C3", {"clusters": 10}, 3000, 1.0),
                  ("C3", {"clusters": 20}, 3000, 1.0)],
}
SEEDS = (0, 1)


def probe(case: str, process_changes: dict, steps: int, beta_init: float, work: Path) -> list[dict]:
    ps = ProcessSettings.from_dict({**asdict(ProcessSettings()), **process_changes})
    paths, procs = [], []
    for s in SEEDS:
        process, eval_arrays = create_process(ps, s)
        paths.append(work / f"p{s}.h5")
        save_process(paths[-1], process, eval_arrays)
        procs.append(process)
    ts = TrainSettings(method="diet", steps=steps, batch_size=1024, lr=0.02, warmup_steps=steps // 10,
                       log_every=steps, checkpoint_every=0, beta_init=beta_init, **CASES[case])
    batch = train_runs(ts, procs, [work / f"r{s}" for s in SEEDS], torch.device("cpu"), log=lambda _: None)
    out = []
    for r, (s, path) in enumerate(zip(SEEDS, paths)):
        arrays, meta = extract(final_state(batch, r, asdict(ps)), path)
        rep = work / f"rep{s}.h5"
        save_representations(rep, arrays, meta, s)
        out.append(compute_metrics(rep))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", nargs="+", default=list(PROBES), choices=list(PROBES))
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"# theory probes, {time.strftime('%Y-%m-%d')}, 2 seeds each (mean; per seed in brackets), CPU, 1 thread")
    print("| case | process | steps | beta_init | kappa | recovered kappa | logit-map kappa | logit-map error | "
          "R² z affine (%) | map distance | wall (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for group in args.probes:
        for case, changes, steps, beta_init in PROBES[group]:
            t0 = time.time()
            with tempfile.TemporaryDirectory() as tmp:
                ms = probe(case, changes, steps, beta_init, Path(tmp))
            kappa = ms[0]["process.kappa"]
            rec = [m["beta"] if case == "C1" else m["kappa_hat_z"] for m in ms]

            def fmt(values, digits=2):
                return f"{np.mean(values):.{digits}f} [{', '.join(f'{v:.{digits}f}' for v in values)}]"

            print(f"| {case} | {changes} | {steps} | {beta_init:g} | {kappa:g} | {fmt(rec)} | "
                  f"{fmt([m['kappa_hat_logits'] for m in ms])} | {fmt([m['logit_map_error'] for m in ms], 3)} | "
                  f"{fmt([100 * m['affine_r2_z'] for m in ms], 1)} | {fmt([m['map_distance'] for m in ms], 3)} | "
                  f"{time.time() - t0:.0f} |", flush=True)


if __name__ == "__main__":
    main()
