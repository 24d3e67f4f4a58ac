"""Training of R stacked runs on fresh samples from their processes.

The whole loop is on one screen in ``train_runs``; what a step draws and its loss come from the
run's method (``methods/``: DIET, supervised, InfoNCE, TCL, GCL). Each run has its own process (its seed's file),
its own torch.Generator (labels, latents, label noise, initialisation), its own slice of every
parameter and its own values of the per-run training settings (``PER_RUN_FIELDS``), so a run
trained inside a batch matches the same run trained alone. The other training settings (method,
steps, batch size, schedule, ...) drive the shared loop and must be equal across a batch.
"""

from __future__ import annotations

import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from identifiability.device import check_products, matmul_precision, products_here
from identifiability.numerics import precision_of
from identifiability.io import atomic_path
from identifiability.optim import FusedAdam
from identifiability.progress import Progress
from identifiability.synthetic import model as M
from identifiability.synthetic.methods import load_method, method_info
from identifiability.synthetic.process import Process
from identifiability.synthetic.settings import PER_RUN_FIELDS, ProcessSettings, TrainSettings


def model_shape(settings: TrainSettings, process: ProcessSettings) -> M.ModelShape:
    """The encoder and head of a run: W's rows and bias as its method has them."""
    return M.ModelShape(d=process.d, head_rows=settings.head_rows(process), feature_norm=settings.feature_norm,
                        w_norm=settings.w_norm, learn_beta=settings.beta == "learned",
                        head_bias=method_info(settings.method).head_bias)


def per_run_settings(settings: TrainSettings | list[TrainSettings], n_runs: int) -> list[TrainSettings]:
    """One TrainSettings per run (a single one is every run's); ValueError unless all fields
    outside PER_RUN_FIELDS agree, naming the first that differs."""
    runs = [settings] * n_runs if isinstance(settings, TrainSettings) else list(settings)
    if len(runs) != n_runs:
        raise ValueError(f"{len(runs)} training settings for {n_runs} runs")
    for f in fields(TrainSettings):
        values = [getattr(s, f.name) for s in runs]
        if f.name not in PER_RUN_FIELDS and len(set(values)) > 1:
            raise ValueError(f"runs trained together must share the training setting {f.name!r}; "
                             f"got {values} (only {', '.join(PER_RUN_FIELDS)} may differ per run)")
    return runs


def run_seed(process_seed: int, train_seed_offset: int = 1_000_003) -> int:
    """Seed of a run's training stream, derived from (but distinct from) its process seed."""
    return int(process_seed) + train_seed_offset


class RunBatch:
    """State of R stacked runs: parameters, BN buffers, Adam, per-run generators, step.

    ``settings``: one TrainSettings for every run, or one per run (differing only in PER_RUN_FIELDS).
    ``run_settings[r]`` and ``shapes[r]`` are run r's own; ``shared`` holds the loop's settings
    (method, steps, batch size, lr schedule, ...), equal for all runs. ``products``: how the
    encoder's products are computed (``identifiability.numerics``), as the workflow planned them;
    None resolves ``cpu_matmul`` here. ValueError if this machine cannot compute them.
    """

    def __init__(self, settings: TrainSettings | list[TrainSettings], processes: list[Process],
                 device: torch.device, dtype: torch.dtype = torch.float32, products: str | None = None):
        sizes = {(p.settings.kind, p.settings.d, p.settings.N, p.settings.clusters) for p in processes}
        if len(sizes) != 1:
            raise ValueError(f"runs trained together must share (kind, d, N, clusters); got {sorted(sizes)}")
        self.run_settings = per_run_settings(settings, len(processes))
        self.shared = self.run_settings[0]
        for s, p in zip(self.run_settings, processes):
            s.check_process(p.settings)
        self.method = load_method(self.shared.method)
        self.device = device
        # the encoder's products (model.encode): planned, or resolved on this machine
        self.products = products_here(self.shared.cpu_matmul, device) if products is None else products
        check_products(self.products, device)
        self.processes = [p.to(device) for p in processes]
        for p in self.processes:
            p.cluster_vectors = p.cluster_vectors.to(dtype)
            p.generator_weights = p.generator_weights.to(dtype)
        self.shapes = [model_shape(s, p.settings) for s, p in zip(self.run_settings, processes)]
        self.shape = M.ModelShape.stack(self.shapes)
        self.generators = [torch.Generator(device=device).manual_seed(run_seed(p.seed)) for p in processes]
        params = M.stack_runs([M.init_run_parameters(shape, g, own.beta_init)
                               for shape, g, own in zip(self.shapes, self.generators, self.run_settings)])
        params = {k: v.to(dtype) for k, v in params.items()}
        self.buffers = {k: v.to(dtype) for k, v in
                        M.stack_runs([M.init_run_buffers(s, device) for s in self.shapes]).items()}
        self.params = {k: v.requires_grad_(k in M.trainable_names(self.shape, params)) for k, v in params.items()}
        trainable = [v for v in self.params.values() if v.requires_grad]
        self.optimizer = FusedAdam(trainable, lr=self.shared.lr)  # torch's fused Adam, one kernel per step
        self.step = 0
        self.wall_s = 0.0     # seconds spent in train_runs' loop (over resumes too)
        self.logs: list[list[dict]] = [[] for _ in processes]   # train_runs' log rows per run

    @property
    def n_runs(self) -> int:
        return len(self.processes)

    def train_step(self) -> torch.Tensor:
        """One Adam step for every run; returns the per-run loss (R,)."""
        data = self.method.draw(self)
        for group in self.optimizer.param_groups:
            group["lr"] = self.shared.lr_at(self.step)
        with matmul_precision("float32"):   # all products but the encoder's hidden ones (self.products)
            per_run = self.method.loss(self, data)
            self.optimizer.zero_grad()
            per_run.sum().backward()   # each run's parameters see only its own mean loss
        self.optimizer.step()
        self.step += 1
        return per_run.detach()

    # ------------------------------------------------------------------ per-run state

    def run_state(self, r: int) -> dict:
        """Everything needed to resume run ``r`` alone or inside another batch (Adam state only
        for the parameters run r trains itself: not log_beta of a fixed-beta run)."""
        own = M.trainable_names(self.shapes[r], self.params)
        adam = {}
        for name, p in self.params.items():
            st = self.optimizer.state.get(p)
            if st and name in own:
                adam[name] = {"exp_avg": st["exp_avg"][r].clone(), "exp_avg_sq": st["exp_avg_sq"][r].clone(),
                              "step": st["step"].clone()}
        return {"step": self.step, "wall_s": self.wall_s, "params": M.unstack_run(self.params, r),
                "buffers": M.unstack_run(self.buffers, r), "adam": adam,
                "generator": self.generators[r].get_state(), "settings": asdict(self.run_settings[r]),
                "process_seed": self.processes[r].seed}

    def load_run_states(self, states: list[dict]) -> None:
        steps = {s["step"] for s in states}
        if len(steps) != 1:
            raise ValueError(f"checkpoints of one batch are at different steps {sorted(steps)}")
        self.step = steps.pop()
        self.wall_s = max(s.get("wall_s", 0.0) for s in states)
        with torch.no_grad():
            for name, p in self.params.items():
                p.copy_(torch.stack([s["params"][name] for s in states]).to(self.device))
            for name, b in self.buffers.items():
                b.copy_(torch.stack([s["buffers"][name] for s in states]).to(self.device))
        for name, p in self.params.items():
            saved = [s["adam"].get(name) for s in states]
            first = next((a for a in saved if a), None)
            if first is None or not p.requires_grad:
                continue
            # a run that does not train this parameter (fixed beta) had zero gradients: zero moments
            zeros = torch.zeros_like(p[0])
            self.optimizer.state[p] = {
                "step": first["step"].clone(),
                "exp_avg": torch.stack([a["exp_avg"].to(self.device) if a else zeros for a in saved]),
                "exp_avg_sq": torch.stack([a["exp_avg_sq"].to(self.device) if a else zeros for a in saved])}
        for g, s in zip(self.generators, states):
            g.set_state(s["generator"])


def save_checkpoint(path: Path, state: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def quick_affine_r2(batch: RunBatch, r: int, x_eval: torch.Tensor, z_eval: torch.Tensor) -> float:
    """Cheap progress signal: the affine R² of z from f(x) (``linear_fit.affine_r2``'s definition:
    least squares with intercept on the first half, R² averaged over dimensions on the second), in
    numpy so that a training job does not import scikit-learn for it."""
    with torch.no_grad():
        feats = M.encode({k: v[r:r + 1] for k, v in batch.params.items()},
                         {k: v[r:r + 1] for k, v in batch.buffers.items()},
                         batch.shapes[r], x_eval[None], train=False)[0].double().cpu().numpy()
    z = z_eval.cpu().numpy().astype(float)
    half = len(z) // 2
    design = np.hstack([feats, np.ones((len(z), 1))])
    coef, *_ = np.linalg.lstsq(design[:half], z[:half], rcond=None)
    residual = ((z[half:] - design[half:] @ coef) ** 2).sum(0)
    total = ((z[half:] - z[half:].mean(0)) ** 2).sum(0)
    return float(np.mean(1.0 - residual / total))


def train_runs(settings: TrainSettings | list[TrainSettings], processes: list[Process], run_dirs: list[Path],
               device: torch.device, eval_sets: list[dict[str, np.ndarray]] | None = None,
               log: Callable[[str], None] = print, checkpoints: list[Path] | None = None,
               products: str | None = None) -> RunBatch:
    """Train the runs (resuming from their checkpoints when all are present) and return them.

    ``settings``: one TrainSettings for every run, or one per run (see ``RunBatch``).
    ``checkpoints``: resume file per run (default: ``checkpoint.pt`` in its run folder).
    ``products``: see ``RunBatch``."""
    batch = RunBatch(settings, processes, device, products=products)
    shared = batch.shared   # the loop's settings, equal for all runs
    ckpts = [Path(c) for c in checkpoints] if checkpoints else [Path(d) / "checkpoint.pt" for d in run_dirs]
    if len(ckpts) != len(run_dirs):
        raise ValueError(f"{len(ckpts)} checkpoint paths for {len(run_dirs)} runs")
    if shared.checkpoint_every and all(c.exists() for c in ckpts):
        states = [torch.load(c, map_location=device, weights_only=False) for c in ckpts]
        for c, s, own in zip(ckpts, states, batch.run_settings):
            if s["settings"] != asdict(own):
                raise ValueError(f"checkpoint {c} was written with other training settings; delete it "
                                 "to start this run afresh")
        batch.load_run_states(states)
        logs = [list(s.get("log", [])) for s in states]
        interval = torch.tensor([s.get("loss_interval", (0.0, 0))[0] for s in states], device=device)
        interval_steps = states[0].get("loss_interval", (0.0, 0))[1]
        log(f"resumed {batch.n_runs} run(s) from step {batch.step}")
    else:
        logs = [[] for _ in run_dirs]
        interval, interval_steps = torch.zeros(batch.n_runs, device=device), 0
    batch.logs = logs
    probe = None
    if eval_sets is not None:
        probe = [(torch.as_tensor(e["x"][:2048], dtype=torch.float32, device=device),
                  torch.as_tensor(e["z"][:2048])) for e in eval_sets]
    t0, step0, wall0 = time.perf_counter(), batch.step, batch.wall_s
    # a bar in a terminal; in a job's log a line every 30 s beside the log_every lines below
    progress = Progress(total=shared.steps, initial=batch.step, desc=f"training {batch.n_runs} run(s)",
                        unit="steps", every=0)
    while batch.step < shared.steps:
        loss = batch.train_step()
        interval += loss                # the loss summed over the logging interval (loss_mean)
        interval_steps += 1
        step = batch.step
        progress.update(1)
        if step % shared.log_every == 0 or step == shared.steps:
            rate = (step - step0) / (time.perf_counter() - t0)
            betas = M.beta(batch.params).detach().cpu().tolist()
            msg = [f"step {step}/{shared.steps}", f"{rate:.1f} steps/s"]
            for r in range(batch.n_runs):
                row = {"step": step, "loss": float(loss[r]), "loss_mean": float(interval[r]) / interval_steps,
                       "lr": shared.lr_at(step - 1), "beta": betas[r]}
                if probe is not None:
                    row["affine_r2_probe"] = quick_affine_r2(batch, r, *probe[r])
                logs[r].append(row)
            msg.append("loss " + " ".join(f"{float(l):.3f}" for l in loss))
            if probe is not None:
                msg.append("R2 " + " ".join(f"{logs[r][-1]['affine_r2_probe']:.3f}" for r in range(batch.n_runs)))
            log(" | ".join(msg))
            interval.zero_()
            interval_steps = 0
        if shared.checkpoint_every and step % shared.checkpoint_every == 0 and step < shared.steps:
            batch.wall_s = wall0 + time.perf_counter() - t0
            for r, c in enumerate(ckpts):
                save_checkpoint(c, {**batch.run_state(r), "log": logs[r],
                                    "loss_interval": (float(interval[r]), interval_steps)})
    progress.close()
    batch.wall_s = wall0 + time.perf_counter() - t0
    for r, d in enumerate(run_dirs):
        _write_log(Path(d) / "train_log.csv", logs[r])
    return batch


def _write_log(path: Path, rows: list[dict]) -> None:
    import csv
    if not rows:
        return
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[-1].keys()))
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in rows[-1].keys()})


def final_state(batch: RunBatch, r: int, process_settings: dict) -> dict:
    """The model file of run ``r``: parameters, buffers and the settings that made it."""
    state = batch.run_state(r)
    return {"params": state["params"], "buffers": state["buffers"], "train_settings": state["settings"],
            "process_settings": process_settings, "process_seed": state["process_seed"],
            "model_shape": asdict(batch.shapes[r]), "steps": batch.step,
            # the training job's wall time (resumed parts included) and how many
            # runs shared it: a run's share of the compute is train_wall_s / stacked_runs
            "train_wall_s": batch.wall_s, "stacked_runs": batch.n_runs,
            # (step, mean training loss of the logging interval ending there): the convergence rule's
            # input (identifiability.verdicts.converged), never the true latents
            "loss_curve": [[row["step"], row["loss_mean"]] for row in batch.logs[r] if "loss_mean" in row],
            # how the encoder's products were computed (identifiability.numerics): the resolved
            # products, their precision and the library of the float32 layers on the CPU
            "products": batch.products, "matmul_precision": precision_of(batch.products),
            "cpu_blas": (("openblas" if batch.products == "float32-openblas" else "mkl")
                         if batch.device.type == "cpu" else None)}
