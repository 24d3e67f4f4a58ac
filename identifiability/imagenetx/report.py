"""Statistics and Figure 3: mean decoding accuracy per factor and representation, SEM over seeds,
one-sample t-test against chance (0.5) with a Bonferroni-adjusted level over all tests made."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from identifiability.imagenetx.annotations import FACTORS
from identifiability.imagenetx.names import LABELS, MODELS

CHANCE = 0.5
COLORS = {"resnet50": "#1f77b4", "resnet50_random": "#9ecae1", "vit_b_16": "#d62728",
          "vit_b_16_random": "#fc9272", "input_projection": "#7f7f7f"}


def summarize(per_seed: pd.DataFrame, alpha: float = 0.05,
              alternative: str = "two-sided") -> pd.DataFrame:
    """One row per (model, factor): mean/SEM accuracy and AUC, t-test, Bonferroni decision.

    The Bonferroni level is ``alpha`` divided by the number of (model, factor) pairs that were
    decoded (17 factors x 5 models = 85 in the paper).
    """
    if alternative not in ("two-sided", "greater"):
        raise ValueError("alternative must be 'two-sided' or 'greater'")
    need = {"model", "factor", "seed", "accuracy", "auc"}
    if not need <= set(per_seed.columns):
        raise ValueError(f"decoding table lacks columns {sorted(need - set(per_seed.columns))}")
    rows = []
    for (model, factor), g in per_seed.groupby(["model", "factor"], sort=False):
        acc = g["accuracy"].to_numpy(dtype=float)
        auc = g["auc"].to_numpy(dtype=float)
        ok = np.isfinite(acc)
        row = {"model": model, "factor": factor, "n_seeds": int(ok.sum()),
               "n_positive": int(g["n_positive"].iloc[0]) if "n_positive" in g else -1,
               "accuracy_mean": np.nan, "accuracy_sem": np.nan, "accuracy_std": np.nan,
               "auc_mean": np.nan, "t": np.nan, "p": np.nan}
        if ok.any():
            row.update(accuracy_mean=acc[ok].mean(), auc_mean=np.nanmean(auc[ok]),
                       accuracy_std=acc[ok].std(ddof=1) if ok.sum() > 1 else np.nan,
                       accuracy_sem=stats.sem(acc[ok]) if ok.sum() > 1 else np.nan)
            if ok.sum() > 1:
                if np.ptp(acc[ok]) == 0:  # no spread: the t statistic is undefined
                    same = acc[ok][0] == CHANCE
                    row.update(t=0.0 if same else np.sign(acc[ok][0] - CHANCE) * np.inf,
                               p=1.0 if same or (alternative == "greater" and acc[ok][0] < CHANCE)
                               else 0.0)
                else:
                    res = stats.ttest_1samp(acc[ok], CHANCE, alternative=alternative)
                    row.update(t=float(res.statistic), p=float(res.pvalue))
        rows.append(row)
    table = pd.DataFrame(rows)
    n_tests = int(np.isfinite(table["p"]).sum())
    table["alpha_bonferroni"] = alpha / n_tests if n_tests else np.nan
    table["n_tests"] = n_tests
    table["significant"] = np.isfinite(table["p"]) & (table["p"] < table["alpha_bonferroni"])
    order_m = {m: i for i, m in enumerate(MODELS)}
    order_f = {f: i for i, f in enumerate(FACTORS)}
    table = table.sort_values(by=["factor", "model"], key=lambda s: s.map(
        order_f if s.name == "factor" else order_m).fillna(len(order_f) + len(order_m)))
    return table.reset_index(drop=True)


def figure(summary: pd.DataFrame, title: str = ""):
    """Grouped bars per factor (one per representation), SEM bars, stars, chance line."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = [m for m in MODELS if m in set(summary["model"])] + sorted(
        set(summary["model"]) - set(MODELS))
    factors = [f for f in FACTORS if f in set(summary["factor"])] + sorted(
        set(summary["factor"]) - set(FACTORS))
    width = 0.8 / len(models)
    fig, ax = plt.subplots(figsize=(max(8.0, 0.75 * len(factors) + 2), 4.2))
    x = np.arange(len(factors))
    cell = summary.set_index(["model", "factor"])
    lows = []
    for k, model in enumerate(models):
        pos = x - 0.4 + width * (k + 0.5)
        mean = np.array([cell.loc[(model, f), "accuracy_mean"] if (model, f) in cell.index
                         else np.nan for f in factors], dtype=float)
        sem = np.array([cell.loc[(model, f), "accuracy_sem"] if (model, f) in cell.index
                        else np.nan for f in factors], dtype=float)
        sig = np.array([bool(cell.loc[(model, f), "significant"]) if (model, f) in cell.index
                        else False for f in factors])
        ax.bar(pos, mean, width, yerr=np.nan_to_num(sem), capsize=1.5, label=LABELS.get(model, model),
               color=COLORS.get(model, None), edgecolor="black", linewidth=0.4,
               error_kw={"elinewidth": 0.7})
        lows.extend(mean[np.isfinite(mean)])
        for p, m, s, star in zip(pos, mean, sem, sig):
            if star and np.isfinite(m):
                ax.text(p, m + np.nan_to_num(s) + 0.005, "*", ha="center", va="bottom", fontsize=8)
    ax.axhline(CHANCE, color="black", linestyle="--", linewidth=0.8, label="chance")
    low = min(lows) if lows else CHANCE
    ax.set_ylim(max(0.0, min(low, CHANCE) - 0.1), 1.02)
    ax.set_xticks(x)
    ax.set_xticklabels([f.replace("_", " ") for f in factors], rotation=40, ha="right")
    ax.set_xlim(-0.6, len(factors) - 0.4)
    ax.set_ylabel("balanced test accuracy")
    n_tests = int(summary["n_tests"].iloc[0]) if len(summary) else 0
    for i, f in enumerate(factors):
        if not any((m, f) in cell.index and np.isfinite(cell.loc[(m, f), "accuracy_mean"])
                   for m in models):
            ax.text(i, CHANCE + 0.01, "n/a", ha="center", va="bottom", fontsize=7, color="0.4")
    alpha = summary["alpha_bonferroni"].iloc[0] if len(summary) else np.nan
    ax.set_title(title or f"ImageNet-X factor decoding (* p < {alpha:.2g} = alpha/{n_tests}, "
                          "Bonferroni; n/a: too few images)", fontsize=10, pad=24)
    ax.legend(ncol=len(models) + 1, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
