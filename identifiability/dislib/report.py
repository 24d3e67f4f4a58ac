"""Table 4: our decoding (mean ± std over seeds) beside the paper's numbers, and a figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from identifiability.dislib.datasets import get_spec
from identifiability.dislib.decode import CATEGORY
from identifiability.verdicts import paper_verdict

MODEL_LABELS = {"input": "Input", "mlp": "MLP", "resnet18": "ResNet18"}
PAPER_COLUMNS = ("input", "mlp", "resnet18")   # order of the paper's [[mean, std] x 3]


def load_paper(path: str | Path) -> dict:
    data = yaml.safe_load(Path(path).read_text())
    if "table4_dislib" not in data:
        raise ValueError(f"{path} has no table4_dislib section")
    return data["table4_dislib"]


def runs_frame(records: list[dict]) -> pd.DataFrame:
    """One row per (run, factor): dataset, data_tag, model, seed, factor, r."""
    rows = []
    for rec in records:
        for factor, r in rec["decoding"].items():
            rows.append({"dataset": rec["dataset"], "data_tag": rec["data_tag"], "model": rec["model"],
                         "seed": rec["seed"], "factor": factor, "r": r,
                         "val_acc": rec.get("val_acc", np.nan)})
    if not rows:
        raise ValueError("no decoding results given")
    return pd.DataFrame(rows)


def _factor_rank(dataset: str, factor: str) -> int:
    order = [CATEGORY] + list(get_spec(dataset).decoded)
    return order.index(factor) if factor in order else len(order)


def summary_frame(runs: pd.DataFrame, paper: dict) -> pd.DataFrame:
    """Long format: dataset, factor, model, mean, std (ddof 1), n_seeds, paper_mean, paper_std, verdict."""
    runs = runs.assign(_rank=[_factor_rank(d, f) for d, f in zip(runs["dataset"], runs["factor"])],
                       _model=[PAPER_COLUMNS.index(m) for m in runs["model"]])
    runs = runs.sort_values(["data_tag", "_rank", "_model", "seed"], kind="stable")
    g = runs.groupby(["data_tag", "dataset", "factor", "model"], sort=False)["r"]
    out = g.agg(mean="mean", std=lambda s: s.std(ddof=1), n_seeds="count").reset_index()
    pm, ps = [], []
    for _, row in out.iterrows():
        spec = get_spec(row["dataset"])
        ref = paper.get(spec.paper_key, {}).get(row["factor"])
        if ref is None or row["model"] not in PAPER_COLUMNS:
            pm.append(np.nan), ps.append(np.nan)
        else:
            m, s = ref[PAPER_COLUMNS.index(row["model"])]
            pm.append(m), ps.append(s)
    out["paper_mean"], out["paper_std"] = pm, ps
    # ours against the paper's (identifiability.verdicts, on the correlation's scale: band ± max(0.01, 2 std))
    out["verdict"] = [paper_verdict(r["mean"], r["std"], int(r["n_seeds"]), r["paper_mean"], r["paper_std"], "correlation")
                      if not np.isnan(r["paper_mean"]) else "" for _, r in out.iterrows()]
    return out


def display_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Wide, readable: one row per (data set, factor); ours 'mean ± std' and the paper's beside."""
    rows = []
    for (tag, dataset, factor), grp in summary.groupby(["data_tag", "dataset", "factor"], sort=False):
        spec = get_spec(dataset)
        row = {"data set": spec.label + (" †" if spec.stand_in else ""), "factor": factor}
        for model in PAPER_COLUMNS:
            hit = grp[grp["model"] == model]
            label = MODEL_LABELS[model]
            if len(hit):
                h = hit.iloc[0]
                row[label] = f"{h['mean']:.2f} ± {h['std']:.2f}"
                row[f"paper {label}"] = ("--" if np.isnan(h["paper_mean"])
                                         else f"{h['paper_mean']:.2f} ± {h['paper_std']:.2f} ({h['verdict']})")
            else:
                row[label] = row[f"paper {label}"] = "--"
        row["seeds"] = int(grp["n_seeds"].max())
        rows.append(row)
    cols = ["data set", "factor"] + [MODEL_LABELS[m] for m in PAPER_COLUMNS] + \
           [f"paper {MODEL_LABELS[m]}" for m in PAPER_COLUMNS] + ["seeds"]
    return pd.DataFrame(rows)[cols]


def caption(summary: pd.DataFrame) -> str:
    text = ("Table 4 (reproduction): Pearson r of a linear read-out (least squares, no intercept, "
            "fitted on the train split) on the validation split, mean ± std over seeds; "
            "'category' decodes the class index. Paper values beside, with the verdict of ours against "
            "them (identifiability.verdicts: match when our mean is within max(0.01, 2 std) of the paper's, "
            "short / better when our 95 % t-interval lies wholly below / above that band, else inconclusive).")
    if any(get_spec(d).stand_in for d in summary["dataset"].unique()):
        text += (" † procedural dSprites stand-in rendered offline (not the public file, and a "
                 "subsample at a small training budget): its paper column is the real dSprites' "
                 "value, for orientation only.")
    return text


def figure(summary: pd.DataFrame):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    tags = list(dict.fromkeys(summary["data_tag"]))
    fig, axes = plt.subplots(1, len(tags), figsize=(4.2 * len(tags), 3.4), squeeze=False)
    colors = {"input": "#999999", "mlp": "#1f77b4", "resnet18": "#d62728"}
    for ax, tag in zip(axes[0], tags):
        sub = summary[summary["data_tag"] == tag]
        factors = list(dict.fromkeys(sub["factor"]))
        models = [m for m in PAPER_COLUMNS if m in set(sub["model"])]
        width = 0.8 / max(len(models), 1)
        for i, model in enumerate(models):
            part = sub[sub["model"] == model].set_index("factor").reindex(factors)
            x = np.arange(len(factors)) + (i - (len(models) - 1) / 2) * width
            ax.bar(x, part["mean"], width, yerr=part["std"], color=colors[model],
                   label=f"{MODEL_LABELS[model]} (ours)", capsize=2)
            ax.scatter(x, part["paper_mean"], marker="_", s=200, color="black", zorder=3,
                       label="paper" if i == 0 else None)
        spec = get_spec(sub["dataset"].iloc[0])
        ax.set_title(spec.label + (" (stand-in)" if spec.stand_in else ""), fontsize=10)
        ax.set_xticks(np.arange(len(factors)), factors)
        ax.set_ylim(min(0.0, float(np.nanmin(sub["mean"])) - 0.05), 1.05)
        ax.axhline(0, color="black", lw=0.5)
        ax.set_ylabel("Pearson r (validation)")
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig
