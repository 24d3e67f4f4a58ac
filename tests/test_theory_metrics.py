"""The theorem-map metrics (metrics.theorem_maps, linear_fit) on constructed cases with a known
answer, and the theory table's verdicts on fixed metrics."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ortho_group

from identifiability import linear_fit
from identifiability.synthetic.metrics import theorem_maps
from identifiability.synthetic.theory import PREDICTIONS, verdicts


def _sphere(n, d, rng):
    x = rng.normal(size=(n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _case(d=5, n=4000, clusters=100, kappa=10.0, seed=0):
    rng = np.random.default_rng(seed)
    z = _sphere(n, d, rng)
    v_c = _sphere(clusters, d, rng)
    rows_v = v_c[np.arange(1000) % clusters]
    return rng, z, rows_v


def test_exact_c1_model_gives_distance_zero_and_the_planted_kappa():
    """C1: f∘g = O, w_i = O v_c, beta = kappa."""
    rng, z, v = _case()
    o = ortho_group.rvs(5, random_state=1)
    m = theorem_maps(z, z @ o, v @ o, v, beta=10.0)
    assert m["map_distance"] == pytest.approx(0, abs=1e-9)
    assert m["map_scale_z"] == pytest.approx(1)
    for key in ("kappa_hat_z", "kappa_hat_w", "kappa_hat_logits"):
        assert m[key] == pytest.approx(10.0)
    assert m["logit_map_error"] == pytest.approx(0, abs=1e-9)


def test_exact_c3_and_c2_models_recover_kappa_from_their_scales():
    rng, z, v = _case(kappa=20.0)
    o = ortho_group.rvs(5, random_state=2)
    beta = 4.0
    c3 = theorem_maps(z, (20.0 / beta) * z @ o + 0.3, v @ o, v, beta=beta)        # f∘g = (kappa/beta) O
    assert c3["kappa_hat_z"] == pytest.approx(20.0) and c3["map_distance"] == pytest.approx(0, abs=1e-9)
    c2 = theorem_maps(z, z @ o, (20.0 / beta) * v @ o + 1.5, v, beta=beta)        # w = (kappa/beta) O v + c
    assert c2["kappa_hat_w"] == pytest.approx(20.0) and c2["kappa_hat_logits"] == pytest.approx(20.0)


def test_general_linear_c4_model_satisfies_the_logit_relation_but_not_orthogonality():
    """C4: f∘g = M z + b with any invertible M, w = A v + c with beta A M^T = kappa I. Then
    A ∝ M^-T, whose orthogonal polar factor is M's: the two maps share it even though neither is
    orthogonal (what C1-C3 add is that each map is itself a scaled orthogonal one)."""
    rng, z, v = _case()
    m_z = rng.normal(size=(5, 5))
    beta, kappa = 2.0, 10.0
    a_w = kappa / beta * np.linalg.inv(m_z.T)
    m = theorem_maps(z, z @ m_z - 1.0, v @ a_w + 0.5, v, beta=beta)
    assert m["kappa_hat_logits"] == pytest.approx(kappa)
    assert m["logit_map_error"] == pytest.approx(0, abs=1e-8)
    assert m["map_distance"] == pytest.approx(0, abs=1e-8)
    assert linear_fit.mean_singular_value(m_z) != pytest.approx(np.linalg.svd(m_z, compute_uv=False).min())


def test_unrelated_maps_are_far_apart():
    rng, z, v = _case()
    m = theorem_maps(z, z @ ortho_group.rvs(5, random_state=3), v @ ortho_group.rvs(5, random_state=4), v, beta=10.0)
    assert m["map_distance"] > 0.3
    assert m["logit_map_error"] > 0.3
    distances = [linear_fit.orthogonal_map_distance(ortho_group.rvs(5, random_state=s), ortho_group.rvs(5, random_state=s + 100))
                 for s in range(50)]
    assert np.mean(distances) == pytest.approx(1.0, abs=0.1)   # normalised: ~1 for independent maps


def test_without_enough_rows_the_w_side_is_not_defined():
    rng, z, v = _case()
    m = theorem_maps(z, z, v[:5], v[:5], beta=1.0)
    assert np.isnan(m["map_distance"]) and np.isnan(m["kappa_hat_w"]) and not np.isnan(m["kappa_hat_z"])


def test_theory_verdicts_on_fixed_metrics():
    base = {"section": "baseline", "setting": "{}", "steps": 10, "process.kappa": 10.0, "process.clusters": 100,
            "process.d": 5, "converged": True}
    good = {"mae_z": 0.01, "affine_r2_z": 0.99, "orthogonal_r2_z": 0.99, "kappa_hat_z": 9.5, "beta": 10.5,
            "kappa_hat_w": 10.0, "map_distance": 0.02, "orthogonal_r2_w": 0.99, "affine_r2_w": float("nan"),
            "w_collapse": 0.01, "kappa_hat_logits": 10.2, "logit_map_error": 0.05}
    long = pd.DataFrame([{**base, **good, "case": "C1", "seed": s} for s in (0, 1)]
                        + [{**base, **good, "case": "C4", "seed": s, "beta": 1.1, "affine_r2_z": 0.5} for s in (0, 1)]
                        # C2: neither run converged (its loss still falling): nothing is judged
                        + [{**base, **good, "case": "C2", "seed": s, "affine_r2_z": 0.5, "converged": False}
                           for s in (0, 1)]
                        # C3: one of two converged, judged on it alone (no interval: outside the band
                        # it is inconclusive); the other run's 0.2 does not enter
                        + [{**base, **good, "case": "C3", "seed": 0, "affine_r2_z": 0.9},
                           {**base, **good, "case": "C3", "seed": 1, "affine_r2_z": 0.2, "converged": False}])
    v = verdicts(long).set_index(["case", "prediction"])
    assert set(v.loc["C2", "verdict"]) == {"not converged"}
    assert v.loc[("C2", "fg_linear"), "measured_mean"] == pytest.approx(50.0)   # shown, not judged
    assert v.loc[("C3", "fg_linear"), "verdict"] == "inconclusive"
    assert v.loc[("C3", "fg_linear"), "measured_mean"] == pytest.approx(90.0)
    assert v.loc[("C3", "fg_linear"), "seeds_converged"] == 1 and v.loc[("C3", "fg_linear"), "seeds"] == 2
    assert v.loc[("C3", "w_orthogonal"), "verdict"] == "holds"
    assert v.loc[("C1", "beta_kappa"), "verdict"] == "holds"
    assert v.loc[("C1", "same_map"), "verdict"] == "holds"
    assert v.loc[("C4", "fg_linear"), "verdict"] == "fails"            # 50 % < 95 %
    assert v.loc[("C4", "w_affine"), "verdict"] == "not applicable"    # NaN: W fit undefined
    assert ("C4", "beta_kappa") not in v.index                          # C4 makes no such prediction
    assert v.loc[("C1", "fg_linear"), "predicted"] == 100.0 and v.loc[("C1", "beta_kappa"), "predicted"] == 10.0
    assert {p.key for p in PREDICTIONS if "C1" in p.cases} == set(v.loc["C1"].index)
