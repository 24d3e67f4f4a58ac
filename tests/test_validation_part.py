"""A validation part run by the workflow itself (`snakemake validation_part --config
validation_part='{name: <part>}'`): its config is the paper config reduced to the part's rows, its
evidence is written from the results, and its wall times come from the jobs' benchmark files."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

from identifiability.config import ConfigError, validate_config
from identifiability.validation.evidence import benchmark_span, part_timing
from identifiability.validation.parts import REPO, requested_part_config
from identifiability.synthetic.workflow import SyntheticPaths

BENCH_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def bench(path, seconds, end):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BENCH_HEADER + f"{seconds}\t0:00:00\t1\t1\t1\t1\t0\t0\t100\t{seconds}\n")
    os.utime(path, (end, end))


def test_a_jobs_span_is_its_benchmark_files_time_before_its_modification_time(tmp_path):
    bench(tmp_path / "a.bench.tsv", 120.5, 1_000_000.0)
    assert benchmark_span(tmp_path / "a.bench.tsv") == pytest.approx((1_000_000.0 - 120.5, 1_000_000.0))
    assert benchmark_span(tmp_path / "missing.bench.tsv") is None


def test_the_parts_wall_time_spans_its_jobs_and_leaves_out_an_earlier_parts_process_file(tmp_path):
    cfg = requested_part_config({"name": "d10_budget", "stack": "seeds"}, str(tmp_path))
    validate_config(cfg)
    paths = SyntheticPaths(cfg["synthetic"], f"{cfg['results']}/synthetic", cfg["threads"])
    plan = paths.plan
    t0 = 2_000_000.0
    (process,) = plan.processes
    bench(Path(paths.benchmark_file("generate", process)), 5, t0 - 86400)
    ends = []
    for k, sid in enumerate(plan.stacks):    # three jobs side by side, the last ending at t0 + 1000 + 20 k
        ends.append(t0 + 1000 + 20 * k)
        bench(Path(paths.benchmark_file("train", sid)), 1000, ends[-1])
    for t in plan.tables:
        bench(Path(paths.benchmark_file("table", t)), 3, max(ends) + 10)
    timing = part_timing(paths)
    assert [j["train_s"] for j in timing["jobs"]] == [1000] * len(plan.stacks)
    assert [j["runs"] for j in timing["jobs"]] == [3] * len(plan.stacks)
    # from the first training job's start to the last table's end; the day-old process file is not this part's
    assert timing["wall_s"] == pytest.approx(max(ends) + 10 - (t0 + 1000 - 1000))


def test_an_unknown_part_is_refused_naming_the_key_and_the_parts():
    with pytest.raises(ConfigError, match=r"validation_part\.name: 'nope' is not a part .*d10_budget"):
        requested_part_config({"name": "nope"}, "results")


@pytest.mark.slow
def test_snakemake_target_trains_a_part_and_writes_its_evidence(workflow_copy):
    """A tiny paper config and one part of it (the kappa = 5 row of Table 2, seed 0) in a copy of
    the workflow: the target trains the row through the workflow's own rules and writes the
    evidence the report reads; a second call has nothing to do."""
    from conftest import snakemake
    paper = yaml.safe_load((REPO / "configs" / "test.yaml").read_text())
    (workflow_copy / "configs" / "paper.yaml").write_text(yaml.safe_dump(paper))
    (workflow_copy / "configs" / "validation.yaml").write_text(yaml.safe_dump(
        {"parts": {"tiny": {"where": {"kappa": [5]}, "tables": ["table2"], "seeds": [0]},
                   "tiny_noise": {"sweep": "label_noise", "axes": {"train.label_noise": [1.0]}, "seeds": [0, 1],
                                  "train": {"steps": 40}}}}))
    (workflow_copy / "docs" / "validation").mkdir(parents=True)
    request = ["--config", "validation_part={name: tiny, stack: seeds}"]
    snakemake(workflow_copy, "validation_part", *request, timeout=600)
    out = workflow_copy / "docs" / "validation" / "parts" / "tiny"
    info = json.loads((out / "part.json").read_text())
    assert info["part"] == "tiny" and info["seeds"] == [0] and info["steps"] == [60]
    assert len(info["jobs"]) == 2 and all(j["train_s"] > 0 and j["runs"] == 1 for j in info["jobs"])
    assert info["wall_s"] >= max(j["train_s"] for j in info["jobs"])
    assert info["machine"].startswith(f"{os.cpu_count()} CPUs: ")
    runs = pd.read_csv(out / "table2.runs.csv")
    assert len(runs) == 2 and set(runs["seed"]) == {0} and runs["affine_r2_z"].between(-1, 1).all()
    curves = pd.read_csv(out / "curves.csv")
    assert set(curves["column"]) == {"o", "a"} and curves["step"].max() == 60
    ran = yaml.safe_load((out / "config.yaml").read_text())
    assert [r["process"] for r in ran["synthetic"]["tables"]["table2"]["rows"]] == [{"kappa": 5}]
    assert not (workflow_copy / "results" / "synthetic").exists()   # the part's results are apart
    assert (workflow_copy / "results" / "validation_tables" / "synthetic" / "tables" / "table2.csv").exists()
    again = snakemake(workflow_copy, "validation_part", *request, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr

    # a sweep part (the Appendix D findings): its sweep alone, at the part's axis values and budget
    snakemake(workflow_copy, "validation_part", "--config", "validation_part={name: tiny_noise, stack: seeds}",
              timeout=600)
    out = workflow_copy / "docs" / "validation" / "parts" / "tiny_noise"
    info = json.loads((out / "part.json").read_text())
    assert info["steps"] == [40] and info["seeds"] == [0, 1] and len(info["jobs"]) == 1
    layout = json.loads((out / "label_noise.layout.json").read_text())
    assert [a["values"] for a in layout["axes"]] == [[1.0]] and [c["text"] for c in layout["claims"]] == [
        "collapse at 100 % label noise"]
    assert len(pd.read_csv(out / "label_noise.runs.csv")) == 2
    from identifiability.validation.report import sweep_findings
    findings = "\n".join(sweep_findings(workflow_copy / "docs" / "validation"))
    assert "### `tiny_noise`: label noise (tiny)" in findings and "**collapse at 100 % label noise**" in findings


def test_the_target_without_a_part_says_how_to_name_one():
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "validation_part"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "--config validation_part='{name: <part>}'" in proc.stdout + proc.stderr


def test_a_sweep_part_keeps_its_axis_values_and_only_the_findings_about_them():
    from identifiability.validation.parts import part_config
    paper = yaml.safe_load((REPO / "configs" / "paper.yaml").read_text())
    cfg = part_config({"sweep": "fig6_label_noise", "axes": {"train.label_noise": [0.0, 0.8]},
                       "train": {"steps": 500}, "seeds": [0]}, "results/x", paper)
    syn = cfg["synthetic"]
    assert syn["tables"] == {} and list(syn["sweeps"]) == ["fig6_label_noise"] and syn["seeds"] == [0]
    sweep = syn["sweeps"]["fig6_label_noise"]
    assert sweep["axes"] == {"train.label_noise": [0.0, 0.8]} and sweep["base"]["train"]["steps"] == 500
    assert [(c["text"], c["where"]) for c in sweep["claims"]] == [
        ("robust to label noise up to 80 %", {"train.label_noise": [0.0, 0.8]})]   # no p = 1 run: no collapse claim
    with pytest.raises(ConfigError, match="'nope' is not a sweep"):
        part_config({"sweep": "nope"}, "results/x", paper)


@pytest.mark.slow
def test_a_dislib_part_runs_table4s_row_and_the_report_renders_it_from_its_evidence(workflow_copy):
    """Table 4's row as a part (a tiny stand-in, input and MLP, one seed): the target runs the
    DisLib family alone and writes its cells, each with its verdict and training record; the
    report's section is rebuilt from those files."""
    from conftest import snakemake
    from identifiability.validation.dislib import dislib_section
    paper = yaml.safe_load((REPO / "configs" / "paper.yaml").read_text())
    paper["dislib"]["train"] = {"batch_size": 64, "lr": 0.001, "max_epochs": 2, "early_stop_acc": 0.999}
    (workflow_copy / "configs" / "paper.yaml").write_text(yaml.safe_dump(paper))
    (workflow_copy / "configs" / "validation.yaml").write_text(yaml.safe_dump({"parts": {"tiny_dislib": {
        "dislib": {"datasets": ["dsprites_procedural"], "procedural": {"n_samples": 300, "seed": 0},
                   "models": ["input", "mlp"], "mem_mb": 2000}, "seeds": [0]}}}))
    (workflow_copy / "docs" / "validation").mkdir(parents=True)
    snakemake(workflow_copy, "validation_part", "--config", "validation_part={name: tiny_dislib, threads: 1}",
              timeout=900)
    out = workflow_copy / "docs" / "validation" / "parts" / "tiny_dislib"
    info = json.loads((out / "part.json").read_text())
    assert info["models"] == ["input", "mlp"] and [j["stack"] for j in info["jobs"]] == ["mlp/seed0"]
    assert info["wall_s"] >= info["jobs"][0]["train_s"] > 0
    cells = pd.read_csv(out / "table4.cells.csv")
    assert set(cells["verdict"]) <= {"match", "better", "short", "inconclusive"} and len(cells) == 2 * 4   # category, scale, posX, posY
    assert set(cells[cells["setting"].str.contains('"mlp"')]["steps"]) == {"2-2 epochs"}
    section = "\n".join(dislib_section(out))
    assert "## DisLib: the dSprites row of Table 4" in section and "| mlp | category |" in section
    assert "300 images of the procedural stand-in" in section
