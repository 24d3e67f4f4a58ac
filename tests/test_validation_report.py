"""The paper-tables validation report, rebuilt from committed evidence alone (no results/ needed):
one line per paper cell with the issue's columns, verdicts from the runs' metrics, investigation
cells beside the same seeds at the paper config's budget, and each short cell with its curve."""

import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
PARTS = REPO / "docs" / "validation" / "parts"
sys.path.insert(0, str(REPO / "benchmarks"))

COLUMNS = ["table", "setting", "metric", "ours_mean", "ours_std", "seeds", "steps", "paper_mean", "paper_std",
           "difference", "verdict"]


@pytest.fixture
def evidence(tmp_path):
    if not (PARTS / "d10" / "part.json").exists() or not (PARTS / "d10_long" / "part.json").exists():
        pytest.skip("the committed d10 and d10_long validation parts are needed")
    for part in ("d10", "d10_long"):
        shutil.copytree(PARTS / part, tmp_path / "parts" / part)
    return tmp_path


def test_report_from_committed_parts(evidence):
    import validate_paper_tables
    from validation_report import write_report

    write_report(evidence, evidence / "validation.md", validate_paper_tables.PARTS)
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
    for metric in ("r2_o_z", "r2_o_w", "r2_a_z", "r2_a_w"):
        assert d10.loc[("table2", metric), "verdict"] == "short"
    # the investigation part is not a cell: the d = 10 cells keep the 3000-step, 5-seed numbers
    assert d10.loc[("table3", "r2_z"), "steps"] == 3000 and d10.loc[("table3", "r2_z"), "seeds"] == 5
    assert (cells.verdict == "not run").sum() == len(cells) - 7
    text = (evidence / "validation.md").read_text()
    # the investigation row: seed 0 at 9000 steps beside seed 0 at 3000 steps
    seed0 = 100 * runs[runs.seed == 0].affine_r2_z.item()
    line = next(ln for ln in text.splitlines() if ln.startswith("| d10_long | table3 |"))
    assert f"| {seed0:.1f} |" in line and "| 9000 | 1 |" in line
    # each short R² cell with its training curve
    assert "### Short cells" in text
    assert sum(ln.startswith("| d10 | table") for ln in text.splitlines()) == 5
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
    import validate_paper_tables
    from validation_report import write_report

    write_report(evidence, evidence / "validation.md", validate_paper_tables.PARTS)
    whole = pd.read_csv(evidence / "paper_tables.csv")
    split = tmp_path / "split"
    for column in ("o", "a"):
        _column_part(PARTS / "d10", split / "parts" / f"d10_{column}", f"d10_{column}", column)
    write_report(split, split / "validation.md", validate_paper_tables.PARTS)
    parts = pd.read_csv(split / "paper_tables.csv")
    table2 = json.dumps({"d": 10})
    pick = lambda c: c[(c.table == "table2") & (c.setting == table2)].set_index("metric")
    assert (pick(parts).verdict != "not run").all()
    pd.testing.assert_frame_equal(pick(parts), pick(whole))


def test_dislib_verdict_band():
    """Table 4's Pearson r: within 0.01, or 2 paper std when wider, is a match."""
    from validate_dislib_dsprites import verdict

    assert verdict(0.95, 0.94, 0.01)[1] == "match"          # band 0.02
    assert verdict(0.66, 0.94, 0.01)[1] == "short"
    assert verdict(1.00, 0.98, 0.00)[1] == "better"         # band 0.01
    assert verdict(0.90, 0.92, 0.05)[1] == "match"          # band 0.10
    assert verdict(0.90, 0.92, 0.05)[0] == pytest.approx(-0.02)
