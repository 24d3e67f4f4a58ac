"""identifiability.verdicts: the one rule behind every verdict (paper cells, stated findings,
the theorems' predictions) and the convergence rule, on exact numbers and edge cases."""
import math

import pytest
from scipy import stats

from identifiability import verdicts as V

INF = math.inf


def test_the_interval_is_students_t_of_the_mean():
    lo, hi = V.interval(10.0, 2.0, 5)
    half = stats.t.ppf(0.975, 4) * 2.0 / math.sqrt(5)
    assert (lo, hi) == pytest.approx((10 - half, 10 + half))
    assert all(math.isnan(x) for x in V.interval(10.0, float("nan"), 1))
    # wider with fewer seeds at the same spread
    assert V.interval(0, 1, 2)[1] > V.interval(0, 1, 3)[1] > V.interval(0, 1, 30)[1]


@pytest.mark.parametrize("mean, std, n, verdict", [
    (5.0, 100.0, 2, "match"),            # inside the band: match whatever the spread
    (4.0, 0.0, 5, "match"),              # on the band's edge: inside
    (3.9, 0.01, 5, "short"),             # just below, tight interval
    (6.1, 0.01, 5, "better"),
    (3.9, 1.0, 5, "inconclusive"),       # interval reaches the band
    (3.0, float("nan"), 1, "inconclusive"),   # one seed: no interval, no decision outside the band
    (float("nan"), 0.0, 0, "missing"),
])
def test_judge_against_a_band(mean, std, n, verdict):
    assert V.judge(mean, std, n, 4.0, 6.0) == verdict


def test_one_sided_bands_and_prediction_words():
    assert V.judge(96.0, 1.0, 5, 95.0, INF, "prediction") == "holds"
    assert V.judge(90.0, 0.5, 5, 95.0, INF, "prediction") == "fails"
    assert V.judge(94.0, 2.0, 5, 95.0, INF, "prediction") == "inconclusive"
    assert V.judge(0.3, 0.01, 5, -INF, 0.1, "prediction") == "fails"


def test_paper_band_has_a_floor_and_follows_the_papers_std():
    assert V.paper_band(98.6, 0.0) == pytest.approx((97.6, 99.6))
    assert V.paper_band(45.0, 6.0) == pytest.approx((33.0, 57.0))
    assert V.paper_band(0.94, 0.0, "correlation") == pytest.approx((0.93, 0.95))


def test_difference_of_two_means():
    a, b = (98.0, 0.5, 5), (20.0, 5.0, 5)
    assert V.judge_difference(a, b, 50, INF) == "holds"
    assert V.judge_difference(a, (60.0, 0.5, 5), 50, INF) == "fails"
    assert V.judge_difference(a, (55.0, 20.0, 5), 50, INF) == "inconclusive"   # 43 ± 25
    assert V.judge_difference(a, (40.0, float("nan"), 1), 50, INF) == "holds"  # mean difference in band


def test_summary_and_opposites():
    assert V.summary_verdict(["holds", "holds"]) == "holds"
    assert V.summary_verdict(["holds", "inconclusive"]) == "inconclusive"
    assert V.summary_verdict(["inconclusive", "fails"]) == "fails"
    assert V.summary_verdict([]) == "missing"
    assert V.opposite("match", "short") and V.opposite("fails", "holds") and V.opposite("better", "short")
    assert not V.opposite("match", "inconclusive") and not V.opposite("short", "inconclusive")
    assert not V.opposite("match", "match")


def test_the_convergence_rule_reads_the_late_fall_of_the_loss():
    flat = [(100, 7.0), (200, 5.0), (300, 4.9), (400, 4.85), (500, 4.84), (600, 4.839)]
    assert V.late_share(flat) == pytest.approx((4.84 - 4.839) / (7.0 - 4.839))
    assert V.converged(flat)
    falling = [(100, 7.0), (200, 6.5), (300, 6.0), (400, 5.5), (500, 5.0), (600, 4.5)]
    assert V.late_share(falling) == pytest.approx(0.5 / 2.5) and not V.converged(falling)
    # edge: the fall share exactly at the threshold is not converged; too few points or no fall cannot tell
    assert V.late_share([(0, 100.0), (80, 8.0), (100, 0.0)]) == V.CONVERGED_LATE_SHARE
    assert not V.converged([(0, 100.0), (80, 8.0), (100, 0.0)])
    assert V.converged([(0, 100.0), (80, 7.9), (100, 0.0)])
    assert not V.converged([(100, 5.0), (200, 4.0)])
    assert not V.converged([(100, 4.0), (200, 4.5), (300, 5.0)])
    assert not V.converged(None)
