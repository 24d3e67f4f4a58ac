"""End-to-end runs of the Snakemake workflow on the tiny config (configs/test.yaml)."""
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import torch
import pytest

from conftest import snakemake


@pytest.mark.slow
def test_tiny_workflow_end_to_end_and_cached(workflow_copy):
    snakemake(workflow_copy)
    tables = workflow_copy / "results" / "synthetic" / "tables"
    t2 = pd.read_csv(tables / "table2.csv")
    assert list(t2["row"]) == ["baseline", "kappa=5"]
    assert t2["seeds"].eq(2).all()
    for col in ("o_r2_z_mean", "a_r2_z_mean", "o_mae_z_mean", "a_r2_w_mean"):
        assert col in t2 and t2[col].notna().all()
    # the tiny process (d = 3, |C| = 10, N = 40) is not the paper's: no paper value, no verdict
    assert t2["o_r2_z_paper"].isna().all() and pd.read_csv(tables / "table2_vs_paper.csv").empty
    # the theory table: one line per (case, prediction), every case, a verdict each
    theory = pd.read_csv(tables / "theory.csv")
    assert list(theory.columns) == ["case", "prediction", "setting", "measured_mean", "measured_std", "predicted",
                                    "seeds", "seeds_converged", "steps", "verdict"]
    assert set(theory.case) == {"C1", "C2", "C3", "C4", "supervised"}
    assert set(theory.verdict) <= {"holds", "fails", "inconclusive", "not applicable", "not converged"}
    assert (theory.seeds_converged <= theory.seeds).all()
    # a line is judged exactly when some seed's run converged (identifiability.verdicts.converged)
    judged = theory.verdict.isin(["holds", "fails", "inconclusive"])
    assert (judged <= (theory.seeds_converged > 0)).all()
    assert ((theory.verdict == "not converged") == (theory.seeds_converged == 0)).all()
    assert set(pd.read_csv(tables / "theory_kappa.csv").setting) == {'{"kappa": 5}', '{"kappa": 10}'}
    assert pd.read_csv(tables / "theory_diversity.csv").premise_holds.tolist().count(False) > 0
    # the genealogy: every method on the cluster-centric process, InfoNCE alone on its own
    gen = pd.read_csv(tables / "genealogy.csv")
    assert list(gen.columns) == ["process", "method", "seeds", "steps", "affine_r2_z_mean", "affine_r2_z_std",
                                 "orthogonal_r2_z_mean", "mae_z_mean", "r2_w_mean", "wall_s"]
    assert gen[gen.process == "cluster_centric"].method.tolist() == ["diet", "supervised", "infonce", "tcl", "gcl"]
    assert gen[gen.process == "infonce"].method.tolist() == ["infonce"]
    assert gen.set_index("method").loc["infonce", "r2_w_mean"].isna().all() and gen.wall_s.gt(0).all()
    for ext in ("md", "tex"):
        assert (tables / f"table2.{ext}").stat().st_size > 100
    for ext in ("pdf", "png"):
        assert (workflow_copy / "results" / "synthetic" / "figures" / f"table3.{ext}").stat().st_size > 1000
    # Appendix D sweeps: a line plot (one axis) and heat maps (two axes), claims checked
    sweeps = workflow_copy / "results" / "synthetic" / "sweeps"
    noise = pd.read_csv(sweeps / "label_noise.csv")
    assert noise["train.label_noise"].tolist() == [0.0, 1.0] and noise["seeds"].eq(2).all()
    claims = pd.read_csv(sweeps / "label_noise_claims.csv")
    assert claims["claim"].tolist() == ["collapse at 100 % label noise"]
    assert "stated findings, checked" in (sweeps / "label_noise.md").read_text()
    heat = pd.read_csv(sweeps / "kappa_batch.csv")
    assert len(heat) == 4 and heat["mean_feature_norm_mean"].gt(0).all()
    # sweep cells equal to Table 2 cells are the same runs, with the same numbers
    a = t2.set_index("row").loc["kappa=5", "a_r2_z_mean"]
    assert heat.query("variant == 'diet_a' and `process.kappa` == 5")["r2_z_mean"].item() == pytest.approx(a)
    for ext in ("pdf", "png"):
        assert (workflow_copy / "results" / "synthetic" / "figures" / f"kappa_batch.{ext}").stat().st_size > 1000
    # settings sharing shapes trained together (configs/test.yaml: stack by settings), yet every
    # run has its own model folder and metrics
    synthetic = workflow_copy / "results" / "synthetic"
    stacks = list((synthetic / "models").iterdir())
    assert len(stacks) < len(list((synthetic / "runs").iterdir()))
    assert len(list(synthetic.glob("models/*/*/seed*/model.pt"))) == len(list(synthetic.glob("runs/*/seed*/metrics.json")))
    # provenance: every metrics file says what made it
    metrics = next((workflow_copy / "results" / "synthetic" / "runs").glob("*/seed0/metrics.json"))
    m = json.loads(metrics.read_text())
    assert m["seed"] == 0 and "process.kappa" in m and "train.lr" in m
    # a self-contained HTML report of the figures, with their captions
    snakemake(workflow_copy, "--report", "report.html")
    html = (workflow_copy / "report.html").read_text()
    for name in ("table2.png", "kappa_batch.png", "label_noise.png", "Appendix D sweep", "Reizinger",
                 "theory_kappa.png", "genealogy.png", "table2.csv", "theory.csv", "genealogy.csv"):
        assert name in html, name
    # nothing left to do on a second call: every artifact is cached
    again = snakemake(workflow_copy, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr
    # a new seed is a YAML edit and only adds work
    cfg = (workflow_copy / "config.yaml").read_text().replace("seeds: [0, 1]", "seeds: [0, 1, 2]")
    (workflow_copy / "config.yaml").write_text(cfg)
    plan = snakemake(workflow_copy, "-n")
    out = plan.stdout + plan.stderr
    assert "synthetic_generate" in out and "synthetic_train" in out


@pytest.mark.slow
def test_interrupted_workflow_completes_on_rerun(workflow_copy):
    cfg = (workflow_copy / "config.yaml").read_text().replace("steps: 60", "steps: 3000")
    (workflow_copy / "config.yaml").write_text(cfg)
    job = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=workflow_copy,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    synthetic = workflow_copy / "results" / "synthetic"
    deadline = time.time() + 300
    while time.time() < deadline and not list(synthetic.glob("checkpoints/*/*/seed*/checkpoint.pt")):
        time.sleep(0.2)
    assert list(synthetic.glob("checkpoints/*/*/seed*/checkpoint.pt")), "training never wrote a checkpoint"
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    # no finished-looking file from the killed job: every model present is complete and loadable

    for model in synthetic.glob("models/*/*/seed*/model.pt"):
        assert torch.load(model, weights_only=False)["steps"] == 3000
    # a hard kill (power loss, preemption) leaves Snakemake's lock behind: unlock, then rerun;
    # the workflow profile sets rerun-incomplete, and training resumes from the checkpoints
    snakemake(workflow_copy, "--unlock")
    snakemake(workflow_copy, timeout=1800)
    assert (workflow_copy / "results" / "synthetic" / "tables" / "table3.csv").exists()
    assert not list(synthetic.glob("checkpoints/*/*/seed*/checkpoint.pt"))
    assert len(list(synthetic.glob("models/*/*/seed*/model.pt"))) == len(list(synthetic.glob("runs/*/seed*/metrics.json")))


def test_bad_config_stops_before_any_job_with_the_key_named(workflow_copy):
    cfg = (workflow_copy / "config.yaml").read_text().replace("lr: 0.003", "lr: -0.003")
    (workflow_copy / "config.yaml").write_text(cfg)
    proc = snakemake(workflow_copy, "-n", check=False)
    assert proc.returncode != 0
    assert "synthetic.train.lr" in proc.stdout + proc.stderr
    assert not (workflow_copy / "results").exists()


def _planned_jobs(workdir) -> dict[str, int]:
    """Rule -> number of jobs a dry run would run now (Snakemake's "Job stats")."""
    proc = snakemake(workdir, "-n")
    out = proc.stdout + proc.stderr
    if "Nothing to be done" in out:
        return {}
    block = out.split("Job stats:")[1].split("\n\n")[0]
    counts = {}
    for line in block.splitlines()[3:]:
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] != "total":
            counts[parts[0]] = int(parts[1])
    return counts


@pytest.mark.slow
def test_stacked_by_seeds_a_changed_setting_reruns_only_what_depends_on_it(workflow_copy):
    """The default's job layout (stack by seeds: a training job per setting, which also extracts
    and fits its runs): every run gets its folder and metrics from its own training job, and
    changing one setting reruns exactly the jobs that depend on it, never another run."""
    import yaml
    cfg_path = workflow_copy / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    syn = cfg["synthetic"]
    syn["stack"] = {"by": "seeds"}
    for name in ("theory", "genealogy", "sweeps"):
        syn.pop(name, None)
    syn["tables"] = {k: syn["tables"][k] for k in ("table2", "table3")}
    cfg_path.write_text(yaml.safe_dump(cfg))
    # table2: (baseline, kappa 5) x (o, a), table3: baseline supervised = 5 settings on 2 processes
    assert _planned_jobs(workflow_copy) == {"synthetic_generate": 2, "synthetic_train": 5, "synthetic_layout": 2,
                                            "synthetic_table": 2, "all": 1}
    snakemake(workflow_copy)
    synthetic = workflow_copy / "results" / "synthetic"
    runs = sorted(p.name for p in (synthetic / "runs").iterdir())
    assert runs == sorted(p.name for p in (synthetic / "models").iterdir()) and len(runs) == 5
    metrics = sorted(synthetic.glob("runs/*/seed*/metrics.json"))
    assert len(metrics) == 10 and len(list(synthetic.glob("runs/*/seed*/representations.h5"))) == 10
    assert not (workflow_copy / "results" / "logs" / "synthetic" / "evaluate").exists()
    before = {p: p.stat().st_mtime_ns for p in synthetic.glob("runs/*/seed*/*")}
    assert _planned_jobs(workflow_copy) == {}
    # Table 2's second row moves from kappa 5 to kappa 7: one new process, its two settings, Table 2
    syn["tables"]["table2"]["rows"][1] = {"process": {"kappa": 7}}
    cfg_path.write_text(yaml.safe_dump(cfg))
    assert _planned_jobs(workflow_copy) == {"synthetic_generate": 1, "synthetic_train": 2, "synthetic_layout": 1,
                                            "synthetic_table": 1, "all": 1}
    # a training setting of one variant (supervised's label noise): its one setting and Table 3
    syn["variants"]["supervised"]["label_noise"] = 0.1
    cfg_path.write_text(yaml.safe_dump(cfg))
    assert _planned_jobs(workflow_copy) == {"synthetic_generate": 1, "synthetic_train": 3, "synthetic_layout": 2,
                                            "synthetic_table": 2, "all": 1}
    snakemake(workflow_copy)
    # the three unchanged settings' files were not touched; the old runs keep their folders
    assert {p: p.stat().st_mtime_ns for p in before} == before
    assert len(list((synthetic / "runs").iterdir())) == 8
