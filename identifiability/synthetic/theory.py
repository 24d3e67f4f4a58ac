"""Theorems 1 and 2 checked prediction by prediction (docs/theory.md).

Each case of the theorems (DIET with f(x) and the rows of W unit-normalised or not: C1-C4 of
Theorem 1; supervised training: Theorem 2) predicts properties of the map f∘g: z -> z̃, of the
rows of W as a function of their cluster vectors, of beta and of kappa. ``PREDICTIONS`` lists them,
each with the metrics.json key that measures it (``metrics.py``), the predicted value and the
tolerance within which we call it held. The stage writes three tables (the baseline, a kappa sweep
and a sweep of the number of clusters) with a verdict per (case, prediction, setting), and two
figures (recovered kappa against true kappa; C3's predictions against |C|).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from identifiability.io import read_json
from identifiability.synthetic.report import METRICS_HINT
from identifiability.tables import save_figure, write_table
from identifiability.verdicts import CONVERGED_LATE_SHARE, LATE_FRACTION, LEVEL, judge, mean_std

CASES = ("C1", "C2", "C3", "C4", "supervised")
CASE_LABELS = {"C1": "C1: f(x), W normalised", "C2": "C2: f(x) normalised, W free",
               "C3": "C3: f(x) free, W normalised", "C4": "C4: neither normalised",
               "supervised": "supervised (Theorem 2)"}


@dataclass(frozen=True)
class Prediction:
    key: str
    text: str
    metric: str            # metrics.json key
    cases: tuple[str, ...]
    target: str            # "100" (an R² in percent), "0", or "kappa"
    tolerance: float       # R²: at least 100 - tolerance points; 0: at most tolerance; kappa: relative

    def predicted(self, kappa: float) -> float:
        return {"100": 100.0, "0": 0.0, "kappa": kappa}[self.target]

    def band(self, kappa: float) -> tuple[float, float]:
        """The values within which the prediction is held (R² in points)."""
        if self.target == "100":
            return 100.0 - self.tolerance, math.inf
        if self.target == "0":
            return -math.inf, self.tolerance
        return kappa * (1.0 - self.tolerance), kappa * (1.0 + self.tolerance)

    def scale(self) -> float:
        return 100.0 if self.target == "100" else 1.0


PREDICTIONS = (
    Prediction("fg_orthogonal", "f∘g is an orthogonal map (singular-value MAE of z̃ <-> z)", "mae_z",
               ("C1", "C2", "C3"), "0", 0.1),
    Prediction("fg_linear", "f∘g is affine (affine R² of z from z̃, %)", "affine_r2_z", CASES, "100", 5.0),
    Prediction("kappa_fg", "beta · scale of f∘g = kappa (f∘g = (kappa/beta) O)", "kappa_hat_z", ("C3",), "kappa", 0.2),
    Prediction("beta_kappa", "beta = kappa", "beta", ("C1",), "kappa", 0.2),
    Prediction("kappa_w", "beta · scale of v_c -> w_i = kappa (w_i = (kappa/beta) h(v_c) + c)", "kappa_hat_w",
               ("C2",), "kappa", 0.2),
    Prediction("same_map", "W and f∘g share one orthogonal map (distance of the two)", "map_distance",
               ("C1", "C2", "C3"), "0", 0.1),
    Prediction("w_orthogonal", "w_i = O v_c (no-intercept R² of v_c from w_i, %)", "orthogonal_r2_w",
               ("C1", "C3"), "100", 5.0),
    Prediction("w_affine", "w_i is affine in v_c (affine R² of v_c from w_i, %)", "affine_r2_w",
               ("C2", "C4", "supervised"), "100", 5.0),
    Prediction("collapse", "rows of W of one class collapse (within-class share of their spread)", "w_collapse",
               ("C1", "C2", "C3", "C4"), "0", 0.05),
    Prediction("logits_kappa", "logits match kappa <v_c, z>: trace of beta A M^T / d = kappa", "kappa_hat_logits",
               CASES, "kappa", 0.2),
    Prediction("logits_identity", "beta A M^T is a multiple of the identity (relative distance)", "logit_map_error",
               CASES, "0", 0.2),
)
COLUMNS = ["case", "prediction", "setting", "measured_mean", "measured_std", "predicted", "seeds", "seeds_converged",
           "steps", "verdict"]


def collect(layout: dict, runs_root: str | Path) -> pd.DataFrame:
    """One line per (section, cell, variant, seed) with every metric."""
    records = []
    for section, rows in layout["sections"].items():
        for row in rows:
            for variant, setting_id in row["runs"].items():
                for seed in layout["seeds"]:
                    m = read_json(Path(runs_root) / setting_id / f"seed{seed}" / "metrics.json", "run metrics", METRICS_HINT)
                    records.append({"section": section, "setting": json.dumps(row["process"], sort_keys=True),
                                    "variant": variant, "case": layout["variants"][variant], "seed": seed, **m})
    return pd.DataFrame.from_records(records)


def verdicts(long: pd.DataFrame, diversity_d: int | None = None) -> pd.DataFrame:
    """One line per (section, case, prediction, setting): measured mean and std over the seeds
    whose runs converged (``identifiability.verdicts.converged``, from the training loss), the
    predicted value and the verdict: holds / fails / inconclusive (``verdicts.judge``), not
    converged when no seed's run has, not applicable when the metric cannot be measured."""
    out = []
    for (section, setting, case), sub in long.groupby(["section", "setting", "case"], sort=False):
        kappa = float(sub["process.kappa"].iloc[0])
        done = sub[sub["converged"].astype(bool)] if "converged" in sub else sub.iloc[:0]
        for p in PREDICTIONS:
            if case not in p.cases or (section == "kappa" and p.target != "kappa" and p.key != "logits_identity"):
                continue
            mean, std, n = mean_std(p.scale() * done[p.metric].astype(float))
            if done.empty:
                verdict = "not converged"
                mean, std, _ = mean_std(p.scale() * sub[p.metric].astype(float))   # shown, not judged
            elif math.isnan(mean):
                verdict = "not applicable"
            else:
                verdict = judge(mean, std, n, *p.band(kappa), kind="prediction")
            line = {"section": section, "case": case, "prediction": p.key, "text": p.text, "setting": setting,
                    "measured_mean": mean, "measured_std": std, "predicted": p.predicted(kappa),
                    "seeds": int(sub.seed.nunique()), "seeds_converged": int(done.seed.nunique()),
                    "steps": int(sub.steps.iloc[0]), "verdict": verdict}
            if section == "diversity":
                clusters, d = int(sub["process.clusters"].iloc[0]), int(sub["process.d"].iloc[0])
                line["premise_holds"] = clusters >= 2 * d   # C3 needs at least 2d diverse cluster vectors
            out.append(line)
    return pd.DataFrame(out)


def _readable(table: pd.DataFrame) -> pd.DataFrame:
    """The baseline as a matrix: a row per case, a column per prediction, 'measured (predicted) verdict'."""
    rows = []
    for case in [c for c in CASES if c in set(table.case)]:
        line = {"case": CASE_LABELS[case]}
        for p in PREDICTIONS:
            sub = table[(table.case == case) & (table.prediction == p.key)]
            if sub.empty:
                line[p.key] = ""
                continue
            r = sub.iloc[0]
            digits = 1 if p.target == "100" else (2 if p.target == "kappa" else 3)
            std = "" if math.isnan(r.measured_std) else f" ± {r.measured_std:.{digits}f}"
            line[p.key] = f"{r.measured_mean:.{digits}f}{std} ({r.predicted:g}) {r.verdict}"
        rows.append(line)
    return pd.DataFrame(rows)


def _legend() -> str:
    return "\n".join(f"- `{p.key}`: {p.text}; {'at least ' + str(100 - p.tolerance) + ' %' if p.target == '100' else ('at most ' + str(p.tolerance) if p.target == '0' else f'within {p.tolerance:.0%} of kappa')}"
                     for p in PREDICTIONS)


RULE = (f"Verdicts (identifiability.verdicts): on the seeds whose runs converged (the training loss fell by "
        f"less than {CONVERGED_LATE_SHARE:.0%} of its fall over the last {LATE_FRACTION:.0%} of the steps), "
        f"holds when their mean is within the tolerance, fails when the {LEVEL:.0%} t-interval of that mean lies "
        "wholly outside it, inconclusive otherwise; not converged when no seed's run converged (the theorems "
        "speak of the optimum).")


KAPPA_ESTIMATES = {"C1": ("beta", "beta"), "C2": ("kappa_hat_w", "beta · scale(W)"),
                   "C3": ("kappa_hat_z", "beta · scale(f∘g)")}


def figures(long: pd.DataFrame):
    """(recovered kappa against true kappa, C3's predictions against |C|), or None where a sweep is empty."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs = {}
    kap = long[(long.section == "kappa") & long.case.isin(list(KAPPA_ESTIMATES))]
    if not kap.empty:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for case, (metric, label) in KAPPA_ESTIMATES.items():
            for ax, m, lab in ((axes[0], metric, label), (axes[1], "kappa_hat_logits", "trace(beta A M^T)/d")):
                sub = kap[kap.case == case].groupby("process.kappa")[m].agg(["mean", "std"]).reset_index()
                if sub.empty:
                    continue
                ax.errorbar(sub["process.kappa"], sub["mean"], yerr=sub["std"].fillna(0), marker="o", capsize=3,
                            label=f"{case}: {lab}")
        from matplotlib.ticker import NullFormatter
        kappas = sorted(kap["process.kappa"].unique())
        for ax, title in zip(axes, ("each case's own prediction", "logits: beta A M^T = kappa I")):
            lim = [kappas[0] * 0.8, kappas[-1] * 1.25]
            ax.plot(lim, lim, color="grey", lw=1, ls="--", label="identity (recovered = true)")
            ax.set(xscale="log", yscale="log", xlabel="true kappa", ylabel="recovered kappa", title=title)
            ax.set_xticks(kappas, [f"{k:g}" for k in kappas])
            ax.set_yticks(kappas, [f"{k:g}" for k in kappas])
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_minor_formatter(NullFormatter())
            ax.legend(fontsize=7)
        fig.suptitle("kappa recovered from trained models (mean ± std over seeds)", fontsize=10)
        fig.tight_layout()
        figs["kappa"] = fig
    div = long[long.section.isin(["diversity"])]
    if not div.empty:
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
        d = int(div["process.d"].iloc[0])
        for ax, (metric, label, scale) in zip(axes, (("orthogonal_r2_z", "R² of z (no intercept, %)", 100),
                                                      ("map_distance", "distance of W's and f∘g's orthogonal maps", 1),
                                                      ("kappa_hat_z", "beta · scale(f∘g) / kappa", None))):
            sub = div.assign(v=div[metric] * (scale or 1) / (1 if scale else div["process.kappa"]))
            sub = sub.groupby("process.clusters")["v"].agg(["mean", "std"]).reset_index()
            ax.errorbar(sub["process.clusters"], sub["mean"], yerr=sub["std"].fillna(0), marker="o", capsize=3)
            ax.axvline(2 * d - 0.5, color="tab:red", ls=":", label=f"|C| = 2d = {2 * d}")
            ax.set(xscale="log", xlabel="number of clusters |C|", title=label)
            ax.legend(fontsize=7)
        fig.suptitle(f"C3 (W normalised, f free) against the diversity condition |C| >= 2d (d = {d})", fontsize=10)
        fig.tight_layout()
        figs["diversity"] = fig
    return figs


def render(layout_file, runs_root, tables_dir, figures_dir) -> pd.DataFrame:
    layout = read_json(layout_file, "theory layout", "Let snakemake rebuild it.")
    long = collect(layout, runs_root)
    table = verdicts(long)
    tables_dir, figures_dir = Path(tables_dir), Path(figures_dir)
    caption = (f"{layout['title']}. Measured mean ± std over {len(layout['seeds'])} seed(s) "
               "(predicted value) and verdict; tolerances below and in docs/theory.md.")
    base = table[table.section == "baseline"]
    write_table(base[COLUMNS], tables_dir / "theory", caption=caption)
    (tables_dir / "theory.md").write_text(f"{caption}\n\n" + _readable(base).to_markdown(index=False)
                                          + "\n\nPredictions and the tolerance of each verdict:\n\n" + _legend()
                                          + "\n\n" + RULE + "\n")
    for section in ("kappa", "diversity"):
        sub = table[table.section == section]
        extra = ["premise_holds"] if section == "diversity" else []
        write_table(sub[COLUMNS + extra] if not sub.empty else pd.DataFrame(columns=COLUMNS + extra),
                    tables_dir / f"theory_{section}", caption=f"{layout['title']}: {section} sweep")
    import matplotlib.pyplot as plt
    made = figures(long)
    for name in ("kappa", "diversity"):
        fig = made.get(name)
        if fig is None:   # the config has no such sweep: say so in the figure's place
            fig = plt.figure(figsize=(5, 1.5))
            fig.text(0.5, 0.5, f"no {name} sweep in this config (synthetic.theory)", ha="center", va="center")
        save_figure(fig, figures_dir / f"theory_{name}")
        plt.close(fig)
    return table
