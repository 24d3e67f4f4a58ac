"""Every verdict of the project, in one place: ours against the paper (Tables 2-5, the DisLib row),
the paper's stated findings (Appendix D) and the theorems' predictions (docs/theory.md).

A verdict weighs our mean with its uncertainty over seeds, a two-sided Student-t interval at
``LEVEL`` (mean ± t(LEVEL, n - 1) · std / sqrt(n), std with ddof = 1), against a band of
accepted values:

- the mean inside the band: ``match`` (a prediction or a finding: ``holds``);
- the whole interval above the band: ``better``; below: ``short`` (a prediction or a finding
  wholly on the wrong side: ``fails``);
- otherwise (the band inside the interval's reach, or one seed, whose interval is unknown):
  ``inconclusive``: more seeds would decide.

The band of a paper cell is the paper's value ± max(``MIN_HALF_WIDTH``, 2 x the paper's std),
in the metric's units (R² in points; the paper prints its std in R² units, 0.01 = one point,
which we infer from its R² means being printed the same way). A prediction of the theorems
is judged only on runs that have converged (``converged``): the theorems speak of the optimum,
which a run still descending has not reached; those lines read ``not converged``.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from scipy import stats

LEVEL = 0.95
MIN_HALF_WIDTH = {"points": 1.0, "correlation": 0.01}   # the narrowest band: 1 R² point; 0.01 of r
WIDE_BAND = 1.0   # a match whose band is wider than this many points rests on the paper's std

# Convergence, from the training loss alone (the mean loss of each logging interval, never the
# true latents): converged when the loss fell over the last LATE_FRACTION of the steps by less
# than CONVERGED_LATE_SHARE of its fall over the whole run (from the first logged interval).
# Measured at the default budget (600 steps, lr 0.02, 2 seeds each): the baseline, affine R² of
# z 98 %, 5.9-6.5 %; |C| = 9 < 2d (Theorem 1's diversity condition fails, R² 76-80 %, flat) 6.3-7.3 %;
# d = 10 (R² 56 %, rising) 11-20 %; kappa = 2 (R² 64-78 %, rising) 10-12 %; the baseline at
# 1800 steps 1.4-1.5 % (docs/theory.md).
LATE_FRACTION = 0.2
CONVERGED_LATE_SHARE = 0.08

WORDS = {"paper": ("short", "match", "better"), "prediction": ("fails", "holds", "fails")}
DECIDED_OPPOSITES = {("match", "short"), ("match", "better"), ("holds", "fails"), ("short", "better")}


def interval(mean: float, std: float, n: int, level: float = LEVEL) -> tuple[float, float]:
    """The two-sided t-interval of a mean over ``n`` seeds; (nan, nan) with fewer than two."""
    if n < 2 or math.isnan(std) or math.isnan(mean):
        return float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, n - 1) * std / math.sqrt(n)
    return mean - half, mean + half


def judge(mean: float, std: float, n: int, low: float, high: float, kind: str = "paper") -> str:
    """The verdict of a mean over ``n`` seeds against the band [low, high] (either may be
    infinite): see the module docstring. ``kind``: paper (short / match / better) or prediction
    (fails / holds / fails)."""
    below, inside, above = WORDS[kind]
    if math.isnan(mean):
        return "missing"
    if low <= mean <= high:
        return inside
    lo, hi = interval(mean, std, n)
    if hi < low:
        return below
    if lo > high:
        return above
    return "inconclusive"


def judge_difference(a: tuple[float, float, int], b: tuple[float, float, int], low: float, high: float,
                     kind: str = "prediction") -> str:
    """The verdict of the difference a - b of two means, each (mean, std, n) over its own seeds,
    against [low, high]: its interval from the two standard errors (Welch's, with the smaller
    sample's degrees of freedom, min(n_a, n_b) - 1, on the safe side)."""
    n = min(a[2], b[2])
    if n < 2:
        return judge(a[0] - b[0], float("nan"), 1, low, high, kind)
    se = math.sqrt(a[1] ** 2 / a[2] + b[1] ** 2 / b[2])
    return judge(a[0] - b[0], se * math.sqrt(n), n, low, high, kind)


def summary_verdict(verdicts: Iterable[str], kind: str = "prediction") -> str:
    """One verdict for several cells that must all hold: fails / short if any does, holds / match
    if all do, else inconclusive (or missing when there are none)."""
    below, inside, _ = WORDS[kind]
    verdicts = list(verdicts)
    if not verdicts:
        return "missing"
    if any(v in (below, "fails", "short", "missing") for v in verdicts):
        return below
    return inside if all(v == inside for v in verdicts) else "inconclusive"


def paper_band(paper_mean: float, paper_std: float, units: str = "points") -> tuple[float, float]:
    """The accepted values of a paper cell: its mean ± max(the narrowest band, 2 x its std)."""
    half = max(MIN_HALF_WIDTH[units], 2.0 * paper_std)
    return paper_mean - half, paper_mean + half


def paper_verdict(mean: float, std: float, n: int, paper_mean: float, paper_std: float,
                  units: str = "points") -> str:
    return judge(mean, std, n, *paper_band(paper_mean, paper_std, units), kind="paper")


def opposite(a: str, b: str) -> bool:
    """Whether two verdicts are decided and opposite (match <-> short / better, holds <-> fails)."""
    return (a, b) in DECIDED_OPPOSITES or (b, a) in DECIDED_OPPOSITES


def late_share(curve: Sequence[Sequence[float]]) -> float:
    """The fall of the loss over the last ``LATE_FRACTION`` of the steps as a share of its fall
    over the run; ``curve``: (step, mean loss of the interval ending there) in step order. nan if
    the curve is too short to tell (under three points) or the loss did not fall at all."""
    if curve is None or len(curve) < 3:
        return float("nan")
    steps = [float(s) for s, _ in curve]
    losses = [float(v) for _, v in curve]
    cut = steps[-1] - LATE_FRACTION * (steps[-1] - steps[0])
    late = max(i for i, s in enumerate(steps) if s <= cut)
    total = losses[0] - losses[-1]
    return (losses[late] - losses[-1]) / total if total > 0 else float("nan")


def converged(curve: Sequence[Sequence[float]] | None) -> bool:
    """The convergence rule (module docstring): False where the curve cannot tell."""
    share = late_share(curve)
    return not math.isnan(share) and share < CONVERGED_LATE_SHARE


def mean_std(values: Iterable[float]) -> tuple[float, float, int]:
    """Mean, std (ddof = 1; nan for one value) and count of the non-missing values."""
    v = [float(x) for x in values if not math.isnan(float(x))]
    if not v:
        return float("nan"), float("nan"), 0
    mean = sum(v) / len(v)
    std = math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else float("nan")
    return mean, std, len(v)
