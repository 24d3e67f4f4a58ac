"""The cluster-centric data generating process: its settings, sampling, and its HDF5 file.

A process file holds everything needed to draw fresh samples again: the cluster vectors, the
generator weights, the label scheme and conditional (as settings attributes), and held-out
evaluation samples (labels, classes, latents z, observations x).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, asdict

import numpy as np
import torch

from identifiability.settings import StrictSettings
from identifiability.io import provenance, read_hdf5, write_hdf5
from identifiability.synthetic.generator import apply_generator, build_generator_weights
from identifiability.synthetic.latents import (CONDITIONAL_PARAMS, CONDITIONALS, project,
                                               sample_cluster_vectors, sample_conditional)

PROCESS_HINT = "Re-create it with scripts/synthetic_generate.py (or let snakemake rebuild it)."


@dataclass(frozen=True)
class ProcessSettings(StrictSettings):
    """Settings of the cluster-centric data generating process (defaults: reference code)."""
    d: int = 5                         # latent (and observation) dimension
    clusters: int = 100                # number of classes |C|
    N: int = 1000                      # number of instance labels (rows of W for DIET)
    cluster_marginal: str = "uniform"  # uniform | laplace | normal (around e1, projected)
    cluster_scale: float = 1.0         # scale of the laplace / normal cluster marginal
    conditional: str = "vmf"           # vmf | laplace | normal | truncated_laplace | generalized_normal
    kappa: float = 10.0                # vMF concentration
    scale: float = 1.0                 # scale of the laplace / normal / truncated laplace conditional
    truncation: float = 1.0            # support [-T, T] of the truncated laplace
    alpha: float = 1.0                 # generalized normal: exp(-alpha * ||v - z||_shape^shape)
    shape: float = 2.0                 # generalized normal shape (1 = Laplace, 2 = Normal)
    generator_layers: int = 4
    generator_candidates: int = 1000   # draws per layer; the best conditioned is kept
    eval_samples: int = 8192           # held-out samples stored in the file

    def __post_init__(self):
        if self.conditional not in CONDITIONALS:
            raise ValueError(f"conditional must be one of {sorted(CONDITIONALS)}, got {self.conditional!r}")
        for name in ("d", "clusters", "N", "generator_layers", "generator_candidates", "eval_samples"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.d < 2:
            raise ValueError("d must be >= 2 (latents live on the sphere S^{d-1})")

    def conditional_params(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in CONDITIONAL_PARAMS[self.conditional]}


@dataclass
class Process:
    """A concrete draw of the process: the arrays that define it, as torch tensors."""
    settings: ProcessSettings
    seed: int
    cluster_vectors: torch.Tensor      # (C, d)
    generator_weights: torch.Tensor    # (L, d, d)

    def to(self, device) -> "Process":
        return Process(self.settings, self.seed, self.cluster_vectors.to(device),
                       self.generator_weights.to(device))

    def sample(self, labels: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Fresh latents z and observations x for instance ``labels`` (class = label mod |C|)."""
        classes = labels % self.settings.clusters
        z = sample_conditional(self.settings.conditional, self.cluster_vectors[classes],
                               self.settings.conditional_params(), generator)
        return z, apply_generator(z, self.generator_weights)


def create_process(settings: ProcessSettings, seed: int) -> tuple[Process, dict[str, np.ndarray]]:
    """Draw cluster vectors, generator and held-out samples for ``seed`` (float64 throughout)."""
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    clusters = sample_cluster_vectors(settings.clusters, settings.d, settings.cluster_marginal,
                                      settings.cluster_scale, gen)
    weights = torch.as_tensor(build_generator_weights(settings.d, settings.generator_layers,
                                                      settings.generator_candidates, rng))
    process = Process(settings, seed, clusters, weights)
    labels = torch.randint(0, settings.N, (settings.eval_samples,), generator=gen)
    z, x = process.sample(labels, gen)
    eval_arrays = {"labels": labels.numpy(), "classes": (labels % settings.clusters).numpy(),
                   "z": z.numpy(), "x": x.numpy()}
    return process, eval_arrays


def save_process(path, process: Process, eval_arrays: dict[str, np.ndarray]) -> None:
    arrays = {"cluster_vectors": process.cluster_vectors.numpy(),
              "generator/weights": process.generator_weights.numpy()}
    arrays.update({f"eval/{k}": v for k, v in eval_arrays.items()})
    attrs = provenance(asdict(process.settings), process.seed)
    attrs["generator_condition_numbers"] = np.linalg.cond(process.generator_weights.numpy())
    write_hdf5(path, arrays, attrs)


def load_process(path) -> tuple[Process, dict[str, np.ndarray]]:
    arrays, attrs = read_hdf5(path, "synthetic process file", PROCESS_HINT,
                              required=("cluster_vectors", "generator/weights", "eval/x", "eval/z"))
    settings = ProcessSettings.from_dict(json.loads(attrs["settings"]))
    process = Process(settings, int(attrs["seed"]), torch.as_tensor(arrays["cluster_vectors"]),
                      torch.as_tensor(arrays["generator/weights"]))
    eval_arrays = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("eval/")}
    return process, eval_arrays


__all__ = ["ProcessSettings", "Process", "create_process", "save_process", "load_process", "project"]
