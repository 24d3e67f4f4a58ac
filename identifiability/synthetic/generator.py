"""The frozen invertible mixing g: R^d -> R^d (paper: 4 bias-free layers, LeakyReLU(0.2)).

Each layer's matrix has entries uniform in [-1, 1] and unit-norm columns. Among ``candidates``
independent draws per layer (drawn and scored in one vectorised batch) the best conditioned one is
kept: the construction costs one batched SVD, so its time is bounded and small, unlike a
draw-until-threshold loop.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

NEGATIVE_SLOPE = 0.2


def build_generator_weights(d: int, n_layers: int, candidates: int,
                            rng: np.random.Generator) -> np.ndarray:
    """Return an array (n_layers, d, d) of well conditioned mixing matrices (x = z @ W)."""
    layers = []
    for _ in range(n_layers):
        mats = rng.uniform(-1.0, 1.0, size=(candidates, d, d))
        mats /= np.linalg.norm(mats, axis=1, keepdims=True)
        cond = np.linalg.cond(mats)
        layers.append(mats[int(np.argmin(cond))])
    return np.stack(layers)


def apply_generator(z: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """x = g(z). ``z``: (..., B, d); ``weights``: (..., L, d, d) with matching leading dims."""
    x = z
    n_layers = weights.shape[-3]
    for i in range(n_layers):
        x = x @ weights[..., i, :, :]
        if i < n_layers - 1:
            x = F.leaky_relu(x, NEGATIVE_SLOPE)
    return x


def invert_generator(x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """z = g^{-1}(x), layer by layer."""
    z = x
    n_layers = weights.shape[-3]
    for i in reversed(range(n_layers)):
        if i < n_layers - 1:
            z = torch.where(z >= 0, z, z / NEGATIVE_SLOPE)
        z = torch.linalg.solve(weights[..., i, :, :].transpose(-1, -2), z.transpose(-1, -2)).transpose(-1, -2)
    return z
