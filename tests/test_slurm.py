"""The workflow on a real SLURM cluster: `snakemake --profile profiles/slurm` on the tiny config.

A single-node cluster (munged, slurmctld, slurmd from Debian's packages) is started on localhost
by tests/slurm/start_cluster.sh and stopped by tests/slurm/stop_cluster.sh. It has no accounting
database (no sacct data), so this also checks that the profile's squeue status polling works.
Needs root (daemons, apt-get install); skipped where that or apt-get is missing.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "tests" / "slurm"
# the tiny config's rules that must run as SLURM jobs; `all` is a local target rule, and
# synthetic_layout (a small `run:` rule) is declared local
SLURM_RULES = {"synthetic_generate", "synthetic_train", "synthetic_evaluate", "synthetic_table",
               "synthetic_sweep", "synthetic_theory", "synthetic_genealogy"}
MAYBE_LOCAL = {"synthetic_layout"}


def _skip_reason():
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "SLURM test needs root (it installs Debian packages and starts munged/slurmctld/slurmd)"
    if shutil.which("apt-get") is None:
        return "SLURM test needs apt-get to install Debian's slurmctld, slurmd, slurm-client and munge"
    return None


pytestmark = [pytest.mark.slow, pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))]


def _free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _tail(path, n=40):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return f"({path} unreadable)"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie has exited; read its state so it does not count as running
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


@pytest.fixture
def slurm_cluster():
    """A running single-node SLURM cluster; yields its state folder and client environment."""
    # short path: the munge socket lives in it and Unix socket paths are limited to 108 bytes
    state = Path(tempfile.mkdtemp(prefix="slurm", dir="/tmp"))
    ctld_port, slurmd_port = _free_ports(2)
    script_env = {**os.environ, "SLURMCTLD_PORT": str(ctld_port), "SLURMD_PORT": str(slurmd_port)}
    start_log = state.parent / f"{state.name}-start.log"
    pids = {}
    try:
        # the daemons inherit the script's stdout/stderr: a file, not a pipe that would never close
        with open(start_log, "w") as log:
            proc = subprocess.run(["bash", str(SCRIPTS / "start_cluster.sh"), str(state)],
                                  stdout=log, stderr=subprocess.STDOUT, env=script_env, timeout=900)
        for name, rel in (("munged", "munge/munged.pid"), ("slurmctld", "slurmctld.pid"),
                          ("slurmd", "slurmd.pid")):
            if (state / rel).exists():
                pids[name] = int((state / rel).read_text().strip())
        assert proc.returncode == 0, (
            f"start_cluster.sh failed ({proc.returncode}):\n{_tail(start_log)}\n"
            f"slurmctld.log:\n{_tail(state / 'slurmctld.log')}\nslurmd.log:\n{_tail(state / 'slurmd.log')}"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SNAKEMAKE_SLURM"))}
        for line in (state / "env").read_text().splitlines():  # SLURM_CONF=...
            key, _, value = line.partition("=")
            env[key] = value
        yield {"state": state, "env": env}
    finally:
        subprocess.run(["bash", str(SCRIPTS / "stop_cluster.sh"), str(state)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        left = {name: pid for name, pid in pids.items() if _alive(pid)}
        shutil.rmtree(state, ignore_errors=True)
        start_log.unlink(missing_ok=True)
        assert not left, f"SLURM daemons still running after stop_cluster.sh: {left}"


def test_workflow_runs_through_slurm(workflow_copy, slurm_cluster):
    env, state = slurm_cluster["env"], slurm_cluster["state"]
    # The repo profile as is; only its timing is tightened for a fast test on one small node.
    cmd = [
        sys.executable, "-m", "snakemake", "--profile", "profiles/slurm",
        "--jobs", "4", "--latency-wait", "5", "--retries", "0",
        "--seconds-between-status-checks", "3", "--slurm-init-seconds-before-status-checks", "3",
        "--slurm-keep-successful-logs",
    ]
    try:
        proc = subprocess.run(cmd, cwd=workflow_copy, env=env, capture_output=True, text=True, timeout=1500)
    except subprocess.TimeoutExpired as exc:
        queue = subprocess.run(["squeue", "--states=all"], env=env, capture_output=True, text=True)
        raise AssertionError(f"snakemake on SLURM timed out\n{queue.stdout}\n{_tail(state / 'slurmctld.log')}") from exc
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, (
        f"snakemake --profile profiles/slurm failed ({proc.returncode}):\n{out[-5000:]}\n"
        f"slurmctld.log:\n{_tail(state / 'slurmctld.log')}"
    )

    # the results, as in the local end-to-end test
    tables = workflow_copy / "results" / "synthetic" / "tables"
    t2 = pd.read_csv(tables / "table2.csv")
    assert list(t2["row"]) == ["baseline", "kappa=5"]
    assert t2["o_r2_z_mean"].notna().all() and t2["seeds"].eq(2).all()
    assert (tables / "table3.csv").exists()
    for table in ("table2", "table3"):
        for ext in ("md", "tex"):
            assert (tables / f"{table}.{ext}").stat().st_size > 100
        for ext in ("pdf", "png"):
            assert (workflow_copy / "results" / "synthetic" / "figures" / f"{table}.{ext}").stat().st_size > 1000

    # the jobs went through SLURM: submitted with sbatch, one SLURM log per job, known to slurmctld
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", out)
    assert len(submitted) >= 20, f"only {len(submitted)} SLURM submissions:\n{out[-3000:]}"
    logs_root = workflow_copy / ".snakemake" / "slurm_logs"
    logs = sorted(logs_root.rglob("*.log"))
    assert {p.stem for p in logs} == set(submitted)
    rule_dirs = {p.relative_to(logs_root).parts[0] for p in logs}
    assert {f"rule_{r}" for r in SLURM_RULES} <= rule_dirs <= {f"rule_{r}" for r in SLURM_RULES | MAYBE_LOCAL}

    # slurmctld still knows every job (MinJobAge=300): all completed, and training asked for a GPU
    jobs = subprocess.run(["scontrol", "show", "job", "--oneliner"], env=env,
                          capture_output=True, text=True, timeout=60).stdout.splitlines()
    jobs = {re.search(r"JobId=(\d+)", line).group(1): line for line in jobs if "JobId=" in line}
    assert set(submitted) <= set(jobs), f"jobs unknown to slurmctld: {set(submitted) - set(jobs)}"
    for jid in submitted:
        assert "JobState=COMPLETED" in jobs[jid], jobs[jid]
    train = [jobs[j] for j in submitted if "Comment=rule_synthetic_train" in jobs[j]]
    assert train, "no synthetic_train job in slurmctld's job list"
    assert all("gpu" in line for line in train), train[0]
    assert not any("gpu" in line for line in (jobs[j] for j in submitted) if "Comment=rule_synthetic_evaluate" in line)
