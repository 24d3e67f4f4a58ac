"""Linear decoding of the binary factors from one representation (paper Sec. 4.3).

Per representation: drop dead units (paper: mean <= 0 over all images), z-score every unit over
all images (label-free, so no test labels leak). Then per factor and seed: stratified 70/30
split, balance both splits by subsampling the majority value, fit a logistic regression on the
training split, report accuracy and ROC AUC on the test split.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from identifiability.strict_settings import StrictSettings

log = logging.getLogger(__name__)
DEAD_UNIT_RULES = ("mean_nonpositive", "constant", "none")


@dataclasses.dataclass(frozen=True)
class DecodeSettings(StrictSettings):
    seeds: tuple[int, ...] = tuple(range(10))
    test_size: float = 0.3
    min_minority: int = 10      # a factor is decoded only if its rarer value has this many images
    C: float = 1.0
    max_iter: int = 1000
    dead_units: str = "mean_nonpositive"

    SCHEMA = ("imagenetx.schema.yaml", "properties/decode")

    def __post_init__(self):
        self.check_schema()   # the config schema's rules for imagenetx.decode
        if self.dead_units not in DEAD_UNIT_RULES:   # the rules this module implements
            raise ValueError(f"dead_units must be one of {DEAD_UNIT_RULES}, not {self.dead_units!r}")


def preprocess(features: np.ndarray, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Drop dead units and z-score the rest; returns (z-scored features, kept-unit mask)."""
    x = np.asarray(features, dtype=np.float64)
    if rule == "mean_nonpositive":
        keep = x.mean(axis=0) > 0
    elif rule == "constant":
        keep = x.std(axis=0) > 0
    else:
        keep = np.ones(x.shape[1], dtype=bool)
    if not keep.any():
        raise ValueError(f"every unit is dead under the rule {rule!r}; nothing to decode")
    x = x[:, keep]
    std = x.std(axis=0)
    std[std == 0] = 1.0
    return (x - x.mean(axis=0)) / std, keep


def balance(idx: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Subsample the majority value of y[idx] to the size of the minority (sorted indices)."""
    pos, neg = idx[y[idx] == 1], idx[y[idx] == 0]
    m = min(len(pos), len(neg))
    return np.sort(np.concatenate([rng.choice(pos, m, replace=False),
                                   rng.choice(neg, m, replace=False)]))


def decode_one(x: np.ndarray, y: np.ndarray, seed: int, s: DecodeSettings) -> dict:
    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=s.test_size, stratify=y, random_state=seed)
    rng = np.random.default_rng(seed)
    train, test = balance(train, y, rng), balance(test, y, rng)
    if min(len(train), len(test)) < 2:
        return {"accuracy": np.nan, "auc": np.nan, "n_train": len(train), "n_test": len(test),
                "converged": False, "status": "too few images of the rarer value after the split"}
    clf = LogisticRegression(C=s.C, max_iter=s.max_iter, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x[train], y[train])
    score = clf.decision_function(x[test])
    return {"accuracy": float(np.mean((score > 0).astype(int) == y[test])),
            "auc": float(roc_auc_score(y[test], score)),
            "n_train": len(train), "n_test": len(test),
            "converged": bool(np.all(clf.n_iter_ < s.max_iter)), "status": "ok"}


def decode(features: np.ndarray, targets: pd.DataFrame, settings: DecodeSettings,
           model: str = "") -> pd.DataFrame:
    """One row per (factor, seed): accuracy, auc, split sizes, units kept, status."""
    if len(features) != len(targets):
        raise ValueError(f"{len(features)} feature rows but {len(targets)} annotation rows")
    x, keep = preprocess(features, settings.dead_units)
    log.info("%s: %d of %d units kept (dead-unit rule %s)", model, keep.sum(), keep.size,
             settings.dead_units)
    rows = []
    for factor in targets.columns:
        y = targets[factor].to_numpy().astype(int)
        minority = int(min(y.sum(), len(y) - y.sum()))
        t0 = time.time()
        for seed in settings.seeds:
            if minority < settings.min_minority:
                result = {"accuracy": np.nan, "auc": np.nan, "n_train": 0, "n_test": 0,
                          "converged": False,
                          "status": f"skipped: only {minority} images of the rarer value "
                                    f"(min_minority={settings.min_minority})"}
            else:
                result = decode_one(x, y, seed, settings)
            rows.append({"model": model, "factor": factor, "seed": int(seed),
                         "n_positive": int(y.sum()), "n_images": len(y),
                         "n_units": int(keep.sum()), **result})
        accs = [r["accuracy"] for r in rows[-len(settings.seeds):]]
        log.info("%s / %-16s positives %6d  accuracy %.3f  (%.1f s)", model, factor, y.sum(),
                 np.nanmean(accs) if np.isfinite(accs).any() else np.nan, time.time() - t0)
    return pd.DataFrame(rows)
