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
import yaml

from identifiability.io import read_json
from identifiability.synthetic.settings import ASSUMPTIONS_HOLD
from identifiability.tables import save_figure, write_table

METRICS_HINT = "Run the synthetic_fit stage for this run (or let snakemake rebuild it)."


def _paper_rows(paper_file: str | Path, key: str | None) -> list[dict]:
    if not key:
        return []
    data = yaml.safe_load(Path(paper_file).read_text())
    if key not in data:
        raise ValueError(f"paper table {key!r} not in {paper_file}; known: {sorted(data)}")
    return data[key]


def _match_paper(rows: list[dict], process_overrides: dict) -> dict | None:
    """The paper row whose setting equals this row's overrides (e.g. {'N': 100000})."""
    for r in rows:
        if r["setting"] == process_overrides:
            return r
    if not process_overrides:
        for r in rows:   # Table 5's baseline is written {cluster_marginal: uniform}
            if r["setting"] in ({"cluster_marginal": "uniform"},):
                return r
    return None


def collect(layout: dict, runs_root: str | Path) -> pd.DataFrame:
    """One line per (row, column, seed) with every metric."""
    records = []
    for i, row in enumerate(layout["rows"]):
        for prefix, run_id in row["runs"].items():
            for seed in layout["seeds"]:
                m = read_json(Path(runs_root) / run_id / f"seed{seed}" / "metrics.json",
                              "run metrics", METRICS_HINT)
                records.append({"row": i, "label": row["label"], "column": prefix, "seed": seed, **m})
    return pd.DataFrame.from_records(records)


def summarise(layout: dict, long: pd.DataFrame, paper_file: str | Path) -> pd.DataFrame:
    paper_rows = _paper_rows(paper_file, layout.get("paper"))
    out = []
    for i, row in enumerate(layout["rows"]):
        sub = long[long.row == i]
        first = sub.iloc[0]
        cond = first["process.conditional"]
        line = {"row": row["label"], "settings": json.dumps({**row["process"], **row["train"]}, sort_keys=True),
                "assumptions_hold": bool(ASSUMPTIONS_HOLD.get(cond, False)), "seeds": int(sub.seed.nunique())}
        paper = _match_paper(paper_rows, row["process"]) if not row["train"] else None
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
            for name, v in values.items():
                line[f"{p}{name}_mean"] = float(np.mean(v))
                line[f"{p}{name}_std"] = float(np.std(v, ddof=1)) if len(v) > 1 else float("nan")
            for name in ("r2_z", "r2_w", "mae_z", "mae_w"):
                key = f"r2_{prefix}_{name[3:]}" if name.startswith("r2") and prefix else \
                      f"mae_{prefix}_{name[4:]}" if prefix else name
                pv = paper.get(key) if paper else None
                line[f"{p}{name}_paper"] = float(pv[0]) if pv else float("nan")
        out.append(line)
    return pd.DataFrame(out)


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
                paper = s[f"{p}{name}_paper"]
                line[f"{tag}{label}"] = _pm(s[f"{p}{name}_mean"], s[f"{p}{name}_std"], digits) + \
                    ("" if math.isnan(paper) else f" ({paper:.{digits}f})")
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
    summary = summarise(layout, long, paper_file)
    name = layout["table"]
    write_table(summary, Path(tables_dir) / name, caption=layout["title"])
    caption = (f"{layout['title']}. Mean ± std over {len(layout['seeds'])} seed(s); R² in percent; "
               "the paper's value in parentheses. † = conditional violates the theory's assumptions.")
    write_table(readable(layout, summary), Path(tables_dir) / f"{name}_readable", caption=caption)
    # the .md of the main table is the readable one (the CSV keeps full precision)
    (Path(tables_dir) / f"{name}.md").write_text((Path(tables_dir) / f"{name}_readable.md").read_text())
    import matplotlib.pyplot as plt
    fig = figure(layout, summary)
    save_figure(fig, Path(figures_dir) / name)
    plt.close(fig)
    return summary
