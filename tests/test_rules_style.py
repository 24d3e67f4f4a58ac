"""The rule files as the Snakemake community checks them: `snakemake --lint` finds nothing, and
`snakefmt --check` (its settings in pyproject.toml, [tool.snakefmt]) would change nothing."""

import subprocess
import sys

import pytest

from conftest import REPO


def test_snakefmt_leaves_the_snakefile_and_rules_unchanged():
    proc = subprocess.run([sys.executable, "-m", "snakefmt", "--check", "Snakefile", "rules/"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("config", [[], ["--configfile", "configs/paper.yaml"]], ids=["default", "paper"])
def test_snakemake_lint_finds_nothing(config):
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint", *config], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Lints for" not in out, out
