"""Appendix D figures: a grid over one or two settings, per training variant, as a table of means
and standard deviations over seeds, heat maps or line plots, and the paper's stated findings
checked against the numbers.

R² values are in percent. ``r2_z`` / ``r2_w`` are the paper's R² (orthogonal when the rows of W
are normalised, else affine), as in the tables; any other metric is a key of ``metrics.json``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from identifiability.io import atomic_path, read_json
from identifiability.synthetic.report import collect
from identifiability.tables import save_figure, write_table
from identifiability.verdicts import LEVEL, judge, judge_difference, summary_verdict

RULE = (f"A cell holds when its mean over seeds meets the requirement, fails when the {LEVEL:.0%} t-interval "
        "of that mean (of the difference, for a drop) lies wholly on the wrong side, and is inconclusive "
        "otherwise; a finding holds when all its cells do and does not when any fails "
        "(identifiability.verdicts).")

METRIC_LABELS = {"r2_z": "R² of z from f(x) (%)", "r2_w": "R² of v_c from W rows (%)",
                 "mean_feature_norm": "mean ‖f(x)‖", "beta": "learned β", "w_collapse": "W-row collapse"}


def metric_column(metric: str, w_norm: bool) -> tuple[str, float]:
    """The metrics.json key behind a plotted metric, and its scale (100 for R² in percent)."""
    if metric in ("r2_z", "r2_w"):
        return f"{'orthogonal' if w_norm else 'affine'}_{metric}", 100.0
    return metric, 100.0 if "r2" in metric else 1.0


def summarise(layout: dict, long: pd.DataFrame) -> pd.DataFrame:
    """One line per (cell, variant): the axis values, then mean and std over seeds per metric."""
    metrics = list(dict.fromkeys(layout["metrics"] + layout["lines"]))
    out = []
    for i, row in enumerate(layout["rows"]):
        for col in layout["columns"]:
            sub = long[(long.row == i) & (long.column == col["prefix"])]
            line = {**row["cell"], "variant": col["variant"], "seeds": int(sub.seed.nunique())}
            for m in metrics:
                key, scale = metric_column(m, col["w_norm"])
                if key not in sub:
                    raise ValueError(f"sweep {layout['sweep']}: metric {m!r} is not in the runs' "
                                     f"metrics.json (known: r2_z, r2_w, {', '.join(sorted(c for c in long.columns if not c.startswith(('process.', 'train.'))))})")
                v = scale * sub[key].astype(float)
                line[f"{m}_mean"] = float(v.mean())
                line[f"{m}_std"] = float(v.std(ddof=1)) if len(v) > 1 else float("nan")
            out.append(line)
    return pd.DataFrame(out)


def _matches(line: pd.Series, where: dict) -> bool:
    return all(any(_same(line[k], v) for v in values) for k, values in where.items())


def _same(a, b) -> bool:
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return math.isclose(float(a), float(b))
    return a == b


def check_claims(layout: dict, summary: pd.DataFrame) -> pd.DataFrame:
    """Each claim, each cell it covers: measured value, what it must satisfy, whether it does."""
    axes = [a["key"] for a in layout["axes"]]
    records = []
    for claim in layout["claims"]:
        m = claim["metric"]
        variants = claim.get("variants") or [c["variant"] for c in layout["columns"]]
        cells = summary[summary.variant.isin(variants)]
        cells = cells[cells.apply(lambda r: _matches(r, claim.get("where", {})), axis=1)]
        if cells.empty:
            records.append({"claim": claim["text"], "variant": ", ".join(variants), "cell": "--",
                            "measured": float("nan"), "requirement": "no cell of the sweep matches",
                            "verdict": "missing"})
            continue
        for _, line in cells.iterrows():
            value = (line[f"{m}_mean"], line[f"{m}_std"], int(line["seeds"]))
            cell = ", ".join(f"{k.split('.', 1)[1]}={line[k]:g}" if isinstance(line[k], (int, float, np.number))
                             else f"{k.split('.', 1)[1]}={line[k]}" for k in axes)
            tests, req = [], []
            if "min" in claim or "max" in claim:
                low, high = claim.get("min", -math.inf), claim.get("max", math.inf)
                tests.append(judge(*value, low, high, kind="prediction"))
                req += ([f"{m} >= {claim['min']:g}"] if "min" in claim else []) + \
                       ([f"{m} <= {claim['max']:g}"] if "max" in claim else [])
            if "min_drop" in claim:
                ref_cell = {k: [line[k]] for k in axes}
                ref_cell.update({k: [v] for k, v in claim["reference"].items()})
                ref = summary[(summary.variant == line["variant"])
                              & summary.apply(lambda r: _matches(r, ref_cell), axis=1)]
                if ref.empty:
                    tests.append("missing")
                    req.append("reference cell not in the sweep")
                else:
                    r = ref.iloc[0]
                    reference = (float(r[f"{m}_mean"]), float(r[f"{m}_std"]), int(r["seeds"]))
                    tests.append(judge_difference(reference, value, claim["min_drop"], math.inf))
                    where = ", ".join(f"{k.split('.', 1)[1]}={v}" for k, v in claim["reference"].items())
                    req.append(f"{m} at least {claim['min_drop']:g} below {where} ({reference[0]:.1f})")
            records.append({"claim": claim["text"], "variant": line["variant"], "cell": cell,
                            "measured": float(value[0]), "requirement": "; ".join(req),
                            "verdict": summary_verdict(tests)})
    return pd.DataFrame(records, columns=["claim", "variant", "cell", "measured", "requirement", "verdict"])


def _fmt_value(v) -> str:
    return f"{v:g}" if isinstance(v, (int, float, np.number)) else str(v)


def figure(layout: dict, summary: pd.DataFrame):
    """Heat maps (two axes; one row per variant) or line plots with error bars (one axis; one
    line per variant); metrics in ``lines`` as lines over the first axis for every value of the
    second."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes = layout["axes"]
    variants = [c["variant"] for c in layout["columns"]]
    heat = layout["metrics"] if len(axes) == 2 else []
    lines = layout["lines"] if len(axes) == 2 else list(dict.fromkeys(layout["metrics"] + layout["lines"]))
    n_rows = max(len(variants) if heat else 1, 1)
    n_cols = len(heat) + len(lines)
    fig, grid = plt.subplots(n_rows, n_cols, figsize=(3.6 * n_cols, 3.0 * n_rows), squeeze=False)
    x_key = axes[0]["key"]
    x_vals = axes[0]["values"]
    for j, m in enumerate(heat):
        y_key, y_vals = axes[1]["key"], axes[1]["values"]
        for i, v in enumerate(variants):
            ax = grid[i, j]
            mean = np.full((len(y_vals), len(x_vals)), np.nan)
            std = np.full_like(mean, np.nan)
            sub = summary[summary.variant == v]
            for _, line in sub.iterrows():
                a = next(k for k, xv in enumerate(x_vals) if _same(line[x_key], xv))
                b = next(k for k, yv in enumerate(y_vals) if _same(line[y_key], yv))
                mean[b, a], std[b, a] = line[f"{m}_mean"], line[f"{m}_std"]
            r2 = "r2" in m
            im = ax.imshow(mean, origin="lower", aspect="auto", cmap="viridis",
                           vmin=0 if r2 else None, vmax=100 if r2 else None)
            for b in range(len(y_vals)):
                for a in range(len(x_vals)):
                    if not np.isnan(mean[b, a]):
                        text = f"{mean[b, a]:.1f}" if r2 else f"{mean[b, a]:.2f}"
                        if not np.isnan(std[b, a]):
                            text += f"\n±{std[b, a]:.1f}" if r2 else f"\n±{std[b, a]:.2f}"
                        ax.text(a, b, text, ha="center", va="center", fontsize=7,
                                color="white" if (r2 and mean[b, a] < 60) else "black")
            ax.set_xticks(range(len(x_vals)), [_fmt_value(x) for x in x_vals], fontsize=8)
            ax.set_yticks(range(len(y_vals)), [_fmt_value(y) for y in y_vals], fontsize=8)
            ax.set_xlabel(x_key.split(".", 1)[1], fontsize=8)
            ax.set_ylabel(y_key.split(".", 1)[1], fontsize=8)
            ax.set_title(f"{v}: {METRIC_LABELS.get(m, m)}", fontsize=8)
            fig.colorbar(im, ax=ax, fraction=0.046)
    for j, m in enumerate(lines, start=len(heat)):
        ax = grid[0, j]
        numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in x_vals)
        pos = np.asarray(x_vals, dtype=float) if numeric else np.arange(len(x_vals))
        groups = [(v, None) for v in variants] if len(axes) == 1 else \
                 [(v, y) for v in variants for y in axes[1]["values"]]
        for v, y in groups:
            sub = summary[summary.variant == v]
            if y is not None:
                sub = sub[sub[axes[1]["key"]].apply(lambda s: _same(s, y))]
            order = [next(k for k, xv in enumerate(x_vals) if _same(s, xv)) for s in sub[x_key]]
            sub = sub.assign(_o=order).sort_values("_o")
            label = v if y is None else f"{v}, {axes[1]['key'].split('.', 1)[1]}={_fmt_value(y)}"
            ax.errorbar(pos[sub["_o"].to_numpy()], sub[f"{m}_mean"], yerr=sub[f"{m}_std"].fillna(0),
                        marker="o", capsize=3, label=label)
        if not numeric:
            ax.set_xticks(pos, [_fmt_value(x) for x in x_vals])
        if "r2" in m:
            ax.set_ylim(min(0, ax.get_ylim()[0]), 102)
        ax.set_xlabel(x_key.split(".", 1)[1], fontsize=8)
        ax.set_title(METRIC_LABELS.get(m, m), fontsize=8)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        for i in range(1, n_rows):
            grid[i, j].axis("off")
    fig.suptitle(f"{layout['title']} (mean ± std over {len(layout['seeds'])} seed(s))", fontsize=10)
    fig.tight_layout()
    return fig


def readable(layout: dict, summary: pd.DataFrame) -> pd.DataFrame:
    """'mean ± std' per metric, one line per (cell, variant)."""
    axes = [a["key"] for a in layout["axes"]]
    rows = []
    for _, s in summary.iterrows():
        line = {k.split(".", 1)[1]: _fmt_value(s[k]) for k in axes}
        line["variant"] = s["variant"]
        for m in dict.fromkeys(layout["metrics"] + layout["lines"]):
            mean, std = s[f"{m}_mean"], s[f"{m}_std"]
            digits = 1 if "r2" in m else 3
            line[METRIC_LABELS.get(m, m)] = "--" if math.isnan(mean) else \
                f"{mean:.{digits}f}" + ("" if math.isnan(std) else f" ± {std:.{digits}f}")
        rows.append(line)
    return pd.DataFrame(rows)


def claims_markdown(claims: pd.DataFrame) -> str:
    if claims.empty:
        return "No stated finding of the paper is checked for this sweep.\n"
    lines = []
    for text, group in claims.groupby("claim", sort=False):
        verdict = {"holds": "HOLDS", "fails": "DOES NOT HOLD"}.get(summary_verdict(group.verdict), "INCONCLUSIVE")
        lines.append(f"- **{text}**: {verdict} here")
        for _, c in group.iterrows():
            lines.append(f"  - {c['variant']}, {c['cell']}: {c['measured']:.1f} ({c['requirement']}: {c['verdict']})")
    lines.append(f"\n{RULE}")
    return "\n".join(lines) + "\n"


def render(layout_file, runs_root, sweeps_dir, figures_dir) -> tuple[pd.DataFrame, pd.DataFrame]:
    layout = read_json(layout_file, "sweep layout", "Let snakemake rebuild it.")
    long = collect(layout, runs_root)
    summary = summarise(layout, long)
    claims = check_claims(layout, summary)
    name = layout["sweep"]
    sweeps_dir = Path(sweeps_dir)
    write_table(summary, sweeps_dir / name, caption=layout["title"])
    write_table(claims, sweeps_dir / f"{name}_claims", caption=f"{layout['title']}: stated findings")
    caption = (f"{layout['title']}. Mean ± std over {len(layout['seeds'])} seed(s); R² in percent. "
               f"Figure: figures/{name}.png")
    text = (f"{caption}\n\n" + readable(layout, summary).to_markdown(index=False) +
            "\n\n## The paper's stated findings, checked\n\n" + claims_markdown(claims))
    with atomic_path(sweeps_dir / f"{name}.md") as tmp:
        tmp.write_text(text)
    import matplotlib.pyplot as plt
    fig = figure(layout, summary)
    save_figure(fig, Path(figures_dir) / name)
    plt.close(fig)
    return summary, claims
