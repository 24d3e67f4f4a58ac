"""The workflow as Snakemake users drive it: --config overrides, --configfile, use as a module of
another workflow, and a parse that imports no torch."""

import os
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


def _outer_workflow(tmp_path, module_options: str = "") -> None:
    """An outer workflow using this one as a module (prefix repro), with a rule of its own that
    writes its environment, and the tiny config reduced to one table."""
    cfg = yaml.safe_load((REPO / "configs" / "test.yaml").read_text())
    cfg["synthetic"]["tables"] = {"table3": cfg["synthetic"]["tables"]["table3"]}
    for key in ("sweeps", "theory", "genealogy"):
        cfg["synthetic"].pop(key, None)
    (tmp_path / "outer.yaml").write_text(yaml.safe_dump({"repro": cfg}))
    (tmp_path / "Snakefile").write_text(textwrap.dedent(f"""
        configfile: "outer.yaml"

        module repro:
            snakefile: "{REPO}/Snakefile"
            config: config["repro"]
            prefix: "repro"
            {module_options}

        use rule * from repro as repro_*

        rule outer_env:
            output: "outer_env.txt"
            shell: "echo PYTHONPATH=${{{{PYTHONPATH:-}}}} > {{output}}; echo PATH=$PATH >> {{output}}"

        rule all:
            input: "repro/results/synthetic/tables/table3.md", "outer_env.txt"
            default_target: True
    """))


def _outer_env() -> dict:
    """The environment of the outer snakemake: no PYTHONPATH, PATH without this project's venv."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    bin_dir = os.path.dirname(sys.executable)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != bin_dir)
    return env


def test_used_as_a_module_of_another_workflow(tmp_path):
    """An outer workflow includes this one with a prefix and runs its tiny config end to end (one
    table only, to keep it short), with a --config of its own on the command line; its own rule
    sees the environment it was started with, nothing of the module's."""
    _outer_workflow(tmp_path)
    env = _outer_env()
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--config", "foo=1"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (tmp_path / "repro" / "results" / "synthetic" / "tables" / "table3.md").stat().st_size > 100
    seen = dict(line.split("=", 1) for line in (tmp_path / "outer_env.txt").read_text().splitlines())
    assert seen["PYTHONPATH"] == "" and str(REPO) not in seen["PATH"]
    assert seen["PATH"] == env["PATH"]


def test_the_outer_command_line_config_stays_the_outer_workflows(tmp_path):
    _outer_workflow(tmp_path)
    for extra in (["--config", "foo=1"], ["--config", "repro={threads: 2}"]):
        proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-p", "--cores", "4", *extra], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300, env=_outer_env())
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        # what the outer workflow passes is the module's config: its threads reach the training job
        assert ("--threads 2" in proc.stdout) == ("repro={threads: 2}" in extra)


def test_a_module_with_skip_validation_is_not_validated(tmp_path):
    """skip_validation: the module takes the config it is given as it is (here with a key the
    schema does not know, which validation would refuse)."""
    _outer_workflow(tmp_path)
    cfg = yaml.safe_load((tmp_path / "outer.yaml").read_text())
    from identifiability.config import validate_config
    validate_config(cfg["repro"])   # complete, as skip_validation requires (no defaults are filled in)
    cfg["repro"]["not_a_setting"] = 1
    (tmp_path / "outer.yaml").write_text(yaml.safe_dump(cfg))
    run = lambda: subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1"], cwd=tmp_path,  # noqa: E731
                                 capture_output=True, text=True, timeout=300, env=_outer_env())
    refused = run()
    assert refused.returncode != 0 and "not_a_setting" in refused.stdout + refused.stderr
    _outer_workflow(tmp_path, module_options="skip_validation: True")
    (tmp_path / "outer.yaml").write_text(yaml.safe_dump(cfg))
    accepted = run()
    assert accepted.returncode == 0, accepted.stdout[-3000:] + accepted.stderr[-3000:]


def test_a_partial_configfile_says_that_it_replaces_config_yaml(workflow_copy):
    (workflow_copy / "partial.yaml").write_text("threads: 2\n")
    rc, out = _plan(workflow_copy, "--configfile", "partial.yaml", check=False)
    assert rc != 0 and "'results' is a required property" in out
    assert "a --configfile replaces this workflow's config.yaml" in out and "cp config.yaml my.yaml" in out


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
