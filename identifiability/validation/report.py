"""docs/validation/paper_tables.csv, its figure and docs/validation.md from the committed parts.

Called by ``scripts/validation_report.py`` (``snakemake -f validation_report``) with the parts of
configs/validation.yaml (``identifiability.validation.parts``). Reads only files under
docs/validation/ (each part's layouts and per-run metrics), so it runs on a fresh clone without
results/. The verdicts come from the same code as the workflow's tables
(identifiability/synthetic/report.py and paper.py).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pandas as pd

from identifiability.synthetic import paper
from identifiability.synthetic.report import summarise
from identifiability.tables import save_figure
from identifiability.validation.dislib import CELLS_FILE, dislib_section
from identifiability.verdicts import LEVEL, MIN_HALF_WIDTH

REPO = Path(__file__).resolve().parents[2]
PAPER_FILE = REPO / "reference" / "paper_results.yaml"
TABLE_KEYS = {spec["name"]: key for key, spec in paper.PAPER_TABLES.items()}   # table2 -> table2_diet
METRIC_ORDER = {"table2_diet": ["r2_o_z", "r2_o_w", "mae_o_z", "mae_o_w", "r2_a_z", "r2_a_w"],
                "table3_supervised": ["r2_z"]}
METRIC_ORDER["table5_cluster_marginal"] = METRIC_ORDER["table2_diet"]
PAPER_SEEDS = 5   # the paper's tables are over 5 seeds; a cell over fewer says how many


def _resolved(layout: dict, long: pd.DataFrame) -> dict:
    """The layout with each cell's resolved settings, read back from its runs' metrics files
    (every metrics.json records the full process and training settings)."""
    for i, row in enumerate(layout["rows"]):
        row.setdefault("resolved", {})
        for prefix in row["runs"]:
            line = long[(long.row == i) & (long.column.fillna("") == prefix)].iloc[0]
            row["resolved"][prefix] = {
                group: {k.split(".", 1)[1]: _plain(v) for k, v in line.items()
                        if k.startswith(group + ".") and not (isinstance(v, float) and math.isnan(v))}
                for group in ("process", "train")}
    return layout


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def _row_labels(layout: dict, table_key: str) -> dict:
    """{(paper setting as JSON, column prefix): (the layout row's label, the cell's setting id)} for the
    rows matching a paper cell."""
    rows_of_paper = paper.paper_rows(PAPER_FILE, table_key)
    labels = {}
    for row in layout["rows"]:
        for prefix in row["runs"]:
            column, matches = paper.matching_rows(rows_of_paper, table_key, row["resolved"][prefix])
            for match in matches:
                labels[(json.dumps(match["setting"], sort_keys=True), column)] = (row["label"], row["runs"][prefix])
    return labels


def _column_of(metric: str) -> str:
    """The column prefix a cell's metric belongs to: r2_o_z -> o, r2_z (Table 3) -> ''."""
    parts = metric.split("_")
    return parts[1] if len(parts) == 3 else ""


def collect_parts(evidence: Path, parts_spec: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """Every paper cell matched by a finished part, the same for the investigation parts (another
    budget, fewer seeds), and the parts' records (wall time, jobs). Each cell carries its part, the
    label of its row in that part's training curves and its setting id; an investigation cell also
    carries ``base_mean``: the same cell from the part at the paper config's budget, over the same
    seeds. A part that ``supersedes`` another in ``parts_spec`` (the same rows rerun at
    configs/paper.yaml's new budget) replaces that part's cells it covers, which are kept as
    attempts beside the investigation cells."""
    parts_spec = parts_spec or {}
    cells, probes, parts, tables = [], [], [], {}
    loaded = {}   # part -> (its record, {table: (layout, runs)})
    for part_dir in sorted((evidence / "parts").iterdir()):
        info_file = part_dir / "part.json"
        if not info_file.exists():
            continue
        if (part_dir / CELLS_FILE).exists():   # a DisLib part: its own section (dislib_section)
            continue
        info = json.loads(info_file.read_text())
        runs = {}
        for layout_file in sorted(part_dir.glob("*.layout.json")):
            name = layout_file.name.split(".")[0]
            layout = json.loads(layout_file.read_text())
            if "sweep" in layout:   # a sweep part's findings: sweep_findings
                continue
            runs[name] = (layout, _part_csv(evidence, [part_dir.name], f"{name}.runs.csv"))
        loaded[info["part"]] = (info, runs)
        parts.append(info)
    for part, base in ((p, parts_spec[p].get("extends")) for p in list(loaded) if p in parts_spec):
        if base is None:
            continue
        if base not in loaded:
            raise ValueError(f"part {part} extends {base}, which has no evidence under {evidence / 'parts'}")
        base_runs = loaded[base][1]
        for name, (layout, long) in loaded.pop(part)[1].items():
            base_layout, base_long = base_runs[name]
            if [r["runs"] for r in layout["rows"]] != [r["runs"] for r in base_layout["rows"]]:
                raise ValueError(f"part {part} extends {base} but its {name} runs other settings")
            base_runs[name] = (base_layout, pd.concat([base_long, long], ignore_index=True))
    for info, runs in loaded.values():
        for name, (layout, long) in runs.items():
            layout = _resolved(layout, long)
            _, table_cells = summarise(layout, long, PAPER_FILE)
            table_cells["part"] = info["part"]
            labels = _row_labels(layout, TABLE_KEYS[name])
            found_labels = [labels.get((c.setting, _column_of(c.metric)), ("", "")) for c in table_cells.itertuples()]
            table_cells["row"] = [label for label, _ in found_labels]
            table_cells["run"] = [run for _, run in found_labels]
            if info.get("investigation"):
                table_cells["base_mean"] = float("nan")
                probes.append((name, info["seeds"], table_cells))
            else:
                cells.append(table_cells)
                tables.setdefault(name, []).append((layout, long))
    for name, seeds, table_cells in probes:
        for layout, long in tables.get(name, []):
            _, base = summarise(layout, long[long.seed.isin(seeds)], PAPER_FILE)
            base = base.set_index(["setting", "metric"]).ours_mean
            for i, c in table_cells.iterrows():
                if (c.setting, c.metric) in base.index:
                    table_cells.loc[i, "base_mean"] = base[(c.setting, c.metric)]
    empty = pd.DataFrame(columns=paper.CELL_COLUMNS + ["part", "row", "run"])
    found = pd.concat(cells, ignore_index=True) if cells else empty
    probed = pd.concat([t for _, _, t in probes], ignore_index=True) if probes else empty
    done = {p["part"] for p in parts}
    for part, spec in parts_spec.items():
        old = spec.get("supersedes")
        if part not in done or old is None:
            continue
        old = [old] if isinstance(old, str) else old
        newer = set(zip(*(found[found.part == part][k] for k in ("table", "setting", "metric"))))
        replaced = found.part.isin(old) & pd.Series(list(zip(found.table, found.setting, found.metric))).isin(newer)
        earlier = found[replaced].assign(base_mean=float("nan"))
        probed = pd.concat([probed, earlier], ignore_index=True) if len(probed) else earlier.reset_index(drop=True)
        found = found[~replaced].reset_index(drop=True)
    return found, probed, parts


def all_cells(found: pd.DataFrame) -> pd.DataFrame:
    """One line per cell of the paper's three tables, in the paper's order; cells no finished part
    covers are listed with verdict 'not run'."""
    lines = []
    for key, name in ((v, k) for k, v in TABLE_KEYS.items()):
        for row in paper.paper_rows(PAPER_FILE, key):
            setting = json.dumps(row["setting"], sort_keys=True)
            for metric in METRIC_ORDER[key]:
                hit = found[(found.table == name) & (found.setting == setting) & (found.metric == metric)]
                if len(hit):
                    lines.append(hit.iloc[0].to_dict())
                else:
                    mean, std = row[metric]
                    scale = 100.0 if metric.startswith("r2") else 1.0
                    lines.append({"table": name, "setting": setting, "metric": metric, "ours_mean": float("nan"),
                                  "ours_std": float("nan"), "seeds": 0, "steps": 0, "paper_mean": mean,
                                  "paper_std": std * scale, "difference": float("nan"), "verdict": "not run",
                                  "part": "", "row": "", "run": ""})
    out = pd.DataFrame(lines)
    # a cell measured by another cell's runs (the same run and metric: Table 2's baseline and kappa = 10
    # rows, Table 5's uniform row) names the first such cell in the paper's order, and counts once
    first, reuses = {}, []
    for c in out.itertuples():
        key = (c.run, c.metric)
        reuses.append(first.get(key, "") if c.run else "")
        first.setdefault(key, f"{c.table} {c.setting} {c.metric}")
    out["reuses"] = reuses
    return out


COMPARABLE = ("match", "better", "short", "inconclusive")


def reversed_rows(cells: pd.DataFrame) -> list[dict]:
    """Rows of Tables 2 and 5 whose (o) and (a) columns are ordered the other way round from the
    paper's, in R² of z or of W, both orderings by more than a point."""
    out = []
    for (table, setting), sub in cells[cells.table.isin(["table2", "table5"])].groupby(["table", "setting"], sort=False):
        by = sub.set_index("metric")
        for target in ("z", "w"):
            o, a = f"r2_o_{target}", f"r2_a_{target}"
            if o not in by.index or a not in by.index or "not run" in (by.loc[o, "verdict"], by.loc[a, "verdict"]):
                continue
            paper_gap = by.loc[a, "paper_mean"] - by.loc[o, "paper_mean"]
            ours_gap = by.loc[a, "ours_mean"] - by.loc[o, "ours_mean"]
            if abs(paper_gap) > 1 and abs(ours_gap) > 1 and (paper_gap > 0) != (ours_gap > 0):
                out.append({"table": table, "setting": setting, "target": target, "paper_a_minus_o": paper_gap,
                            "ours_a_minus_o": ours_gap, "cells": {o, a}})
    return out


def counts(cells: pd.DataFrame) -> dict:
    """The summary's counts over distinct measurements (a cell reusing another's runs counts once):
    each verdict, the matches resting on a band wider than one point (|ours - paper| > 1), and the
    better cells in rows ordered the other way round from the paper (not improvements)."""
    distinct = cells[cells.reuses.fillna("") == ""]
    reversed_cells = {(r["table"], r["setting"], m) for r in reversed_rows(cells) for m in r["cells"]}
    in_reversed = pd.Series([(c.table, c.setting, c.metric) in reversed_cells for c in distinct.itertuples()],
                            index=distinct.index, dtype=bool)
    n = {v: int((distinct.verdict == v).sum()) for v in (*COMPARABLE, "not comparable", "not run")}
    n["comparable"] = int(distinct.verdict.isin(COMPARABLE).sum())
    n["reused"] = int(len(cells) - len(distinct))
    n["wide_band_matches"] = int(((distinct.verdict == "match") & (distinct.difference.abs() > 1)).sum())
    n["better_in_reversed_rows"] = int(((distinct.verdict == "better") & in_reversed).sum())
    return n


def with_extensions(part: str, parts_spec: dict) -> list[str]:
    """The part and the parts that extend it (their seeds join its cells)."""
    return [part, *(p for p, spec in parts_spec.items() if spec.get("extends") == part)]


def _part_csv(evidence: Path, parts: list[str], name: str) -> pd.DataFrame:
    """A CSV of each part's evidence that has it, one below the other."""
    files = [evidence / "parts" / p / name for p in parts if (evidence / "parts" / p / name).exists()]
    frame = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    frame["column"] = frame["column"].astype(object).fillna("")
    return frame


def open_r2_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """The distinct R² cells (not reusing another cell's runs) whose verdict is short or inconclusive."""
    return cells[cells.verdict.isin(["short", "inconclusive"]) & cells.metric.str.startswith("r2")
                 & (cells.reuses.fillna("") == "")]


def short_cell_curves(evidence: Path, cells: pd.DataFrame, parts_spec: dict | None = None) -> list[str]:
    """For every short R² cell: its run's affine probe R² of z (logged during training, on fresh
    samples) at two thirds of the budget and at the end, mean over seeds, and how many seeds still
    gained over the last third. A curve still rising when the cosine schedule has brought the
    learning rate to zero says the budget ends before the optimisation does."""
    short = open_r2_cells(cells)
    if not len(short):
        return []
    out = ["### Short and inconclusive cells: the training curve at the end of the budget", "",
           "Affine probe R² of z logged during training (`affine_r2_probe` in each run's `train_log.csv`, "
           "mean over seeds, %): at two thirds of the budget, at the end, the gain over the last third, and the "
           "seeds still gaining at least 0.5 points over the last sixth (the learning rate is then below 7 % of "
           "its peak), and each seed's value at the end (seeds in order: a seed far below the others sits on a plateau "
           "the others left). The probe is the affine fit, whatever the cell's metric; W cells share their row's curve.", "",
           "The column 'affine fit' is the same runs' R² with an intercept (for the (o) cells, whose metric has "
           "none, as the reference code's): where it is much higher, an offset in the representation, not the map, "
           "makes the cell short.",
           "", "| part | table | setting | metric | ours / paper | affine fit | probe at 2/3 | probe at end "
           "| gain, last third | seeds gaining, last sixth | per seed at end |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    curves, runs = {}, {}
    for c in short.itertuples():
        if c.part not in curves:
            curves[c.part] = _part_csv(evidence, with_extensions(c.part, parts_spec or {}), "curves.csv")
        run = curves[c.part]
        run = run[(run.table == c.table) & (run.row == c.row) & (run.column == _column_of(c.metric))]
        if not len(run):
            continue
        by_seed = run.pivot_table(index="seed", columns="step", values="affine_r2_probe") * 100
        steps = list(by_seed.columns)
        last = steps[-1]
        at = min(steps, key=lambda s: abs(s - 2 * last / 3))
        at6 = min(steps, key=lambda s: abs(s - 5 * last / 6))
        gaining = int(((by_seed[last] - by_seed[at6]) >= 0.5).sum())
        key = (c.part, c.table)
        if key not in runs:
            runs[key] = _part_csv(evidence, with_extensions(c.part, parts_spec or {}), f"{c.table}.runs.csv")
        same = runs[key][(runs[key].label == c.row) & (runs[key].column == _column_of(c.metric))]
        affine = 100 * same[f"affine_r2_{c.metric[-1]}"].mean()
        out.append(f"| {c.part} | {c.table} | `{c.setting}` | {c.metric} | {c.ours_mean:.1f} / {c.paper_mean:.1f} | "
                   f"{affine:.1f} | {by_seed[at].mean():.1f} (step {at}) | {by_seed[last].mean():.1f} (step {last}) | "
                   f"{by_seed[last].mean() - by_seed[at].mean():+.1f} | {gaining} of {len(by_seed)} | "
                   + " ".join(f"{v:.1f}" for v in by_seed[last]) + " |")
    return out + [""]


def _seeds_text(seeds) -> str:
    return f"{int(seeds)} seed{'' if seeds == 1 else 's'}"


def _recipe(part: str, steps, seeds, parts_spec: dict) -> str:
    """A part's training budget in words: its steps, what else its ``train`` override changes, seeds."""
    train = {k: v for k, v in (parts_spec.get(part, {}).get("train") or {}).items() if k != "steps"}
    return ", ".join([f"{steps} steps", *(f"{k} {v}" for k, v in train.items()),
                      _seeds_text(seeds)])


def open_cell_attempts(cells: pd.DataFrame, probed: pd.DataFrame, parts_spec: dict | None = None) -> list[str]:
    """Every distinct R² cell still short or inconclusive, with each measured attempt at it: the
    part at the paper config's budget, then every investigation or superseded part that ran the same
    cell (another budget, lr, schedule, or fewer seeds), and how many attempts that makes."""
    parts_spec = parts_spec or {}
    open_ = open_r2_cells(cells)
    if not len(open_):
        return []
    out = ["### Cells still short or inconclusive: every measured attempt", "",
           "The attempt at the paper config's budget first (the cell's verdict), then the other parts that ran "
           "the same cell; why they stay short is in the section on what was measured below.", "",
           "| table | setting | metric | paper | at the config's budget | other attempts | attempts |",
           "|---|---|---|---|---|---|---|"]
    for c in open_.itertuples():
        same = probed[(probed.table == c.table) & (probed.setting == c.setting) & (probed.metric == c.metric)] \
            if len(probed) else probed
        others = [f"`{a.part}` ({_recipe(a.part, a.steps, a.seeds, parts_spec)}): {a.ours_mean:.1f} {a.verdict}"
                  for a in same.itertuples()]
        out.append(f"| {c.table} | `{c.setting}` | {c.metric} | {c.paper_mean:.1f} | `{c.part}` "
                   f"({_recipe(c.part, c.steps, c.seeds, parts_spec)}): {c.ours_mean:.1f} **{c.verdict}** | "
                   f"{'; '.join(others) or '--'} | {1 + len(others)} |")
    return out + [""]


def sweep_findings(evidence: Path) -> list[str]:
    """Markdown: per sweep part (Appendix D), its sweep's table and the paper's stated findings
    checked, computed again from the part's committed runs (identifiability/synthetic/sweeps.py,
    the workflow's sweep stage)."""
    from identifiability.synthetic import sweeps
    text = []
    for part_dir in sorted((evidence / "parts").iterdir()):
        if not (part_dir / "part.json").exists():
            continue
        info = json.loads((part_dir / "part.json").read_text())
        for layout_file in sorted(part_dir.glob("*.layout.json")):
            layout = json.loads(layout_file.read_text())
            if "sweep" not in layout:
                continue
            long = pd.read_csv(part_dir / f"{layout['sweep']}.runs.csv")
            summary = sweeps.summarise(layout, long)
            claims = sweeps.check_claims(layout, summary)
            text += [f"### `{info['part']}`: {layout['title']}", "",
                     f"{len(layout['seeds'])} seeds, {', '.join(map(str, info['steps']))} steps"
                     f"{' (an investigation: not the paper config budget)' if info.get('investigation') else ''}; "
                     f"mean ± std over seeds, R² in percent; curves in `docs/validation/parts/{info['part']}/`.", "",
                     sweeps.readable(layout, summary).to_markdown(index=False), "",
                     sweeps.claims_markdown(claims).strip(), ""]
    return ["## Appendix D: the paper's stated findings", "", *text] if text else []


def figure(cells: pd.DataFrame):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r2 = cells[cells.metric.str.startswith("r2") & (cells.verdict != "not run") & (cells.reuses.fillna("") == "")]
    fig, ax = plt.subplots(figsize=(7, 7))
    style = {"match": ("tab:blue", "o"), "better": ("tab:green", "^"), "short": ("tab:red", "v"),
             "inconclusive": ("tab:orange", "s")}
    for verdict, (color, marker) in style.items():
        sub = r2[r2.verdict == verdict]
        ax.errorbar(sub.paper_mean, sub.ours_mean, yerr=sub.ours_std.fillna(0), fmt=marker, color=color, ms=5,
                    capsize=2, label=f"{verdict} ({len(sub)})", alpha=0.85)
        if verdict == "short":
            # short labels to the left of the points (most sit near 100 on the paper's axis)
            for _, c in sub.iterrows():
                setting = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                    for k, v in json.loads(c.setting).items() if k != "scale") or "baseline"
                ax.annotate(f"T{c.table[-1]} {setting} {c.metric}", (c.paper_mean, c.ours_mean), fontsize=5,
                            xytext=(-4, -2), textcoords="offset points", ha="right", color="tab:red")
    lo = min(40.0, float(r2[["paper_mean", "ours_mean"]].min().min()) - 2) if len(r2) else 40.0
    ax.plot([lo, 100], [lo, 100], color="grey", lw=1, ls="--", label="ours = paper")
    ax.set(xlim=(lo, 101), ylim=(lo, 101), xlabel="paper R² (%)", ylabel="ours R² (%), mean ± std over seeds",
           title="Tables 2, 3, 5: distinct R² cells")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def _cell_text(metric: str, c: pd.Series) -> str:
    if c.verdict == "not run":
        return f"-- / {c.paper_mean:g} · not run"
    digits = 1 if metric.startswith("r2") else 3
    std = "" if math.isnan(c.ours_std) else f" ± {c.ours_std:.{digits}f}"
    reused = " (same runs as above)" if isinstance(c.reuses, str) and c.reuses else ""
    seeds = "" if c.seeds == PAPER_SEEDS else f" ({_seeds_text(c.seeds)})"
    return f"{c.ours_mean:.{digits}f}{std}{seeds} / {c.paper_mean:.{digits}f} · **{c.verdict}**{reused}"


def markdown_tables(cells: pd.DataFrame) -> list[str]:
    out = []
    for name, key in TABLE_KEYS.items():
        sub = cells[cells.table == name]
        metrics = METRIC_ORDER[key]
        out += [f"### {name}", "", f"ours (mean ± std over {PAPER_SEEDS} seeds unless it says fewer) / paper · verdict; R² in %, std in points", "",
                "| setting | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
        for setting in dict.fromkeys(sub.setting):
            row = sub[sub.setting == setting].set_index("metric")
            out.append(f"| `{setting}` | " + " | ".join(_cell_text(m, row.loc[m]) if m in row.index else "" for m in metrics) + " |")
        out.append("")
    return out


CSV_COLUMNS = paper.CELL_COLUMNS + ["reuses"]


def write_report(evidence: Path, out_md: Path, parts_spec: dict) -> None:
    found, probed, parts = collect_parts(evidence, parts_spec)
    cells = all_cells(found)
    cells[CSV_COLUMNS].to_csv(evidence / "paper_tables.csv", index=False)
    import matplotlib.pyplot as plt
    fig = figure(cells)
    save_figure(fig, evidence / "paper_tables")
    plt.close(fig)
    n = counts(cells)
    reversed_ = reversed_rows(cells)
    decided = n["match"] + n["better"]
    text = [
        "# Validation against the paper: every cell of Tables 2, 3 and 5",
        "",
        f"Generated by `snakemake --cores 1 -f validation_report` (`scripts/validation_report.py`) on {time.strftime('%Y-%m-%d')} from the "
        "parts under `docs/validation/parts/` (each: `configs/paper.yaml` reduced to some rows, run through the "
        "workflow, `snakemake validation_part`, on the machine the Parts table names). One line per cell in "
        "`docs/validation/paper_tables.csv`.",
        "",
        f"**Verdicts** (`identifiability/verdicts.py`, the one rule of every table): our mean over seeds with its "
        f"two-sided {LEVEL:.0%} Student-t interval (mean ± t · std / sqrt(seeds), std with ddof = 1) against the "
        f"paper's value ± max({MIN_HALF_WIDTH['points']:g} point, 2 x the paper's std): **match** = our mean in "
        "that band; **better** / **short** = our whole interval above / below it; **inconclusive** = neither (the "
        "interval reaches the band: more seeds would decide); **not comparable** = the singular-value MAE, which "
        "the reference code computes from raw singular values against 1/kappa, ours scale-free "
        "(`docs/metrics.md`). The paper prints its std in R² units (0.01 = one point; inferred from its R² means, "
        "printed the same way); `paper_std` is in points (x 100). A cell is ours only where the run's resolved "
        "settings are the paper's for it (`identifiability/synthetic/paper.py`). The paper's kappa = 10 rows "
        "(Tables 2, 3) have the baseline's setting and Table 5's uniform row is Table 2's baseline: those cells "
        "reuse the baseline's runs (column `reuses`) and are counted once.",
        "",
        f"**Summary, over {n['comparable']} distinct comparable cells** ({n['reused']} more cells reuse their runs): "
        f"{decided} match or better ({n['match']} match, {n['better']} better), {n['short']} short, "
        f"{n['inconclusive']} inconclusive; {n['not comparable']} MAE cells not comparable, {n['not run']} not run. "
        f"{n['wide_band_matches']} of the matches lie more than a point from the paper and match only through the "
        "paper's wide std. " + (f"{n['better_in_reversed_rows']} of the better cells sit in a row whose columns "
                                "are ordered the other way round from the paper's (below): a discrepancy, not an "
                                "improvement." if n["better_in_reversed_rows"] else
                                f"{len(reversed_)} row(s) have their columns ordered the other way round from "
                                "the paper's (below); no better cell sits in one."),
        "",
        "![ours against the paper](validation/paper_tables.png)",
        "",
        *markdown_tables(cells),
    ]
    if reversed_:
        text += ["### Rows ordered the other way round from the paper", "",
                 "| table | setting | R² of | paper (a) - (o) | ours (a) - (o) |", "|---|---|---|---|---|"]
        text += [f"| {r['table']} | `{r['setting']}` | {r['target']} | {r['paper_a_minus_o']:+.1f} | "
                 f"{r['ours_a_minus_o']:+.1f} |" for r in reversed_]
        text.append("")
    text += [
        "## Parts: settings, steps, wall time",
        "",
        "| part | rows (process settings) | commit | seeds | steps | training jobs (runs, s) | workflow wall time "
        "| machine |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in parts:
        jobs = "; ".join(f"{j['runs']} runs {j['train_s']:.0f} s" for j in p["jobs"] if j["train_s"] is not None)
        text.append(f"| {p['part']} | {json.dumps({k: v for k, v in parts_spec.get(p['part'], {}).items() if v is not False})} | {p['commit']} | {len(p['seeds'])} | "
                    f"{', '.join(map(str, p['steps']))} | {jobs} | {p['wall_s'] / 60:.1f} min | {p.get('machine', '?')} |")
    if len(probed):
        text += ["", "### Attempts: the same cells at another budget or with fewer seeds", "",
                 "Investigation parts, and the parts that ran a row at an earlier budget of configs/paper.yaml "
                 "(superseded by the row's current budget).", "",
                 "ours: at the investigation's budget (± std where it has several seeds); at the paper config's "
                 "budget: the same cell, same seeds, from the part that ran it.", "",
                 "| part | table | setting | metric | ours | at the paper config's budget | paper | verdict | steps | seeds |",
                 "|---|---|---|---|---|---|---|---|---|---|"]
        text += [f"| {c.part} | {c.table} | `{c.setting}` | {c.metric} | {c.ours_mean:.1f}"
                 f"{'' if math.isnan(c.ours_std) else f' ± {c.ours_std:.1f}'} | "
                 f"{'--' if math.isnan(c.base_mean) else f'{c.base_mean:.1f}'} | {c.paper_mean:.1f} | {c.verdict} | "
                 f"{c.steps} | {c.seeds} |"
                 for c in probed.itertuples() if c.metric.startswith("r2")]
    text += ["", *open_cell_attempts(cells, probed, parts_spec)]
    text += ["", *short_cell_curves(evidence, cells, parts_spec)]
    missing = [name for name in parts_spec if not (evidence / "parts" / name / "part.json").exists()]
    if missing:
        text += ["", f"Parts not run yet: {', '.join(missing)} (`snakemake --cores all validation_part --config validation_part='{{name: <part>}}'`)."]
    findings = sweep_findings(evidence)
    if findings:
        text += ["", *findings]
    for name in ("budget_plan.md", "investigation.md"):   # the budget per row, then why cells are short
        if (evidence / name).exists():
            text += ["", (evidence / name).read_text().strip()]
    # Table 4's dSprites row, then its investigations: the DisLib parts, from their committed cells
    dislib_parts = [d for d in (evidence / "parts").iterdir() if (d / CELLS_FILE).exists() and (d / "part.json").exists()]
    dislib_parts.sort(key=lambda d: (json.loads((d / "part.json").read_text()).get("investigation", False), d.name))
    for part_dir in dislib_parts:
        text += ["", *dislib_section(part_dir)]
    out_md.write_text("\n".join(text) + "\n")
    print("\n".join(text))
