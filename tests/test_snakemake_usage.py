"""The workflow as Snakemake users drive it: --config overrides, --configfile, use as a module of
another workflow, and a parse that imports no torch."""

import subprocess
import sys
import textwrap

import yaml

from conftest import REPO, snakemake


def _plan(workdir, *args, check=True):
    proc = snakemake(workdir, "-n", *args, check=check)
    return proc.returncode, proc.stdout + proc.stderr


def test_config_overrides_merge_over_config_yaml(workflow_copy):
    rc, out = _plan(workflow_copy, "--config", "threads=2")
    assert rc == 0 and "synthetic_train" in out
    # nested values are typed (YAML), validated and named in errors
    rc, out = _plan(workflow_copy, "--config", "synthetic={train: {lr: -0.5}}", check=False)
    assert rc != 0 and "synthetic.train.lr: -0.5 is less than or equal to the minimum of 0" in out
    rc, out = _plan(workflow_copy, "--config", "synthetic={train: {lr: 0.5}}")
    assert rc == 0 and "--lr 0.5" in snakemake(workflow_copy, "-n", "-p", "--config", "synthetic={train: {lr: 0.5}}").stdout
    # the rest of config.yaml is still there: its tables are planned
    assert "synthetic_theory" in out and "synthetic_genealogy" in out


def test_a_configfile_replaces_config_yaml(workflow_copy):
    cfg = yaml.safe_load((workflow_copy / "config.yaml").read_text())
    syn = cfg["synthetic"]
    small = {"results": "other", "synthetic": {k: syn[k] for k in ("seeds", "process", "train", "variants")}}
    small["synthetic"]["tables"] = {"table3": syn["tables"]["table3"]}
    (workflow_copy / "small.yaml").write_text(yaml.safe_dump(small))
    rc, out = _plan(workflow_copy, "--configfile", "small.yaml")
    assert rc == 0 and "other/synthetic/tables/table3.csv" in out
    # nothing of config.yaml leaks in: no table2, no theory, no sweeps
    for absent in ("table2", "synthetic_theory", "synthetic_sweep", "synthetic_genealogy"):
        assert absent not in out


def test_used_as_a_module_of_another_workflow(tmp_path):
    """An outer workflow includes this one with a prefix and runs its tiny config end to end
    (one table only, to keep it short)."""
    cfg = yaml.safe_load((REPO / "configs" / "test.yaml").read_text())
    cfg["synthetic"]["tables"] = {"table3": cfg["synthetic"]["tables"]["table3"]}
    for key in ("sweeps", "theory", "genealogy"):
        cfg["synthetic"].pop(key, None)
    (tmp_path / "inner.yaml").write_text(yaml.safe_dump(cfg))
    (tmp_path / "Snakefile").write_text(textwrap.dedent(f"""
        configfile: "inner.yaml"

        module repro:
            snakefile: "{REPO}/Snakefile"
            config: config
            prefix: "repro"

        use rule * from repro as repro_*

        rule all:
            input: "repro/results/synthetic/tables/table3.md"
            default_target: True
    """))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (tmp_path / "repro" / "results" / "synthetic" / "tables" / "table3.md").stat().st_size > 100


def test_parsing_the_rules_imports_no_torch(workflow_copy):
    """snakemake -n builds the plan without torch (stages import it when they run)."""
    code = ("import sys, snakemake.cli\n"
            "try:\n    snakemake.cli.main(['-n', '--cores', '1', '--quiet'])\n"
            "except SystemExit:\n    pass\n"
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=workflow_copy, capture_output=True, text=True, timeout=300)
    assert "NO-TORCH" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_unknown_method_stops_before_any_job_listing_the_known_ones(workflow_copy):
    rc, out = _plan(workflow_copy, "--config", "synthetic={variants: {gcl: {method: simclr}}}", check=False)
    assert rc != 0 and "synthetic.variants.gcl.method" in out
    for name in ("diet", "gcl", "infonce", "supervised", "tcl"):
        assert name in out
    assert not (workflow_copy / "results").exists()


def test_stage_flags_are_checked_with_the_schema_rules(tmp_path):
    out = tmp_path / "p.h5"
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "synthetic_generate.py"), "--seed", "0", "--out",
                           str(out), "--kappa", "-1"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--kappa: -1.0 is less than or equal to the minimum of 0" in proc.stderr
    assert not out.exists()
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "synthetic_train.py"), "--process", str(out),
                           "--out", str(tmp_path / "m.pt"), "--method", "simclr"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "--method" in proc.stderr and "infonce" in proc.stderr
