"""What every training objective shares: the interface, and the draws of labelled samples.

A method's ``draw`` returns one step's data for every run of a ``RunBatch`` (tensors with a
leading run dimension, each run drawn from its own process with its own generator, so a run
trained in a stack draws exactly what it would draw alone); ``loss`` returns the per-run mean
loss (R,), whose sum the training loop differentiates.
"""

from __future__ import annotations

import torch

from identifiability.synthetic import model as M


class Method:
    """Base class of the objectives; subclasses set ``name`` and implement ``draw`` and ``loss``."""
    name = ""

    def draw(self, batch) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def loss(self, batch, data: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    @staticmethod
    def features(batch, x: torch.Tensor) -> torch.Tensor:
        """f(x) of every run in training mode (batch statistics): (R, B, d) -> (R, B, d)."""
        return M.encode(batch.params, batch.buffers, batch.shape, x, train=True, products=batch.products)


def draw_labelled(batch, target: str) -> dict[str, torch.Tensor]:
    """Fresh samples with their labels: ``x`` (R, B, d) and ``target`` (R, B), the instance label
    (``target="instances"``) or the class (``"classes"``); each target is replaced, with
    probability ``label_noise`` of its run, by a uniform draw over all targets (paper Fig. 6)."""
    B = batch.shared.batch_size
    xs, ts = [], []
    for proc, gen, own in zip(batch.processes, batch.generators, batch.run_settings):
        labels, _, x = proc.draw(B, gen)
        n_targets = proc.settings.N if target == "instances" else proc.settings.clusters
        t = labels if target == "instances" else labels % proc.settings.clusters
        if own.label_noise > 0:
            flip = torch.rand(B, generator=gen, device=batch.device) < own.label_noise
            noise = torch.randint(0, n_targets, (B,), generator=gen, device=batch.device)
            t = torch.where(flip, noise, t)
        xs.append(x)
        ts.append(t)
    return {"x": torch.stack(xs), "target": torch.stack(ts)}
