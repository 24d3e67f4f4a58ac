"""Appendix D sweeps: planning (cells, shared runs, errors), the claim checks and the figure."""
import copy
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from identifiability.config import ConfigError, validate_config
from identifiability.synthetic.plan import build_plan
from identifiability.synthetic.sweeps import check_claims, claims_markdown, figure, summarise
from identifiability.verdicts import summary_verdict

REPO = Path(__file__).resolve().parent.parent


def _cfg(name="config.yaml"):
    return yaml.safe_load((REPO / name).read_text())


def test_sweep_cells_are_the_product_of_axes_and_share_runs_with_tables():
    plan = build_plan(_cfg()["synthetic"])
    sweep = plan.sweeps["fig5_clusters_d"]
    cells = [r.cell for r in sweep["rows"]]
    assert cells == [{"process.clusters": c, "process.d": d} for c in (10, 100) for d in (5, 10)]
    table_runs = {setting_id for t in plan.tables for setting_id in plan.setting_ids("table", t)}
    # (100, 5) is the baseline, (10, 5) and (100, 10) are Table 2 rows: only (10, 10) is new
    assert len(set(plan.setting_ids("sweep", "fig5_clusters_d")) - table_runs) == 1
    # kappa 10 in a sweep equals kappa 10.0 in the config's defaults: one run, not two
    batch_kappa = plan.sweeps["fig5_batch_kappa"]["rows"]
    baseline = plan.tables["table2"]["rows"][0].runs["a"]
    assert [r.runs["diet_a"] for r in batch_kappa if r.cell == {"train.batch_size": 1024,
                                                                  "process.kappa": 10}] == [baseline]
    noise = plan.sweeps["fig6_label_noise"]
    s = plan.settings[noise["rows"][-1].runs["supervised"]]
    assert s.train.label_noise == 1.0 and s.train.method == "supervised"


@pytest.mark.parametrize("edit, where", [
    (lambda sw: sw["fig6_label_noise"]["axes"].update({"process.d": [5], "process.N": [10]}),
     r"synthetic\.sweeps\.fig6_label_noise\.axes"),
    (lambda sw: sw["fig6_label_noise"]["axes"].update({"model.depth": [1]}),
     r"synthetic\.sweeps\.fig6_label_noise\.axes"),
    (lambda sw: sw["fig6_label_noise"]["claims"][0].pop("min"),
     r"synthetic\.sweeps\.fig6_label_noise\.claims\.0"),
])
def test_schema_rejects_bad_sweeps(edit, where):
    cfg = _cfg()
    edit(cfg["synthetic"]["sweeps"])
    with pytest.raises(ConfigError, match=where):
        validate_config(cfg)


def test_plan_rejects_unknown_axis_setting_variant_and_claim_key():
    base = _cfg()["synthetic"]
    sec = copy.deepcopy(base)
    sec["sweeps"]["fig6_label_noise"]["axes"] = {"train.label_nosie": [0.1]}
    with pytest.raises(ValueError, match=r"sweeps\.fig6_label_noise.*label_nosie"):
        build_plan(sec)
    sec = copy.deepcopy(base)
    sec["sweeps"]["fig6_label_noise"]["variants"] = ["diet_x"]
    with pytest.raises(ValueError, match=r"unknown variant 'diet_x'"):
        build_plan(sec)
    sec = copy.deepcopy(base)
    sec["sweeps"]["fig6_label_noise"]["claims"][0]["where"] = {"process.kappa": [10]}
    with pytest.raises(ValueError, match=r"'process.kappa' is not an axis"):
        build_plan(sec)


def _layout_and_long(values: dict[tuple, list[float]], claims):
    """A one-axis sweep over label noise with given per-seed affine R² values (fractions)."""
    noise = sorted({k[0] for k in values})
    rows = [{"label": f"label_noise={p}", "cell": {"train.label_noise": p}, "runs": {"diet_a": f"r{p}"},
             "process": {}, "train": {"label_noise": p}} for p in noise]
    layout = {"sweep": "s", "title": "t", "seeds": [0, 1], "axes": [{"key": "train.label_noise", "values": noise}],
              "columns": [{"prefix": "diet_a", "variant": "diet_a", "w_norm": False}], "rows": rows,
              "metrics": ["r2_z"], "lines": [], "claims": claims}
    long = pd.DataFrame([{"row": noise.index(p), "column": "diet_a", "seed": s, "affine_r2_z": v,
                          "orthogonal_r2_z": 0.0}
                         for (p,), vs in values.items() for s, v in enumerate(vs)])
    return layout, long


def test_claims_hold_or_not_from_the_numbers():
    values = {(0.0,): [0.99, 0.97], (0.8,): [0.93, 0.91], (1.0,): [0.10, 0.30]}
    claims = [{"text": "robust", "metric": "r2_z", "where": {"train.label_noise": [0.0, 0.8]}, "min": 90},
              {"text": "collapse", "metric": "r2_z", "where": {"train.label_noise": [1.0]}, "max": 50},
              {"text": "too strict", "metric": "r2_z", "where": {"train.label_noise": [0.8]}, "min": 95},
              {"text": "drop", "metric": "r2_z", "where": {"train.label_noise": [1.0]},
               "reference": {"train.label_noise": 0.0}, "min_drop": 50}]
    layout, long = _layout_and_long(values, claims)
    summary = summarise(layout, long)
    assert summary["r2_z_mean"].tolist() == pytest.approx([98.0, 92.0, 20.0])
    assert summary["r2_z_std"].iloc[0] == pytest.approx(math.sqrt(2) * 1.0)   # std of 99, 97
    checked = check_claims(layout, summary)
    verdict = {c: summary_verdict(g.verdict) for c, g in checked.groupby("claim", sort=False)}
    # too strict: 92 ± 1.4 over 2 seeds, whose 95 % t-interval (half width 12.7) reaches 95
    assert verdict == {"robust": "holds", "collapse": "holds", "too strict": "inconclusive", "drop": "holds"}
    assert checked[checked.claim == "drop"].measured.item() == pytest.approx(20.0)
    # the same claim on two seeds that agree closely: the interval (90.05 ± 0.64) lies below 95
    layout, long = _layout_and_long({(0.0,): [0.99, 0.97], (0.8,): [0.900, 0.901], (1.0,): [0.10, 0.30]}, claims)
    checked = check_claims(layout, summarise(layout, long))
    assert checked[checked.claim == "too strict"].verdict.item() == "fails"
    assert "DOES NOT HOLD" in claims_markdown(checked) and "INCONCLUSIVE" not in claims_markdown(checked)


def test_figure_draws_one_panel_per_metric(tmp_path):
    values = {(0.0,): [0.99, 0.97], (1.0,): [0.10, 0.30]}
    layout, long = _layout_and_long(values, [])
    fig = figure(layout, summarise(layout, long))
    assert len([a for a in fig.axes if a.has_data()]) == 1


def test_stacks_group_settings_that_share_shapes_and_cover_every_run_once():
    section = _cfg()["synthetic"]
    by_seeds = build_plan(section)
    assert all(members == [sid] for sid, members in by_seeds.stacks.items())
    section["stack"] = {"by": "settings", "max_runs": 8}
    plan = build_plan(section)
    members = [setting_id for m in plan.stacks.values() for setting_id in m]
    assert sorted(members) == sorted(plan.settings)          # every run in exactly one stack
    assert len(plan.stacks) < len(plan.settings)
    for sid, ids in plan.stacks.items():
        assert len(ids) * len(plan.seeds) <= 8
        shapes = {(plan.settings[r].process.d, plan.settings[r].process.N, plan.settings[r].process.clusters,
                   plan.settings[r].train.method, plan.settings[r].train.batch_size) for r in ids}
        assert len(shapes) == 1, sid
        assert all(plan.stack_of(r) == sid for r in ids)
    # a stack may mix per-run switches and processes: here W normalised and not, and label noise
    mixed = [ids for ids in plan.stacks.values()
             if len({plan.settings[r].train.w_norm for r in ids}) > 1
             or len({plan.settings[r].train.label_noise for r in ids}) > 1]
    assert mixed
    cfg = _cfg()
    cfg["synthetic"]["stack"] = {"by": "shapes"}
    with pytest.raises(ConfigError, match=r"synthetic\.stack\.by"):
        validate_config(cfg)
