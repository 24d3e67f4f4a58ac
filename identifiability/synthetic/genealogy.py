"""The paper's family of methods on one process (paper Sec. 3.4, Table 1, Appx B; docs/genealogy.md).

GCL -> TCL -> DIET <- InfoNCE, DIET -> supervised: each trained with the same encoder, budget and
metrics on the cluster-centric process, and InfoNCE also on its own process (latents uniform on
the sphere, positives vMF around them), where the methods trained on labels do not apply.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from identifiability.io import read_json
from identifiability.synthetic.report import METRICS_HINT
from identifiability.tables import save_figure, write_table

COLUMNS = ["process", "method", "seeds", "steps", "affine_r2_z_mean", "affine_r2_z_std", "orthogonal_r2_z_mean",
           "mae_z_mean", "r2_w_mean", "wall_s"]

# What each method's own theory says of f∘g on each kind of process (docs/genealogy.md)
THEORY = {
    ("cluster_centric", "diet"): "f∘g affine, W rows affine in v_c (Theorem 1, C4)",
    ("cluster_centric", "supervised"): "f∘g linear (Theorem 2)",
    ("cluster_centric", "tcl"): "f∘g affine: vMF is an exponential family with sufficient statistic z",
    ("cluster_centric", "gcl"): "no guarantee with this score: r(x, u) cannot express -log p(x)",
    ("cluster_centric", "infonce"): "none stated: positives are conditionally independent given the class",
    ("infonce", "infonce"): "f∘g orthogonal (Zimmermann et al. 2021), beta -> kappa",
}


def summarise(layout: dict, runs_root: str | Path) -> pd.DataFrame:
    out = []
    for row in layout["rows"]:
        (method, setting_id), = row["runs"].items()
        ms = [read_json(Path(runs_root) / setting_id / f"seed{s}" / "metrics.json", "run metrics", METRICS_HINT)
              for s in layout["seeds"]]
        df = pd.DataFrame(ms)
        w_norm = bool(row["resolved"][method]["train"]["w_norm"])
        r2_w = 100 * df[f"{'orthogonal' if w_norm else 'affine'}_r2_w"].astype(float).mean()
        wall = (df["train_wall_s"].astype(float) / df["stacked_runs"].astype(float)).sum()
        out.append({"process": row["cell"]["process"], "method": method, "seeds": len(ms), "steps": int(df.steps.iloc[0]),
                    "affine_r2_z_mean": 100 * df.affine_r2_z.mean(),
                    "affine_r2_z_std": 100 * df.affine_r2_z.std(ddof=1) if len(ms) > 1 else float("nan"),
                    "orthogonal_r2_z_mean": 100 * df.orthogonal_r2_z.mean(), "mae_z_mean": df.mae_z.mean(),
                    "r2_w_mean": None if math.isnan(r2_w) else float(r2_w), "wall_s": float(wall),
                    "beta_mean": df.beta.mean(), "kappa": float(df["process.kappa"].iloc[0])})
    return pd.DataFrame(out)


def readable(summary: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, s in summary.iterrows():
        std = "" if math.isnan(s.affine_r2_z_std) else f" ± {s.affine_r2_z_std:.1f}"
        rows.append({"process": s.process, "method": s.method, "affine R² z (%)": f"{s.affine_r2_z_mean:.1f}{std}",
                     "R² z no intercept (%)": f"{s.orthogonal_r2_z_mean:.1f}", "MAE z": f"{s.mae_z_mean:.3f}",
                     "R² W→v (%)": "--" if s.r2_w_mean is None or pd.isna(s.r2_w_mean) else f"{s.r2_w_mean:.1f}",
                     "β": f"{s.beta_mean:.2f}", "training s (all seeds)": f"{s.wall_s:.0f}",
                     "its theory predicts": THEORY.get((s.process, s.method), "")})
    return pd.DataFrame(rows)


def figure(layout: dict, summary: pd.DataFrame):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(summary)), 3.8))
    x = np.arange(len(summary))
    ax.bar(x - 0.2, summary.affine_r2_z_mean, 0.4, yerr=summary.affine_r2_z_std.fillna(0), capsize=3,
           label="R² of z from f(x), affine (%)")
    ax.bar(x + 0.2, summary.r2_w_mean.astype(float).fillna(0), 0.4, color="tab:orange", label="R² of v_c from W rows (%)")
    for i, v in enumerate(summary.r2_w_mean):
        if v is None or pd.isna(v):
            ax.text(i + 0.2, 2, "no W", ha="center", fontsize=7, rotation=90)
    ax.set_xticks(x, [f"{p}\n{m}" for p, m in zip(summary.process, summary.method)], fontsize=8)
    ax.set_ylim(0, 102)
    ax.axhline(100, color="grey", lw=0.5)
    ax.set_title(f"{layout['title']} (mean ± std over {len(layout['seeds'])} seeds)", fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def render(layout_file, runs_root, tables_dir, figures_dir) -> pd.DataFrame:
    layout = read_json(layout_file, "genealogy layout", "Let snakemake rebuild it.")
    summary = summarise(layout, runs_root)
    caption = (f"{layout['title']}. Mean over {len(layout['seeds'])} seed(s); R² in percent; wall_s: the training "
               "time of the method's runs (their share of stacked jobs), all seeds together.")
    write_table(summary[COLUMNS], Path(tables_dir) / "genealogy", caption=caption)
    (Path(tables_dir) / "genealogy.md").write_text(f"{caption}\n\n" + readable(summary).to_markdown(index=False) + "\n")
    import matplotlib.pyplot as plt
    fig = figure(layout, summary)
    save_figure(fig, Path(figures_dir) / "genealogy")
    plt.close(fig)
    return summary
