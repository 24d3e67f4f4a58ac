"""Samplers on the unit sphere: cluster vectors and the conditionals p(z | v_c).

All samplers take an explicit ``torch.Generator`` so that every run draws its own reproducible
stream, on the CPU or on CUDA alike. Conditionals are looked up by name in ``CONDITIONALS``;
adding a family means adding one function with the signature ``(centres, params, generator)``.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from identifiability.synthetic.settings import ASSUMPTIONS_HOLD, CONDITIONAL_PARAMS  # noqa: F401 (re-exported)


def _normal(shape, generator, like: torch.Tensor) -> torch.Tensor:
    return torch.randn(shape, generator=generator, device=like.device, dtype=like.dtype)


def _uniform(shape, generator, like: torch.Tensor) -> torch.Tensor:
    return torch.rand(shape, generator=generator, device=like.device, dtype=like.dtype)


def _laplace(shape, generator, like: torch.Tensor) -> torch.Tensor:
    """Standard Laplace by inverse CDF of a uniform on (-1/2, 1/2)."""
    u = _uniform(shape, generator, like) - 0.5
    u = u.clamp(-0.5 + 1e-7, 0.5 - 1e-7)
    return -torch.sign(u) * torch.log1p(-2.0 * u.abs())


def project(x: torch.Tensor) -> torch.Tensor:
    """Radial projection onto the unit sphere."""
    return F.normalize(x, dim=-1)


# ----------------------------------------------------------------------------- cluster vectors

def sample_cluster_vectors(n: int, d: int, marginal: str, scale: float,
                           generator: torch.Generator) -> torch.Tensor:
    """``n`` unit vectors in R^d: uniform on the sphere, or Laplace/Normal around e1, projected."""
    like = torch.empty(0, dtype=torch.float64)
    if marginal == "uniform":
        return project(_normal((n, d), generator, like))
    e1 = torch.zeros(d, dtype=torch.float64)
    e1[0] = 1.0
    if marginal == "laplace":
        return project(e1 + scale * _laplace((n, d), generator, like))
    if marginal == "normal":
        return project(e1 + scale * _normal((n, d), generator, like))
    raise ValueError(f"unknown cluster marginal {marginal!r}; use uniform, laplace or normal")


# ----------------------------------------------------------------------------- conditionals

def vmf_mean_resultant_length(kappa: float, d: int) -> float:
    """E<mu, z> for z ~ vMF(mu, kappa) on S^{d-1}: I_{d/2}(kappa) / I_{d/2-1}(kappa)."""
    from scipy.special import ive
    return float(ive(d / 2, kappa) / ive(d / 2 - 1, kappa))


def sample_vmf(centres: torch.Tensor, kappa: float, generator: torch.Generator) -> torch.Tensor:
    """Exact von Mises-Fisher samples around each row of ``centres`` (Wood, 1994).

    The cosine w = <mu, z> is drawn by rejection from a Beta proposal (built from chi-square
    draws so that only generator-aware normal and uniform draws are needed); the tangent part is
    a uniform direction orthogonal to mu.
    """
    n, d = centres.shape
    like = centres
    m = d - 1
    b = m / (2.0 * kappa + math.sqrt(4.0 * kappa ** 2 + m ** 2))
    x0 = (1.0 - b) / (1.0 + b)
    c = kappa * x0 + m * math.log(1.0 - x0 ** 2)
    w = torch.empty(n, dtype=like.dtype, device=like.device)
    todo = torch.arange(n, device=like.device)
    while todo.numel():
        k = todo.numel()
        # Beta(m/2, m/2) = X / (X + Y) with X, Y ~ chi2(m)
        chi = _normal((2, k, m), generator, like).pow(2).sum(-1)
        beta = chi[0] / (chi[0] + chi[1])
        cand = (1.0 - (1.0 + b) * beta) / (1.0 - (1.0 - b) * beta)
        u = _uniform((k,), generator, like)
        accept = kappa * cand + m * torch.log1p(-x0 * cand) - c >= torch.log(u)
        w[todo[accept]] = cand[accept]
        todo = todo[~accept]
    v = _normal((n, d), generator, like)
    v = v - (v * centres).sum(-1, keepdim=True) * centres
    v = F.normalize(v, dim=-1)
    return w[:, None] * centres + torch.sqrt((1.0 - w ** 2).clamp_min(0.0))[:, None] * v


def _sample_vmf(centres, p, generator):
    return sample_vmf(centres, p["kappa"], generator)


def _sample_laplace(centres, p, generator):
    return project(centres + p["scale"] * _laplace(centres.shape, generator, centres))


def _sample_normal(centres, p, generator):
    return project(centres + p["scale"] * _normal(centres.shape, generator, centres))


def _sample_truncated_laplace(centres, p, generator):
    """Laplace(scale) per coordinate truncated to [-T, T] (inverse CDF), added, projected."""
    s, t = p["scale"], p["truncation"]
    lo = 0.5 * math.exp(-t / s)          # F(-T)
    hi = 1.0 - lo                        # F(T)
    u = lo + (hi - lo) * _uniform(centres.shape, generator, centres)
    noise = torch.where(u < 0.5, s * torch.log(2.0 * u), -s * torch.log(2.0 * (1.0 - u)))
    return project(centres + noise)


def _sample_generalized_normal(centres, p, generator):
    """Density exp(-alpha * ||v - z||_beta^beta) per coordinate, then projected.

    |x|^beta * alpha ~ Gamma(1/beta); the Gamma draw uses NumPy seeded from the torch generator,
    so the stream stays reproducible per run.
    """
    alpha, shape = p["alpha"], p["shape"]
    seed = int(torch.randint(0, 2 ** 62, (1,), generator=generator, device=generator.device))
    rng = np.random.default_rng(seed)
    g = rng.gamma(1.0 / shape, 1.0, size=tuple(centres.shape))
    sign = rng.choice([-1.0, 1.0], size=tuple(centres.shape))
    noise = torch.as_tensor(sign * (g / alpha) ** (1.0 / shape), dtype=centres.dtype,
                            device=centres.device)
    return project(centres + noise)


CONDITIONALS: dict[str, Callable[[torch.Tensor, dict, torch.Generator], torch.Tensor]] = {
    "vmf": _sample_vmf,
    "laplace": _sample_laplace,
    "normal": _sample_normal,
    "truncated_laplace": _sample_truncated_laplace,
    "generalized_normal": _sample_generalized_normal,
}

# Which settings each family reads (CONDITIONAL_PARAMS) and whether the paper's theory covers
# it (ASSUMPTIONS_HOLD) live in settings.py, which imports no torch.


def sample_conditional(family: str, centres: torch.Tensor, params: dict,
                       generator: torch.Generator) -> torch.Tensor:
    try:
        fn = CONDITIONALS[family]
    except KeyError:
        raise ValueError(f"unknown conditional {family!r}; choose from {sorted(CONDITIONALS)}") from None
    return fn(centres, params, generator)
