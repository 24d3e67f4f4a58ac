import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WORKFLOW_FILES = ["Snakefile", "rules", "schemas", "scripts", "reference", "configs", "profiles", "report", "envs"]


@pytest.fixture
def workflow_copy(tmp_path):
    """A copy of the workflow in a temp folder, with the tiny test config as its config.yaml."""
    for name in WORKFLOW_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name)
        elif src.exists():
            shutil.copy(src, tmp_path / name)
    shutil.copy(REPO / "configs" / "test.yaml", tmp_path / "config.yaml")
    return tmp_path


def snakemake(workdir, *args, timeout=900, check=True):
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc
