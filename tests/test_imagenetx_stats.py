"""Decoding and statistics on synthetic features with a known effect and a known null."""

import numpy as np
import pandas as pd
import pytest

from identifiability.imagenetx.decode import DecodeSettings, balance, decode, preprocess
from identifiability.imagenetx.report import figure, summarize


def synthetic(n=600, dim=20, seed=0):
    rng = np.random.default_rng(seed)
    targets = pd.DataFrame({"effect": (rng.random(n) < 0.3).astype(int),   # imbalanced
                            "null": (rng.random(n) < 0.4).astype(int),
                            "rare": (np.arange(n) < 3).astype(int)})
    x = rng.normal(size=(n, dim)) + 3.0                   # positive: no unit is dead
    x[:, 0] += 2.0 * targets["effect"].to_numpy()        # the effect lives in unit 0
    x[:, 1] = -1.0                                        # a dead unit (mean <= 0)
    return x, targets


def test_known_effect_and_known_null():
    x, targets = synthetic()
    settings = DecodeSettings(seeds=tuple(range(10)), min_minority=10)
    per_seed = decode(x, targets, settings, model="toy")
    assert len(per_seed) == 3 * 10
    assert (per_seed["n_units"] == 19).all()                      # the dead unit was dropped
    eff = per_seed[per_seed["factor"] == "effect"]
    null = per_seed[per_seed["factor"] == "null"]
    assert eff["accuracy"].mean() > 0.8 and eff["auc"].mean() > 0.9
    assert abs(null["accuracy"].mean() - 0.5) < 0.06
    # Balanced splits: 30 % of the 600 are positives -> both classes equal in each split.
    assert (eff["n_test"] % 2 == 0).all() and (eff["n_train"] + eff["n_test"] <= 2 * targets["effect"].sum()).all()
    assert per_seed.loc[per_seed["factor"] == "rare", "accuracy"].isna().all()
    assert per_seed.loc[per_seed["factor"] == "rare", "status"].str.startswith("skipped").all()

    summary = summarize(per_seed, alpha=0.05).set_index("factor")
    assert summary.loc["effect", "significant"] and summary.loc["effect", "p"] < 1e-6
    assert not summary.loc["null", "significant"]
    assert summary["n_tests"].iloc[0] == 2                        # the skipped factor is not a test
    assert summary["alpha_bonferroni"].iloc[0] == pytest.approx(0.025)
    acc = eff["accuracy"].to_numpy()
    assert summary.loc["effect", "accuracy_sem"] == pytest.approx(acc.std(ddof=1) / np.sqrt(10))
    from scipy import stats
    assert summary.loc["effect", "p"] == pytest.approx(stats.ttest_1samp(acc, 0.5).pvalue)


def test_null_false_positive_rate_is_controlled():
    """Over many pure-noise factors, Bonferroni keeps every test non-significant."""
    rng = np.random.default_rng(3)
    n = 300
    x = rng.normal(size=(n, 8)) + 5
    targets = pd.DataFrame({f"noise{i}": rng.integers(0, 2, n) for i in range(12)})
    summary = summarize(decode(x, targets, DecodeSettings(seeds=(0, 1, 2, 3, 4))))
    assert summary["n_tests"].iloc[0] == 12
    assert not summary["significant"].any()
    assert summary["accuracy_mean"].between(0.35, 0.65).all()


def test_same_seed_same_numbers_other_seed_other_split():
    x, targets = synthetic(seed=1)
    s = DecodeSettings(seeds=(0, 1), min_minority=10)
    a, b = decode(x, targets, s), decode(x, targets, s)
    pd.testing.assert_frame_equal(a, b)
    assert a.loc[(a.factor == "null") & (a.seed == 0), "accuracy"].item() != \
        a.loc[(a.factor == "null") & (a.seed == 1), "accuracy"].item()


def test_preprocess_balance_and_settings():
    x = np.array([[1.0, -1.0, 2.0], [3.0, -2.0, 2.0], [5.0, 0.5, 2.0]])
    z, keep = preprocess(x, "mean_nonpositive")
    assert keep.tolist() == [True, False, True]
    assert np.allclose(z.mean(axis=0), 0) and np.allclose(z[:, 0].std(), 1)
    assert preprocess(x, "constant")[1].tolist() == [True, True, False]
    with pytest.raises(ValueError, match="every unit is dead"):
        preprocess(-np.abs(x), "mean_nonpositive")
    y = np.array([1, 0, 0, 0, 0, 1, 0])
    idx = balance(np.arange(7), y, np.random.default_rng(0))
    assert y[idx].sum() == 2 and len(idx) == 4
    for bad in ({"seeds": ()}, {"test_size": 1.0}, {"min_minority": 1}, {"dead_units": "x"}):
        with pytest.raises(ValueError):
            DecodeSettings(**bad)
    with pytest.raises(ValueError, match="feature rows"):
        decode(x, pd.DataFrame({"f": [0, 1]}), DecodeSettings())


def test_figure_has_bars_errorbars_stars_and_chance_line():
    x, targets = synthetic()
    per_seed = pd.concat([decode(x, targets, DecodeSettings(seeds=(0, 1, 2)), model=m)
                          for m in ("resnet50", "input_projection")])
    summary = summarize(per_seed)
    fig = figure(summary)
    ax = fig.axes[0]
    assert len(ax.patches) == 2 * 3                       # 2 models x 3 factors (NaN bars too)
    assert any(t.get_text() == "*" for t in ax.texts)     # the effect is starred
    assert any(t.get_text() == "n/a" for t in ax.texts)   # the rare factor is marked
    assert any(np.allclose(line.get_ydata(), 0.5) for line in ax.get_lines())
    import matplotlib.pyplot as plt
    plt.close(fig)
