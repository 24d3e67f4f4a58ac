#!/usr/bin/env python
"""What bounds the default run's wall time on this CPU: the cost of a training step in the ways
the workflow can use 2 cores, and whether a shorter budget keeps the baseline's verdicts.

(a) ms per run-step (d = 5, N = 1000, batch 1024, 2 stacked runs) for one process with 1 thread,
    one with 2 threads, and two 1-thread processes side by side (the default: 2 jobs at a time),
    with float32 products and with bfloat16 ones (train.cpu_matmul; where the CPU has them);
(b) the compute floor of the default config: its runs x steps x relative cost (d^2, batch,
    InfoNCE's two encoder passes) at the best of (a), per precision;
(c) the baseline's R² of z (DIET W normalised / free, supervised; 2 seeds) at 600 steps in both
    precisions and at 400 steps, against the verdict bands of the paper's cells (match within 1
    point or 2 paper std).

    python benchmarks/default_budget.py > benchmarks/default_budget.txt
    python benchmarks/default_budget.py --grid 600:0.02 450:0.03 ...   # (c) alone, budgets STEPS:LR
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from identifiability.timing import step_ms   # the d = 5 run-step, timed in fresh processes

REPO = Path(__file__).resolve().parent.parent


def baseline_r2(steps: int, precision: str = "float32", lr: float = 0.02) -> dict[str, float]:
    import torch
    from identifiability import linear_fit
    from identifiability.synthetic.evaluate import extract
    from identifiability.synthetic.process import create_process, save_process
    from identifiability.synthetic.settings import ProcessSettings, TrainSettings
    from identifiability.synthetic.train import final_state, train_runs
    torch.set_num_threads(1)
    ps = ProcessSettings()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths, procs = [], []
        for s in (0, 1):
            p, e = create_process(ps, s)
            paths.append(Path(tmp) / f"p{s}.h5")
            save_process(paths[-1], p, e)
            procs.append(p)
        for name, kw in (("diet (o)", {"w_norm": True}), ("diet (a)", {}), ("supervised", {"method": "supervised"})):
            ts = TrainSettings(steps=steps, batch_size=1024, lr=lr, warmup_steps=steps // 10, log_every=steps,
                               checkpoint_every=0, cpu_matmul=precision, **kw)
            batch = train_runs(ts, procs, [Path(tmp) / "a", Path(tmp) / "b"], torch.device("cpu"), log=lambda _: None)
            r2 = []
            for r, path in enumerate(paths):
                arrays, _ = extract(final_state(batch, r, asdict(ps)), path)
                fit = linear_fit.orthogonal_r2 if kw.get("w_norm") else linear_fit.affine_r2
                r2.append(100 * fit(arrays["z_hat"], arrays["z"]))
            out[name] = sum(r2) / len(r2)
    return out


PAPER_BASELINE = {"diet (o)": (98.6, 1.0), "diet (a)": (99.0, 0.0), "supervised": (99.8, 0.0)}


def baseline_line(steps: int, precision: str, lr: float = 0.02) -> str:
    from identifiability.synthetic.paper import verdict
    r2 = baseline_r2(steps, precision, lr)
    cells = "; ".join(f"{k} {v:.2f} vs {PAPER_BASELINE[k][0]} -> "
                      f"{verdict('r2_z', v, float('nan'), 1, *PAPER_BASELINE[k])[1]}"
                      for k, v in r2.items())
    return f"(c) baseline at {steps} steps, lr {lr:g}, {precision} products: {cells}"


def budget(text: str) -> tuple[int, float]:
    """STEPS:LR -> (steps, lr), for --grid."""
    try:
        steps, lr = text.split(":")
        return int(steps), float(lr)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a budget is STEPS:LR, e.g. 450:0.03; got {text!r}") from None


def grid(budgets: list[tuple[int, float]]) -> None:
    """(c) alone, for these (steps, lr) budgets (warm-up a tenth of the steps, cosine), float32."""
    print(f"# the baseline's verdicts by budget, {time.strftime('%Y-%m-%d %H:%M')}, 2-core CPU, float32 products")
    for steps, lr in budgets:
        print(baseline_line(steps, "float32", lr), flush=True)


def main() -> None:
    from identifiability.config import load_config
    from identifiability.synthetic.plan import build_plan
    print(f"# what bounds the default run, {time.strftime('%Y-%m-%d %H:%M')}, 2-core CPU")
    import torch
    from identifiability.device import products_here
    precisions = ["float32"] + (["bfloat16"] if products_here("auto", torch.device("cpu")).startswith("bfloat16") else [])
    plan = build_plan(load_config(REPO / "config.yaml")["synthetic"])
    units = sum((s.process.d / 5) ** 2 * s.train.batch_size / 1024 * (2 if s.train.method == "infonce" else 1)
                * s.train.steps for s in plan.settings.values()) * len(plan.seeds)
    for precision in precisions:
        one = step_ms(1, precision=precision)[0]
        two = step_ms(2, precision=precision)[0]
        pair = step_ms(1, side_by_side=2, precision=precision)
        print(f"(a) {precision} products, ms per run-step: 1 thread alone {one:.1f}; 2 threads {two:.1f}; two 1-thread "
              f"processes side by side {pair[0]:.1f} and {pair[1]:.1f} each = {sum(pair) / 4:.1f} per run-step for the "
              "machine")
        best = min(two, sum(pair) / 4)
        print(f"(b) {precision}: default config: {len(plan.settings)} settings x {len(plan.seeds)} seeds; {units:,.0f} "
              f"step-units (a d = 5 batch-1024 run-step = 1) x {best:.1f} ms = {units * best / 60000:.1f} min of "
              "training on 2 cores at best, before start-up, evaluation and DisLib")
    for steps, precision in [(600, p) for p in precisions] + [(400, precisions[-1])]:
        print(baseline_line(steps, precision))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", nargs="+", type=budget, metavar="STEPS:LR",
                        help="only (c), at these budgets (warm-up a tenth of the steps, cosine, float32)")
    args = parser.parse_args()
    grid(args.grid) if args.grid else main()
