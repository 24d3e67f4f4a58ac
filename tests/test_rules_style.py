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


def test_every_report_caption_renders_without_restructuredtext_errors():
    """The captions of `snakemake --report` (report/*.rst, Jinja templates) render cleanly: no
    system message from docutils (e.g. |C| read as an undefined substitution)."""
    import io
    import types

    import docutils.core
    import jinja2

    wildcards = types.SimpleNamespace(table="table2", sweep="fig6_label_noise", dataset="dsprites", model="mlp")
    for caption in sorted((REPO / "report").glob("*.rst")):
        text = jinja2.Template(caption.read_text()).render(snakemake=types.SimpleNamespace(
            wildcards=wildcards, config={}, params=types.SimpleNamespace()))
        errors = io.StringIO()
        docutils.core.publish_doctree(text, settings_overrides={"warning_stream": errors, "report_level": 1})
        assert errors.getvalue() == "", f"{caption.name}: {errors.getvalue()}"
