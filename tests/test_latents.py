import math

import numpy as np
import pytest
import scipy.stats
import torch

from identifiability.synthetic.latents import (sample_cluster_vectors, sample_conditional, sample_vmf,
                                               vmf_mean_resultant_length)


def _centres(n, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    return sample_cluster_vectors(n, d, "uniform", 1.0, g)


@pytest.mark.parametrize("d,kappa", [(3, 1.0), (5, 10.0), (10, 5.0), (20, 50.0), (5, 200.0)])
def test_vmf_mean_resultant_length_matches_theory(d, kappa):
    n = 40_000
    mu = _centres(1, d).expand(n, d).contiguous()
    z = sample_vmf(mu, kappa, torch.Generator().manual_seed(1))
    cos = (z * mu).sum(-1).numpy()
    expected = vmf_mean_resultant_length(kappa, d)
    # standard error of the mean of the cosine is < 1/sqrt(n); allow 5 of them
    assert abs(cos.mean() - expected) < 5 * cos.std() / math.sqrt(n) + 1e-4
    assert np.allclose(np.linalg.norm(z.numpy(), axis=1), 1.0, atol=1e-10)


def test_vmf_cosine_distribution_matches_scipy():
    d, kappa, n = 5, 10.0, 20_000
    mu = np.eye(d)[0]
    ours = sample_vmf(torch.as_tensor(mu).expand(n, d).contiguous(), kappa, torch.Generator().manual_seed(2))
    ref = scipy.stats.vonmises_fisher(mu, kappa).rvs(n, random_state=3)
    ks = scipy.stats.ks_2samp(ours[:, 0].numpy(), ref[:, 0])
    assert ks.pvalue > 1e-3
    # the tangent part is isotropic: the other coordinates have equal variance
    var = ours[:, 1:].numpy().var(0)
    assert np.allclose(var, var.mean(), rtol=0.1)


def test_vmf_is_reproducible_per_generator():
    mu = _centres(64, 5)
    a = sample_vmf(mu, 10.0, torch.Generator().manual_seed(7))
    b = sample_vmf(mu, 10.0, torch.Generator().manual_seed(7))
    c = sample_vmf(mu, 10.0, torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("family,params", [
    ("laplace", {"scale": 1.0}), ("normal", {"scale": 1.0}),
    ("truncated_laplace", {"scale": 1.0, "truncation": 0.5}),
    ("generalized_normal", {"alpha": 2.0, "shape": 1.5}),
])
def test_projected_conditionals_live_on_the_sphere_and_concentrate(family, params):
    mu = _centres(1, 5).expand(20_000, 5).contiguous()
    z = sample_conditional(family, mu, params, torch.Generator().manual_seed(0))
    assert torch.allclose(z.norm(dim=-1), torch.ones(len(z), dtype=z.dtype))
    assert (z * mu).sum(-1).mean() > 0.3   # centred on mu


def test_truncated_laplace_noise_is_bounded():
    mu = torch.zeros(50_000, 4, dtype=torch.float64)
    mu[:, 0] = 1.0
    T = 0.3
    z = sample_conditional("truncated_laplace", mu, {"scale": 1.0, "truncation": T}, torch.Generator().manual_seed(0))
    # before projection every coordinate of the noise lies in [-T, T]; after it, the first
    # coordinate stays >= (1 - T) / norm of the largest possible vector
    worst = (1 - T) / math.sqrt((1 + T) ** 2 + 3 * T ** 2)
    assert z[:, 0].min() >= worst - 1e-9


def test_cluster_marginals():
    g = torch.Generator().manual_seed(0)
    uni = sample_cluster_vectors(20_000, 5, "uniform", 1.0, g)
    lap = sample_cluster_vectors(20_000, 5, "laplace", 1.0, g)
    assert torch.allclose(uni.norm(dim=-1), torch.ones(20_000, dtype=uni.dtype))
    assert abs(uni[:, 0].mean()) < 0.02                  # uniform: no preferred direction
    assert lap[:, 0].mean() > 0.3                         # concentrated around e1
    with pytest.raises(ValueError, match="cluster marginal"):
        sample_cluster_vectors(3, 5, "cauchy", 1.0, g)


def test_unknown_conditional_is_rejected():
    with pytest.raises(ValueError, match="unknown conditional"):
        sample_conditional("cauchy", _centres(2, 3), {}, torch.Generator())
