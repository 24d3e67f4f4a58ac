"""The paper's synthetic numbers beside ours: which cell of the paper a run is, and the verdict.

A cell of ours carries the paper's value only where its *resolved* settings are the paper's
setting for that cell: the process equal to the paper's baseline (d = 5, |C| = 100, N = 1000,
vMF kappa = 10, uniform cluster vectors, a 4-layer generator) with the paper row's changes, and
the training of the paper's column (DIET with W normalised (o) or not (a), or supervised; f(x)
not normalised, batch 1024, no label noise). The budget and optimiser (steps, lr, schedule) are
ours to choose and do not enter the match.

Verdicts (``identifiability.verdicts``, docs/validation.md): our mean over seeds with its
t-interval against the paper's value ± max(1 point, 2 x the paper's std): ``match`` when our mean
is in that band, ``better`` / ``short`` when our whole interval is above / below it,
``inconclusive`` otherwise; ``not comparable`` for the singular-value MAE, which the reference
code defines differently (raw singular values against 1/kappa; ours is scale-free,
docs/metrics.md). The paper prints its std in R² units (0.01 = one point): it is converted to
points (x 100) before comparing.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import yaml

from identifiability.synthetic.settings import CONDITIONAL_PARAMS, ProcessSettings
from identifiability.verdicts import interval, paper_band, paper_verdict

# the tables of reference/paper_results.yaml: short name, method, and its columns
PAPER_TABLES = {
    "table2_diet": {"name": "table2", "method": "diet", "columns": ("o", "a")},
    "table3_supervised": {"name": "table3", "method": "supervised", "columns": ("",)},
    "table5_cluster_marginal": {"name": "table5", "method": "diet", "columns": ("o", "a")},
}
# metrics of a paper column: our summary name -> the paper file's key pattern
METRICS = {"r2_z": "r2_{c}z", "r2_w": "r2_{c}w", "mae_z": "mae_{c}z", "mae_w": "mae_{c}w"}
NOT_COMPARABLE = {"mae_z", "mae_w"}
PAPER_TRAINING = {"feature_norm": False, "batch_size": 1024, "label_noise": 0.0}


def paper_rows(paper_file: str | Path, key: str | None) -> list[dict]:
    if not key:
        return []
    data = yaml.safe_load(Path(paper_file).read_text())
    if key not in data:
        raise ValueError(f"paper table {key!r} not in {paper_file}; known: {sorted(data)}")
    return data[key]


def defining(process: dict) -> dict:
    """The settings that make a process the one a paper cell was run on (not the number of
    held-out samples or of generator candidates, which only set how precisely we measure)."""
    p = ProcessSettings.from_dict(process)
    keys = ["kind", "d", "clusters", "N", "cluster_marginal", "conditional", "generator_layers",
            *CONDITIONAL_PARAMS[p.conditional]]
    if p.cluster_marginal != "uniform":
        keys.append("cluster_scale")
    return {k: getattr(p, k) for k in keys}


PAPER_BASELINE = Path(__file__).resolve().parents[2] / "reference" / "paper_baseline.yaml"


@functools.cache
def paper_baseline() -> dict:
    """The paper's baseline process (reference/paper_baseline.yaml)."""
    return dict(yaml.safe_load(PAPER_BASELINE.read_text())["process"])


def paper_process(setting: dict) -> dict:
    """The resolved process of a paper row: the paper's baseline with the row's changes."""
    return defining({**paper_baseline(), **setting})


def paper_column(table_key: str, train: dict) -> str | None:
    """The paper column ('o', 'a' or '') a run's training belongs to, or None if it is none."""
    spec = PAPER_TABLES[table_key]
    if train["method"] != spec["method"] or any(train[k] != v for k, v in PAPER_TRAINING.items()):
        return None
    if spec["method"] == "supervised":
        return "" if not train["w_norm"] else None
    return "o" if train["w_norm"] else "a"


def matching_rows(rows: list[dict], table_key: str | None, resolved: dict) -> tuple[str | None, list[dict]]:
    """(paper column, paper rows) of one of our cells from its resolved settings; the paper may
    print several rows for one setting (Tables 2 and 3: the baseline and kappa = 10)."""
    if not table_key or not rows:
        return None, []
    column = paper_column(table_key, resolved["train"])
    if column is None:
        return None, []
    ours = defining(resolved["process"])
    return column, [r for r in rows if paper_process(r["setting"]) == ours]


def verdict(metric: str, mean: float, std: float, n: int, paper: float, paper_std_points: float) -> tuple[float, str]:
    """(difference in points, verdict) of our mean over ``n`` seeds (std ``std``) against the paper's."""
    difference = mean - paper
    if metric in NOT_COMPARABLE:
        return difference, "not comparable"
    return difference, paper_verdict(mean, std, n, paper, paper_std_points)


def paper_value(row: dict, metric: str, column: str) -> tuple[float, float] | None:
    """(mean, std converted to points for R²) of the paper row's metric in a column, or None."""
    value = row.get(METRICS[metric].format(c=f"{column}_" if column else ""))
    if value is None:
        return None
    scale = 100.0 if metric.startswith("r2") else 1.0
    return float(value[0]), float(value[1]) * scale


def cells(table_key: str, matches: list[tuple[list[dict], str, dict]]) -> list[dict]:
    """The paper_tables.csv lines of one table: ``matches`` holds per our cell the paper rows it
    matches, its column and its summary {metric: (mean, std), 'seeds', 'steps'}."""
    out = []
    for rows, column, ours in matches:
        for row in rows:
            for metric in METRICS:
                pv = paper_value(row, metric, column)
                if pv is None:
                    continue
                mean, std = ours[metric]
                difference, v = verdict(metric, mean, std, ours["seeds"], *pv)
                low, high = interval(mean, std, ours["seeds"])
                key = METRICS[metric].format(c=f"{column}_" if column else "")
                out.append({"table": PAPER_TABLES[table_key]["name"], "setting": json.dumps(row["setting"], sort_keys=True),
                            "metric": key, "ours_mean": mean, "ours_std": std, "seeds": ours["seeds"],
                            "ours_ci_low": low, "ours_ci_high": high, "steps": ours["steps"],
                            "paper_mean": pv[0], "paper_std": pv[1],
                            "band_half_width": (pv[0] - paper_band(*pv)[0]) if metric not in NOT_COMPARABLE else float("nan"),
                            "difference": difference, "verdict": v})
    return out


CELL_COLUMNS = ["table", "setting", "metric", "ours_mean", "ours_std", "seeds", "ours_ci_low", "ours_ci_high", "steps",
                "paper_mean", "paper_std", "band_half_width", "difference", "verdict"]
