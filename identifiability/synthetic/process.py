"""The data generating process: sampling, and its HDF5 file (settings: ``settings.py``).

Two kinds, one file format. ``cluster_centric`` (the paper's): instance labels, classes with
cluster vectors v_c, z ~ p(z | v_c), x = g(z). ``infonce`` (Zimmermann et al. 2021): z uniform on
the sphere and positive pairs z+ ~ vMF(z, kappa), no labels (its cluster-vector array is empty and
its held-out labels are -1). A process file holds everything needed to draw fresh samples again:
the cluster vectors, the generator weights, the settings (as attributes), and held-out evaluation
samples (labels, classes, latents z, observations x).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, asdict

import numpy as np
import torch

from identifiability.io import provenance, read_hdf5, write_hdf5
from identifiability.synthetic.generator import apply_generator, build_generator_weights
from identifiability.synthetic.latents import project, sample_cluster_vectors, sample_conditional, sample_vmf
from identifiability.synthetic.settings import ProcessSettings

PROCESS_HINT = "Re-create it with scripts/synthetic_generate.py (or let snakemake rebuild it)."


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

    def draw(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
        """``n`` fresh samples: labels (uniform over the N instances; None for the infonce kind),
        latents z and observations x."""
        if not self.settings.has_labels:
            like = self.generator_weights
            z = project(torch.randn((n, self.settings.d), generator=generator, device=like.device, dtype=like.dtype))
            return None, z, apply_generator(z, self.generator_weights)
        labels = torch.randint(0, self.settings.N, (n,), generator=generator, device=self.cluster_vectors.device)
        z, x = self.sample(labels, generator)
        return labels, z, x

    def positive(self, labels: torch.Tensor | None, z: torch.Tensor,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """A positive for each sample: z+ ~ vMF(z, kappa) (infonce kind), or a second fresh sample
        with the same instance label (cluster-centric: the paper's "augmentation")."""
        if not self.settings.has_labels:
            z_pos = sample_vmf(z, self.settings.kappa, generator)
            return z_pos, apply_generator(z_pos, self.generator_weights)
        return self.sample(labels, generator)


def create_process(settings: ProcessSettings, seed: int) -> tuple[Process, dict[str, np.ndarray]]:
    """Draw cluster vectors, generator and held-out samples for ``seed`` (float64 throughout)."""
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    if settings.has_labels:
        clusters = sample_cluster_vectors(settings.clusters, settings.d, settings.cluster_marginal,
                                          settings.cluster_scale, gen)
    else:
        clusters = torch.empty((0, settings.d), dtype=torch.float64)
    weights = torch.as_tensor(build_generator_weights(settings.d, settings.generator_layers,
                                                      settings.generator_candidates, rng))
    process = Process(settings, seed, clusters, weights)
    labels, z, x = process.draw(settings.eval_samples, gen)
    if labels is None:   # no labels in this kind of process
        labels = torch.full((settings.eval_samples,), -1, dtype=torch.int64)
        classes = labels
    else:
        classes = labels % settings.clusters
    eval_arrays = {"labels": labels.numpy(), "classes": classes.numpy(), "z": z.numpy(), "x": x.numpy()}
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
