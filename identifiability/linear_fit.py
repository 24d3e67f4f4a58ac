"""Linear read-outs of representations: the identifiability metrics of the paper.

All fits use scikit-learn. Conventions (documented in docs/metrics.md):
- affine R²: LinearRegression with intercept from representation to ground truth, fitted on the
  first half, R² (uniform average over output dimensions) on the second half;
- orthogonal R²: the same without intercept;
- singular-value MAE: singular values s of the no-intercept coefficient matrix, scale-free
  mean |s_i / mean(s) - 1| (0 exactly when the map is a scaled orthogonal map);
- Pearson decoding: least squares without intercept, Pearson r on held-out samples.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score


def _split(n: int) -> tuple[slice, slice]:
    half = n // 2
    return slice(0, half), slice(half, n)


def fit_r2(source: np.ndarray, target: np.ndarray, intercept: bool) -> tuple[float, LinearRegression]:
    """Held-out R² of ``target`` predicted linearly from ``source`` (first half fit, second test)."""
    source, target = np.asarray(source, float), np.asarray(target, float)
    if source.shape[0] != target.shape[0]:
        raise ValueError(f"source and target have {source.shape[0]} and {target.shape[0]} rows")
    fit, test = _split(source.shape[0])
    reg = LinearRegression(fit_intercept=intercept).fit(source[fit], target[fit])
    return float(r2_score(target[test], reg.predict(source[test]))), reg


def affine_r2(source, target) -> float:
    return fit_r2(source, target, intercept=True)[0]


def orthogonal_r2(source, target) -> float:
    return fit_r2(source, target, intercept=False)[0]


def singular_value_mae(source, target) -> float:
    """How far the best no-intercept linear map source -> target is from a scaled rotation."""
    _, reg = fit_r2(source, target, intercept=False)
    s = np.linalg.svd(np.atleast_2d(reg.coef_), compute_uv=False)
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
