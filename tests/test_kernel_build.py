"""The compiled CPU kernels' build (identifiability/synthetic/kernel_build.py): keyed by content,
not by where the checkout is; one build at a time; a killed build blocks no one.

The slow tests do one real build (1.5-5 min on a 2-core CPU) into an empty cache folder
($IDENTIFIABILITY_KERNEL_CACHE), with the processes that use it started the way jobs would be.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from identifiability.synthetic import kernel_build as KB
from identifiability.synthetic import model as M

ROOT = Path(__file__).resolve().parent.parent
USE_KERNELS = ("from identifiability.synthetic import model as M\n"
               "import identifiability\n"
               "k = M.cpu_kernels()\n"
               "print('PACKAGE', identifiability.__file__)\n"
               "print('RESULT', None if k is None else k.__file__)\n")


def test_key_depends_on_content_and_flags_not_on_the_folder(tmp_path):
    for p in M.KERNEL_SOURCES:
        shutil.copy2(p, tmp_path / p.name)
    copies = [tmp_path / p.name for p in M.KERNEL_SOURCES]
    key = KB.build_key(M.KERNEL_SOURCES, M.KERNEL_CFLAGS, M.KERNEL_LDFLAGS, "flags: avx2")
    assert KB.build_key(copies, M.KERNEL_CFLAGS, M.KERNEL_LDFLAGS, "flags: avx2") == key
    assert KB.build_key(copies, M.KERNEL_CFLAGS, M.KERNEL_LDFLAGS, "flags: avx512f") != key
    assert KB.build_key(copies, M.KERNEL_CFLAGS[:-1], M.KERNEL_LDFLAGS, "flags: avx2") != key
    copies[0].write_text(copies[0].read_text() + "\n// edited\n")
    assert KB.build_key(copies, M.KERNEL_CFLAGS, M.KERNEL_LDFLAGS, "flags: avx2") != key


def test_cache_root_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(KB.CACHE_ENV, str(tmp_path / "k"))
    assert KB.cache_root() == tmp_path / "k"
    monkeypatch.delenv(KB.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert KB.cache_root() == tmp_path / "xdg" / "identifiability" / "kernels"


def test_kernels_built_with_fast_math_use_no_infinities():
    """-ffast-math assumes finite floats: the kernels' sources must not rely on infinities (their
    running maxima start at the lowest finite float) nor on NaN tests."""
    import re
    if "-ffast-math" in M.KERNEL_CFLAGS and "-fno-finite-math-only" not in M.KERNEL_CFLAGS:
        for source in M.KERNEL_SOURCES:
            text = source.read_text()
            assert not re.search(r"infinity\(\)|INFINITY|HUGE_VAL|isinf|isnan|quiet_NaN", text), source.name


def _start(cache: Path, log: Path, cwd: Path = ROOT, pythonpath: str | None = None) -> subprocess.Popen:
    env = dict(os.environ, IDENTIFIABILITY_KERNEL_CACHE=str(cache), IDENTIFIABILITY_FUSED_KERNEL="1")
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.Popen([sys.executable, "-c", USE_KERNELS], cwd=cwd, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _result(log: Path) -> dict[str, str]:
    lines = log.read_text().splitlines()
    return {line.split()[0]: line.split(maxsplit=1)[1] for line in lines if line.startswith(("RESULT", "PACKAGE"))}


def _kill_leftovers(base: Path) -> None:
    """End the compilers of the killed build that still run (ninja starts each in a process group
    of its own, so killing the job's group leaves them running; they work in folders under base)."""
    for proc in Path("/proc").iterdir():
        try:
            cwd = (proc / "cwd").resolve()
        except OSError:
            continue
        if proc.name.isdigit() and cwd.is_relative_to(base.resolve()):
            try:
                os.kill(int(proc.name), signal.SIGKILL)
            except OSError:
                pass


@pytest.fixture(scope="module")
def built_cache(tmp_path_factory):
    """An empty cache; a build started in it and killed, its process group (python and ninja) as
    a batch system or OOM kill would, leaving its compilers running; then two first uses at once."""
    base = tmp_path_factory.mktemp("kernels")
    cache = base / "cache"
    killed_log = base / "killed.log"
    killed = _start(cache, killed_log)
    deadline = time.time() + 120
    while "building" not in killed_log.read_text() and killed.poll() is None and time.time() < deadline:
        time.sleep(0.5)
    assert killed.poll() is None, killed_log.read_text()
    time.sleep(5)   # the compilers are running
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    logs = [base / "first.log", base / "second.log"]
    t0 = time.time()
    procs = [_start(cache, log) for log in logs]
    for proc in procs:
        proc.wait(timeout=1800)
    _kill_leftovers(base)
    return {"cache": cache, "logs": logs, "codes": [p.returncode for p in procs],
            "seconds": time.time() - t0, "base": base}


@pytest.mark.slow
def test_two_first_uses_at_once_build_once_and_load_the_same_library(built_cache):
    texts = [log.read_text() for log in built_cache["logs"]]
    assert built_cache["codes"] == [0, 0], texts
    results = [_result(log)["RESULT"] for log in built_cache["logs"]]
    assert results[0] == results[1] != "None", texts
    def says(text, start):
        return any(line.startswith(start) for line in text.splitlines())
    assert sum(says(t, "building the CPU kernels in") for t in texts) == 1, texts   # one built ...
    assert sum(says(t, "waiting for another process") for t in texts) == 1, texts   # ... the other waited
    builder = next(t for t in texts if says(t, "building the CPU kernels in"))
    assert says(builder, "built the CPU kernels in")
    (build_dir,) = [p for p in built_cache["cache"].iterdir() if p.is_dir()]   # one build folder
    (attempt,) = build_dir.glob("build-*")   # the killed attempt's folder is gone
    assert Path(results[0]).parent == attempt
    record = json.loads((build_dir / KB.MARKER).read_text())
    assert record["cflags"] == list(M.KERNEL_CFLAGS) and build_dir / record["library"] == Path(results[0])
    print(f"build took {record['seconds']} s; both uses done after {built_cache['seconds']:.0f} s")


@pytest.mark.slow
def test_a_second_checkout_reuses_the_build(built_cache):
    """The package copied to another folder (another checkout) loads the same build, no rebuild."""
    checkout = built_cache["base"] / "checkout2"
    shutil.copytree(ROOT / "identifiability", checkout / "identifiability",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (build_dir,) = [p for p in built_cache["cache"].iterdir() if p.is_dir()]
    marker_before = (build_dir / KB.MARKER).stat().st_mtime_ns
    log = built_cache["base"] / "checkout2.log"
    proc = _start(built_cache["cache"], log, cwd=checkout, pythonpath=str(checkout))
    assert proc.wait(timeout=600) == 0, log.read_text()
    result = _result(log)
    assert Path(result["PACKAGE"]).resolve().is_relative_to(checkout.resolve()), result   # the copy ran
    assert Path(result["RESULT"]).parent.parent == build_dir, log.read_text()
    assert "building" not in log.read_text() and "waiting" not in log.read_text()
    assert (build_dir / KB.MARKER).stat().st_mtime_ns == marker_before
