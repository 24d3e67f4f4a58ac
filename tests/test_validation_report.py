"""The paper-tables validation report, rebuilt from committed evidence alone (no results/ needed):
one line per paper cell with the issue's columns, verdicts from the runs' metrics, investigation
cells beside the same seeds at the paper config's budget, and each short cell with its curve."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from identifiability.validation.parts import load_parts

REPO = Path(__file__).resolve().parent.parent
PARTS = REPO / "docs" / "validation" / "parts"

COLUMNS = ["table", "setting", "metric", "ours_mean", "ours_std", "seeds", "ours_ci_low", "ours_ci_high", "steps",
           "paper_mean", "paper_std", "band_half_width", "difference", "verdict", "reuses"]


@pytest.fixture
def evidence(tmp_path):
    if not (PARTS / "d10" / "part.json").exists() or not (PARTS / "d10_long" / "part.json").exists():
        pytest.skip("the committed d10 and d10_long validation parts are needed")
    for part in ("d10", "d10_long"):
        shutil.copytree(PARTS / part, tmp_path / "parts" / part)
    return tmp_path


def test_report_from_committed_parts(evidence):
    from identifiability.validation.report import write_report

    write_report(evidence, evidence / "validation.md", load_parts())
    cells = pd.read_csv(evidence / "paper_tables.csv")
    assert list(cells.columns) == COLUMNS
    # every cell of the paper's three tables: 11 + 3 rows x 6 metrics, 11 rows x 1
    assert len(cells) == 14 * 6 + 11
    assert set(cells.table) == {"table2", "table3", "table5"}
    d10 = cells[cells.setting == json.dumps({"d": 10})].set_index(["table", "metric"])
    runs = pd.read_csv(PARTS / "d10" / "table3.runs.csv")
    assert d10.loc[("table3", "r2_z"), "ours_mean"] == pytest.approx(100 * runs.affine_r2_z.mean())
    assert d10.loc[("table3", "r2_z"), "ours_std"] == pytest.approx(100 * runs.affine_r2_z.std(ddof=1))
    assert d10.loc[("table3", "r2_z"), "paper_std"] == pytest.approx(1.0)   # the paper's 0.01 in points
    assert d10.loc[("table2", "mae_o_z"), "verdict"] == "not comparable"
    from identifiability.verdicts import paper_verdict
    for metric in ("r2_o_z", "r2_o_w", "r2_a_z", "r2_a_w"):
        c = d10.loc[("table2", metric)]
        assert c.verdict == paper_verdict(c.ours_mean, c.ours_std, c.seeds, c.paper_mean, c.paper_std)
        assert c.ours_ci_low < c.ours_mean < c.paper_mean
    # (o) R² of z: 86.3 over 5 seeds, its interval wholly below the paper's 1-point band; the other
    # cells' wider seed spread (one (a) seed at 75.8) reaches into theirs
    assert d10.loc[("table2", "r2_o_z"), "verdict"] == "short"
    assert d10.loc[("table2", "r2_o_w"), "verdict"] == "inconclusive"
    # the investigation part is not a cell: the d = 10 cells keep the 3000-step, 5-seed numbers
    assert d10.loc[("table3", "r2_z"), "steps"] == 3000 and d10.loc[("table3", "r2_z"), "seeds"] == 5
    assert (cells.verdict == "not run").sum() == len(cells) - 7
    text = (evidence / "validation.md").read_text()
    # the investigation row: seed 0 at 9000 steps beside seed 0 at 3000 steps
    seed0 = 100 * runs[runs.seed == 0].affine_r2_z.item()
    line = next(ln for ln in text.splitlines() if ln.startswith("| d10_long | table3 |"))
    assert f"| {seed0:.1f} |" in line and "| 9000 | 1 |" in line
    # each short R² cell with its training curve
    assert "### Short and inconclusive cells" in text
    assert sum(ln.startswith("| d10 | table") for ln in text.splitlines()) == 5   # short or inconclusive
    # ... and each seed's probe R² at the end, one value per seed
    short3 = next(ln for ln in text.splitlines() if ln.startswith("| d10 | table3 |"))
    assert len(short3.strip(" |").split("|")[-1].split()) == 5
    assert (evidence / "paper_tables.png").stat().st_size > 1000


def _column_part(src: Path, dst: Path, name: str, column: str) -> None:
    """A copy of part src holding only Table 2's column `column` (as the d = 20 parts are run)."""
    dst.mkdir(parents=True)
    layout = json.loads((src / "table2.layout.json").read_text())
    layout["columns"] = [c for c in layout["columns"] if c["prefix"] == column]
    for row in layout["rows"]:
        row["runs"] = {k: v for k, v in row["runs"].items() if k == column}
    (dst / "table2.layout.json").write_text(json.dumps(layout))
    runs = pd.read_csv(src / "table2.runs.csv")
    runs[runs.column == column].to_csv(dst / "table2.runs.csv", index=False)
    curves = pd.read_csv(src / "curves.csv")
    curves[(curves.table == "table2") & (curves.column == column)].to_csv(dst / "curves.csv", index=False)
    info = json.loads((src / "part.json").read_text())
    (dst / "part.json").write_text(json.dumps({**info, "part": name}))


def test_one_row_from_two_column_parts(evidence, tmp_path):
    """A row whose columns are trained in different parts (the d = 20 row of Table 2: DIET (o) and
    DIET (a) are a part each) gets every cell from the part that ran it, the same as one part."""
    from identifiability.validation.report import write_report

    write_report(evidence, evidence / "validation.md", load_parts())
    whole = pd.read_csv(evidence / "paper_tables.csv")
    split = tmp_path / "split"
    for column in ("o", "a"):
        _column_part(PARTS / "d10", split / "parts" / f"d10_{column}", f"d10_{column}", column)
    write_report(split, split / "validation.md", load_parts())
    parts = pd.read_csv(split / "paper_tables.csv")
    table2 = json.dumps({"d": 10})
    pick = lambda c: c[(c.table == "table2") & (c.setting == table2)].set_index("metric")
    assert (pick(parts).verdict != "not run").all()
    pd.testing.assert_frame_equal(pick(parts), pick(whole))


def test_dislib_verdict_band():
    """Table 4's Pearson r: the same rule on the correlation's scale (band max(0.01, 2 paper std))."""
    from identifiability.verdicts import paper_verdict

    assert paper_verdict(0.95, 0.01, 3, 0.94, 0.01, "correlation") == "match"     # band 0.02
    assert paper_verdict(0.66, 0.01, 3, 0.94, 0.01, "correlation") == "short"
    assert paper_verdict(0.66, 0.30, 3, 0.94, 0.01, "correlation") == "inconclusive"
    assert paper_verdict(1.00, 0.001, 3, 0.98, 0.00, "correlation") == "better"   # band 0.01
    assert paper_verdict(0.90, 0.05, 3, 0.92, 0.05, "correlation") == "match"     # band 0.10


def test_counts_are_over_distinct_measurements_and_reversed_rows_are_listed(tmp_path):
    """d5_kappa holds Table 2's baseline (which the paper prints twice, as {} and kappa = 10),
    Table 5's uniform row (the same runs) and kappa = 50, where the paper has (a) above (o)."""
    from identifiability.validation.report import counts, reversed_rows, write_report

    if not (PARTS / "d5_kappa" / "part.json").exists():
        pytest.skip("the committed d5_kappa part is needed")
    shutil.copytree(PARTS / "d5_kappa", tmp_path / "parts" / "d5_kappa")
    write_report(tmp_path, tmp_path / "validation.md", load_parts())
    cells = pd.read_csv(tmp_path / "paper_tables.csv", keep_default_na=False)
    base = cells[(cells.table == "table2") & (cells.setting == "{}") & (cells.metric == "r2_o_z")].iloc[0]
    again = cells[(cells.table == "table2") & (cells.setting == '{"kappa": 10}') & (cells.metric == "r2_o_z")].iloc[0]
    uniform = cells[(cells.table == "table5") & (cells.setting == '{"cluster_marginal": "uniform"}')
                    & (cells.metric == "r2_o_z")].iloc[0]
    assert base.reuses == "" and again.reuses == uniform.reuses == "table2 {} r2_o_z"
    assert again.ours_mean == base.ours_mean == uniform.ours_mean
    from identifiability.validation.report import all_cells, collect_parts
    every = all_cells(collect_parts(tmp_path, load_parts())[0])
    n = counts(every)
    run = every[every.verdict != "not run"]
    assert n["reused"] == int((run.reuses.fillna("") != "").sum()) > 0
    assert n["comparable"] == int((run.verdict.isin(["match", "better", "short", "inconclusive"])
                                   & (run.reuses.fillna("") == "")).sum())
    rows = reversed_rows(every)
    assert {(r["setting"], r["target"]) for r in rows} >= {('{"kappa": 50}', "z")}
    assert all(r["paper_a_minus_o"] > 0 > r["ours_a_minus_o"] for r in rows)
    text = (tmp_path / "validation.md").read_text()
    assert "### Rows ordered the other way round from the paper" in text and "reuse the baseline's runs" in text


def test_a_part_at_the_new_budget_supersedes_the_earlier_one(evidence, tmp_path):
    """A part that reruns rows at configs/paper.yaml's new budget replaces the earlier part's cells,
    which stay in the report as attempts."""
    from identifiability.validation.report import all_cells, collect_parts

    root = tmp_path / "budget"
    shutil.copytree(PARTS / "d10", root / "parts" / "d10")
    newer = root / "parts" / "d10_budget"
    shutil.copytree(PARTS / "d10", newer)
    runs = pd.read_csv(newer / "table3.runs.csv")
    runs["affine_r2_z"] = 0.972
    runs.to_csv(newer / "table3.runs.csv", index=False)
    info = json.loads((newer / "part.json").read_text())
    (newer / "part.json").write_text(json.dumps({**info, "part": "d10_budget"}))
    spec = {"d10": {}, "d10_budget": {"supersedes": "d10"}}
    found, attempts, _ = collect_parts(root, spec)
    cell = all_cells(found).set_index(["table", "setting", "metric"]).loc[("table3", '{"d": 10}', "r2_z")]
    assert cell.part == "d10_budget" and cell.ours_mean == pytest.approx(97.2) and cell.verdict == "match"
    earlier = attempts[(attempts.table == "table3") & (attempts.part == "d10")]
    assert len(earlier) == 1 and earlier.ours_mean.item() == pytest.approx(100 * pd.read_csv(
        PARTS / "d10" / "table3.runs.csv").affine_r2_z.mean())


def test_a_part_may_supersede_the_column_parts_its_rows_were_split_into(tmp_path):
    """d = 20's Table 2 row ran at 3000 steps as one part per column; its rerun at the new budget,
    both columns in one part, supersedes both."""
    from identifiability.validation.report import collect_parts

    root = tmp_path / "columns"
    for column in ("o", "a"):
        _column_part(PARTS / "d10", root / "parts" / f"d10_{column}", f"d10_{column}", column)
    newer = root / "parts" / "d10_budget"
    shutil.copytree(PARTS / "d10", newer)
    info = json.loads((newer / "part.json").read_text())
    (newer / "part.json").write_text(json.dumps({**info, "part": "d10_budget"}))
    spec = {"d10_o": {}, "d10_a": {}, "d10_budget": {"supersedes": ["d10_o", "d10_a"]}}
    found, attempts, _ = collect_parts(root, spec)
    table2 = found[(found.table == "table2") & (found.setting == '{"d": 10}')]
    assert set(table2.part) == {"d10_budget"} and {"r2_o_z", "r2_a_z"} <= set(table2.metric)
    assert {"d10_o", "d10_a"} <= set(attempts.part)


def test_a_part_that_extends_another_pools_its_seeds_into_the_same_cells(tmp_path):
    """A part run in two sittings: the second's seeds join the first's cells (mean and seed count
    over both), its curves join the short-cell table, and it adds no cells of its own."""
    from identifiability.validation.report import all_cells, collect_parts, short_cell_curves

    if not (PARTS / "d10" / "part.json").exists():
        pytest.skip("the committed d10 validation part is needed")
    root = tmp_path / "pooled"
    shutil.copytree(PARTS / "d10", root / "parts" / "d10")
    more = root / "parts" / "d10_more"
    shutil.copytree(PARTS / "d10", more)
    for name in ("table2.runs.csv", "table3.runs.csv", "curves.csv"):
        frame = pd.read_csv(more / name)
        frame["seed"] += 5
        if name == "table3.runs.csv":
            frame["affine_r2_z"] = 0.5
        frame.to_csv(more / name, index=False)
    info = json.loads((more / "part.json").read_text())
    (more / "part.json").write_text(json.dumps({**info, "part": "d10_more", "seeds": [s + 5 for s in info["seeds"]]}))
    found, _, _ = collect_parts(root, {"d10": {}, "d10_more": {"extends": "d10"}})
    assert set(found.part) == {"d10"}
    cell = all_cells(found).set_index(["table", "setting", "metric"]).loc[("table3", '{"d": 10}', "r2_z")]
    first = 100 * pd.read_csv(PARTS / "d10" / "table3.runs.csv").affine_r2_z
    assert cell.seeds == 2 * len(first) and cell.ours_mean == pytest.approx((first.mean() + 50) / 2)
    curves = "\n".join(short_cell_curves(root, all_cells(found), {"d10_more": {"extends": "d10"}}))
    row = next(line for line in curves.splitlines() if "| table3 |" in line)
    assert row.count(f"of {2 * len(first)}") == 1   # seeds gaining, out of both parts' seeds


def test_the_parts_are_config_data_checked_by_their_schema(tmp_path):
    from identifiability.config import ConfigError
    from identifiability.validation.parts import part_config

    parts = load_parts()
    assert parts["d10_long"]["investigation"] and not parts["d10"]["investigation"]   # the schema's default
    cfg = part_config(parts["d5_conditionals_budget"], "results/x")
    rows = cfg["synthetic"]["tables"]["table2"]["rows"]
    assert [r["process"]["conditional"] for r in rows] == ["laplace", "normal"]
    assert all(r["train"]["steps"] == 9000 for r in rows)   # configs/paper.yaml's budget for these rows
    assert set(cfg["synthetic"]["tables"]) == {"table2"} and "sweeps" not in cfg["synthetic"]
    bad = tmp_path / "parts.yaml"
    bad.write_text("parts: {p: {where: {d: [5]}, seeds: [0], colums: {}}}\n")
    with pytest.raises(ConfigError, match="colums"):
        load_parts(bad)
    bad.write_text("parts: {p: {where: {d: [5]}, supersedes: q}}\n")
    with pytest.raises(ConfigError, match="parts.p.supersedes"):
        load_parts(bad)
    bad.write_text("parts: {p: {where: {d: [5]}, seeds: [0]}, q: {where: {d: [5]}, train: {steps: 9}, extends: p}}\n")
    with pytest.raises(ConfigError, match="parts.q.extends: 'p' runs other rows or another budget"):
        load_parts(bad)


@pytest.mark.slow
def test_snakemake_target_rebuilds_the_report_from_the_committed_evidence_alone(workflow_copy):
    """`snakemake -f validation_report` trains nothing and rebuilds docs/validation/ from the parts'
    committed evidence: the cells' CSV equals the committed one (the report is current)."""
    from conftest import snakemake

    if not (PARTS / "d10" / "part.json").exists():
        pytest.skip("the committed validation parts are needed")
    shutil.copytree(REPO / "docs" / "validation", workflow_copy / "docs" / "validation")
    (workflow_copy / "docs" / "validation" / "paper_tables.csv").unlink()
    proc = snakemake(workflow_copy, "-f", "validation_report", timeout=600)
    assert "synthetic_train" not in proc.stdout + proc.stderr
    rebuilt = workflow_copy / "docs" / "validation" / "paper_tables.csv"
    assert rebuilt.read_text() == (REPO / "docs" / "validation" / "paper_tables.csv").read_text()
    assert "Summary, over 58 distinct comparable cells" in (workflow_copy / "docs" / "validation.md").read_text()


def test_every_cell_still_short_lists_each_measured_attempt(evidence):
    """The d = 10 row at 3000 steps (part d10) is short or inconclusive in Table 3; the investigation
    d10_long ran the same cell at 9000 steps: the cell's line names both, and counts two attempts."""
    from identifiability.validation.report import all_cells, collect_parts, open_cell_attempts

    spec = {"d10": {}, "d10_long": {"train": {"steps": 9000}, "seeds": [0], "investigation": True}}
    found, probed, _ = collect_parts(evidence, spec)
    cells = all_cells(found)
    lines = open_cell_attempts(cells, probed, spec)
    table3 = [line for line in lines if line.startswith("| table3 | `{\"d\": 10}` | r2_z")]
    assert len(table3) == 1
    assert "`d10` (3000 steps, 5 seeds)" in table3[0] and "`d10_long` (9000 steps, 1 seed)" in table3[0]
    assert table3[0].endswith("| 2 |")
    matched = cells[(cells.verdict == "match") & cells.metric.str.startswith("r2")]
    assert not any(f"`{c.setting}` | {c.metric} |" in line for c in matched.itertuples()
                   for line in lines if line.startswith(f"| {c.table} "))


def test_a_cell_over_fewer_seeds_than_the_paper_says_how_many():
    from identifiability.validation.report import _cell_text

    cell = pd.Series({"verdict": "match", "ours_mean": 99.1, "ours_std": 0.1, "paper_mean": 98.7, "reuses": "",
                      "seeds": 5})
    assert "seeds" not in _cell_text("r2_o_z", cell)
    assert "99.1 ± 0.1 (3 seeds) / 98.7" in _cell_text("r2_o_z", pd.Series({**cell, "seeds": 3}))
