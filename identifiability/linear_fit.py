"""Linear read-outs of representations: the identifiability metrics of the paper.

All fits are ordinary least squares by numpy's LAPACK ``lstsq`` (the fit scikit-learn's
LinearRegression makes, without the 2 s its import costs every stage process; tests/test_linear_fit.py
checks the two agree). Conventions (documented in docs/metrics.md):
- affine R²: least squares with intercept from representation to ground truth, fitted on the
  first half, R² (uniform average over output dimensions, as sklearn's r2_score) on the second half;
- orthogonal R²: the same without intercept;
- singular-value MAE: singular values s of the no-intercept coefficient matrix, scale-free
  mean |s_i / mean(s) - 1| (0 exactly when the map is a scaled orthogonal map);
- Pearson decoding: least squares without intercept, Pearson r on held-out samples.
"""

from __future__ import annotations

import numpy as np


def _split(n: int) -> tuple[slice, slice]:
    half = n // 2
    return slice(0, half), slice(half, n)


def least_squares(source: np.ndarray, target: np.ndarray, intercept: bool) -> tuple[np.ndarray, np.ndarray]:
    """(M, b) minimising ||target - (source @ M + b)||² (b = 0 without intercept); M is
    (d_in, d_out). With intercept the data are centred first, as sklearn's LinearRegression does."""
    source, target = np.asarray(source, float), np.asarray(target, float)
    if source.shape[0] != target.shape[0]:
        raise ValueError(f"source and target have {source.shape[0]} and {target.shape[0]} rows")
    squeeze = target.ndim == 1
    source, target = np.atleast_2d(source.T).T, np.atleast_2d(target.T).T
    x_mean = source.mean(0) if intercept else np.zeros(source.shape[1])
    y_mean = target.mean(0) if intercept else np.zeros(target.shape[1])
    coef = np.linalg.lstsq(source - x_mean, target - y_mean, rcond=None)[0]
    b = y_mean - x_mean @ coef
    return (coef[:, 0], b[0]) if squeeze else (coef, b)


def r2(target: np.ndarray, prediction: np.ndarray) -> float:
    """Coefficient of determination, averaged uniformly over output dimensions (sklearn's r2_score:
    a constant output scores 1 if predicted exactly, else 0)."""
    target, prediction = np.atleast_2d(np.asarray(target, float).T).T, np.atleast_2d(np.asarray(prediction, float).T).T
    residual = ((target - prediction) ** 2).sum(0)
    total = ((target - target.mean(0)) ** 2).sum(0)
    safe = np.where(total > 0, total, 1.0)
    scores = np.where(total > 0, 1.0 - residual / safe, np.where(residual == 0, 1.0, 0.0))
    return float(scores.mean())


def fit_r2(source: np.ndarray, target: np.ndarray, intercept: bool) -> tuple[float, np.ndarray]:
    """Held-out R² of ``target`` predicted linearly from ``source`` (first half fit, second test),
    and the fitted linear part M (d_in, d_out)."""
    source, target = np.asarray(source, float), np.asarray(target, float)
    if source.shape[0] != target.shape[0]:
        raise ValueError(f"source and target have {source.shape[0]} and {target.shape[0]} rows")
    fit, test = _split(source.shape[0])
    coef, b = least_squares(source[fit], target[fit], intercept)
    return r2(target[test], source[test] @ coef + b), coef


def affine_r2(source, target) -> float:
    return fit_r2(source, target, intercept=True)[0]


def orthogonal_r2(source, target) -> float:
    return fit_r2(source, target, intercept=False)[0]


def singular_value_mae(source, target) -> float:
    """How far the best no-intercept linear map source -> target is from a scaled rotation."""
    _, coef = fit_r2(source, target, intercept=False)
    s = np.linalg.svd(np.atleast_2d(coef), compute_uv=False)
    return float(np.mean(np.abs(s / s.mean() - 1.0)))


def pearson_decoding(train_x, train_y, test_x, test_y) -> float:
    """Least squares (no intercept) from features to a standardised factor; Pearson r on test."""
    mu, sd = train_y.mean(), train_y.std()
    sd = sd if sd > 0 else 1.0
    coef, *_ = np.linalg.lstsq(np.asarray(train_x, float), (train_y - mu) / sd, rcond=None)
    pred = np.asarray(test_x, float) @ coef
    if np.std(pred) == 0 or np.std(test_y) == 0:
        return 0.0
    return float(np.corrcoef(pred, test_y)[0, 1])


def within_class_collapse(rows: np.ndarray, classes: np.ndarray) -> float:
    """Within-class spread over total spread of the rows of W (0 = rows of a class coincide)."""
    rows = np.asarray(rows, float)
    total = ((rows - rows.mean(0)) ** 2).sum()
    if total == 0:
        return 0.0
    within = 0.0
    for c in np.unique(classes):
        member = rows[classes == c]
        within += ((member - member.mean(0)) ** 2).sum()
    return float(within / total)


# ----------------------------------------------------------------------------- maps of the theorems
# Row-vector convention throughout: a map M sends a point z to z @ M (+ b). Theorem 1 is about
# f∘g: z -> z̃ and about the rows of W as a function of their cluster vectors, v_c -> w_i.

def forward_map(source, target) -> np.ndarray:
    """Linear part M (d_in x d_out) of the least-squares affine map target ≈ source @ M + b,
    fitted on all samples (the theorems' maps, not a held-out score)."""
    coef, _ = least_squares(source, target, intercept=True)
    return coef.reshape(np.shape(source)[1], -1)


def orthogonal_factor(m: np.ndarray) -> np.ndarray:
    """The orthogonal factor of the polar decomposition m = U P (the nearest orthogonal matrix)."""
    from scipy.linalg import polar
    return polar(np.asarray(m, float))[0]


def mean_singular_value(m: np.ndarray) -> float:
    return float(np.linalg.svd(np.asarray(m, float), compute_uv=False).mean())


def orthogonal_map_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||U_a - U_b||_F / sqrt(2 d) between the orthogonal factors of two d x d maps: 0 when they
    share one orthogonal map; about 1 for two independent random orthogonal maps."""
    ua, ub = orthogonal_factor(a), orthogonal_factor(b)
    return float(np.linalg.norm(ua - ub) / np.sqrt(2 * ua.shape[0]))


def logit_map(beta: float, m_z: np.ndarray, a_w: np.ndarray) -> np.ndarray:
    """The bilinear form of the logits in the latents: beta <w_i, z̃> = v_C(i) (beta A M^T) z^T + ...,
    with z̃ = z M + b and w_i = v_C(i) A + c. Theorems 1 and 2 have beta A M^T = kappa I."""
    return beta * np.asarray(a_w, float) @ np.asarray(m_z, float).T


def scalar_part(m: np.ndarray) -> tuple[float, float]:
    """(s, e) for a square m: s = trace(m) / d (the multiple of the identity nearest to m) and
    e = ||m / s - I||_F / sqrt(d), how far m is from s I relative to s (nan if s = 0)."""
    m = np.asarray(m, float)
    d = m.shape[0]
    s = float(np.trace(m) / d)
    if s == 0:
        return s, float("nan")
    return s, float(np.linalg.norm(m / s - np.eye(d)) / np.sqrt(d))
