"""Tables 2, 3, 5 in the paper's layout, with the paper's numbers beside ours, and a figure.

R² values are in percent, as printed in the paper. For a column whose W rows are normalised the
paper reports the orthogonal (no-intercept) R², otherwise the affine one; both are in the CSV.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from identifiability.io import read_json
from identifiability.synthetic import paper
from identifiability.synthetic.settings import ASSUMPTIONS_HOLD
from identifiability.tables import save_figure, write_table

METRICS_HINT = "Run the synthetic_fit stage for this run (or let snakemake rebuild it)."


def collect(layout: dict, runs_root: str | Path) -> pd.DataFrame:
    """One line per (row, column, seed) with every metric."""
    records = []
    for i, row in enumerate(layout["rows"]):
        for prefix, setting_id in row["runs"].items():
            for seed in layout["seeds"]:
                m = read_json(Path(runs_root) / setting_id / f"seed{seed}" / "metrics.json",
                              "run metrics", METRICS_HINT)
                records.append({"row": i, "label": row["label"], "column": prefix, "seed": seed, **m})
    return pd.DataFrame.from_records(records)


def summarise(layout: dict, long: pd.DataFrame, paper_file: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary: one line per row, mean / std over seeds of every metric, the paper's value and the
    verdict where the row's resolved settings are a paper cell; cells: one line per paper cell
    matched, as in docs/validation/paper_tables.csv)."""
    key = layout.get("paper")
    rows_of_paper = paper.paper_rows(paper_file, key)
    out, matched = [], []
    for i, row in enumerate(layout["rows"]):
        sub = long[long.row == i]
        first = sub.iloc[0]
        cond = first["process.conditional"]
        line = {"row": row["label"], "settings": json.dumps({**row["process"], **row["train"]}, sort_keys=True),
                "assumptions_hold": bool(ASSUMPTIONS_HOLD.get(cond, False)), "seeds": int(sub.seed.nunique()),
                "steps": int(first["steps"])}
        for col in layout["columns"]:
            prefix = col["prefix"]
            c = sub[sub.column == prefix]
            p = f"{prefix}_" if prefix else ""
            r2_kind = "orthogonal" if col["w_norm"] else "affine"
            values = {
                "r2_z": 100 * c[f"{r2_kind}_r2_z"], "r2_w": 100 * c[f"{r2_kind}_r2_w"],
                "mae_z": c["mae_z"], "mae_w": c["mae_w"],
                "affine_r2_z": 100 * c["affine_r2_z"], "orthogonal_r2_z": 100 * c["orthogonal_r2_z"],
                "beta": c["beta"], "beta_over_kappa": c["beta_over_kappa"], "w_collapse": c["w_collapse"],
            }
            stats = {}
            for name, v in values.items():
                v = v.astype(float)
                stats[name] = (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else float("nan"))
                line[f"{p}{name}_mean"], line[f"{p}{name}_std"] = stats[name]
            column, rows = paper.matching_rows(rows_of_paper, key, row["resolved"][prefix])
            first_match = rows[0] if rows else None   # the row printed first (the baseline before kappa = 10)
            for name in paper.METRICS:
                pv = paper.paper_value(first_match, name, column) if first_match else None
                line[f"{p}{name}_paper"] = pv[0] if pv else float("nan")
                line[f"{p}{name}_verdict"] = paper.verdict(name, *stats[name], len(c), *pv)[1] if pv else ""
            if rows:
                matched.append((rows, column, {**stats, "seeds": line["seeds"], "steps": line["steps"]}))
        out.append(line)
    cells = pd.DataFrame(paper.cells(key, matched) if matched else [], columns=paper.CELL_COLUMNS)
    return pd.DataFrame(out), cells


def _pm(mean: float, std: float, digits: int) -> str:
    if math.isnan(mean):
        return "--"
    return f"{mean:.{digits}f}" + ("" if math.isnan(std) else f" ± {std:.{digits}f}")


def readable(layout: dict, summary: pd.DataFrame) -> pd.DataFrame:
    """The table as a person reads it: 'ours ± std (paper)' per metric."""
    rows = []
    for _, s in summary.iterrows():
        line = {"setting": s["row"] + ("" if s["assumptions_hold"] else " †")}
        for col in layout["columns"]:
            prefix = col["prefix"]
            p = f"{prefix}_" if prefix else ""
            tag = f"({prefix}) " if prefix else ""
            for name, label, digits in (("r2_z", "R² z", 1), ("r2_w", "R² W→v", 1),
                                        ("mae_z", "MAE z", 3), ("mae_w", "MAE W", 3)):
                if name.startswith("mae") and not col["w_norm"]:
                    continue
                ref, verdict = s[f"{p}{name}_paper"], s[f"{p}{name}_verdict"]
                line[f"{tag}{label}"] = _pm(s[f"{p}{name}_mean"], s[f"{p}{name}_std"], digits) + \
                    ("" if math.isnan(ref) else f" ({ref:.{digits}f}, {verdict})")
            line[f"{tag}β"] = _pm(s[f"{p}beta_mean"], s[f"{p}beta_std"], 2)
        rows.append(line)
    return pd.DataFrame(rows)


def figure(layout: dict, summary: pd.DataFrame):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    prefixes = [c["prefix"] for c in layout["columns"]]
    fig, axes = plt.subplots(len(prefixes), 2, figsize=(max(6, 0.9 * len(summary)) + 2, 2.8 * len(prefixes)),
                             squeeze=False, sharex=True)
    x = np.arange(len(summary))
    for i, prefix in enumerate(prefixes):
        p = f"{prefix}_" if prefix else ""
        for j, (name, what) in enumerate((("r2_z", "R² of z from f(x) (%)"), ("r2_w", "R² of v_c from W rows (%)"))):
            ax = axes[i, j]
            ax.bar(x, summary[f"{p}{name}_mean"], yerr=summary[f"{p}{name}_std"].fillna(0),
                   color="tab:blue", alpha=0.8, capsize=3, label="ours (mean ± std over seeds)")
            ax.scatter(x, summary[f"{p}{name}_paper"], color="black", marker="_", s=300, zorder=3,
                       label="paper")
            ax.set_ylim(0, 102)
            ax.axhline(100, color="grey", lw=0.5)
            ax.set_title(f"{('(' + prefix + ') ') if prefix else ''}{what}", fontsize=9)
            ax.set_xticks(x, [r + ("" if ok else " †") for r, ok in zip(summary["row"], summary["assumptions_hold"])],
                          rotation=45, ha="right", fontsize=8)
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.suptitle(layout["title"], fontsize=10)
    fig.text(0.01, 0.0, "† conditional outside the theory's assumptions (not vMF)", fontsize=7)
    fig.tight_layout()
    return fig


def render(layout_file, runs_root, paper_file, tables_dir, figures_dir) -> pd.DataFrame:
    layout = read_json(layout_file, "table layout", "Let snakemake rebuild it.")
    long = collect(layout, runs_root)
    summary, cells = summarise(layout, long, paper_file)
    name = layout["table"]
    write_table(summary, Path(tables_dir) / name, caption=layout["title"])
    write_table(cells, Path(tables_dir) / f"{name}_vs_paper", caption=f"{layout['title']}: each paper cell, ours beside it")
    steps = ", ".join(str(s) for s in sorted(summary.steps.unique()))
    caption = (f"{layout['title']}. Mean ± std over {len(layout['seeds'])} seed(s), {steps} training steps; R² in "
               "percent; in parentheses the paper's value and the verdict (identifiability/verdicts.py: match = "
               "our mean within max(1 point, 2 paper std) of the paper's; short / better = our 95 % t-interval "
               "wholly below / above that band; inconclusive otherwise; MAE not comparable, docs/metrics.md), "
               "only where the run's settings are the paper's for that cell. † = conditional violates the "
               "theory's assumptions.")
    write_table(readable(layout, summary), Path(tables_dir) / f"{name}_readable", caption=caption)
    # the .md of the main table is the readable one (the CSV keeps full precision)
    (Path(tables_dir) / f"{name}.md").write_text((Path(tables_dir) / f"{name}_readable.md").read_text())
    import matplotlib.pyplot as plt
    fig = figure(layout, summary)
    save_figure(fig, Path(figures_dir) / name)
    plt.close(fig)
    return summary
