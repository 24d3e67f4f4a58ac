"""Build a torch C++ extension once per content, shared safely between checkouts and processes.

torch.utils.cpp_extension keys its build folder by the extension's name and writes the absolute
source paths into build.ninja, so two checkouts on one machine (or cluster nodes sharing a home
folder) that load the same name rebuild each other's extension. Here instead:

- the build folder is ``<cache>/<digest>/``, the digest covering the sources' names and bytes,
  the compiler and linker flags, the torch and Python versions and the CPU's instruction sets
  (the code is built with -march=native); ``<cache>`` is ``$IDENTIFIABILITY_KERNEL_CACHE``, else
  ``$XDG_CACHE_HOME/identifiability/kernels``, else ``~/.cache/identifiability/kernels``;
- the sources are copied into that folder and built from there, so the build does not depend on
  where the checkout lives: a second checkout with the same sources loads the first one's build;
- the build runs under an exclusive lock (``<cache>/<digest>.lock``, an OS advisory lock that
  is released when its holder dies, killed or not): a concurrent first use waits for the build
  and then loads it;
- each attempt builds in a folder of its own, ``<cache>/<digest>/build-<pid>-<time>/``, and the
  next attempt deletes those of interrupted ones: compilers left running by a killed build (ninja
  starts them in process groups of their own, so killing the job's group can miss them) write
  into a deleted folder and fail, never into the files of a later build;
- a finished build is marked by ``<cache>/<digest>/BUILT.json`` (written atomically, last; it
  names the library); with it present the library is imported directly, without a compiler,
  ninja or the lock.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import time
import uuid
import warnings
from pathlib import Path

CACHE_ENV = "IDENTIFIABILITY_KERNEL_CACHE"
MARKER = "BUILT.json"
LOCK_TIMEOUT_S = 3600.0   # how long to wait for another process's build before giving up


def cache_root() -> Path:
    """Where builds are kept (see the module docstring)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "identifiability" / "kernels"


def build_key(sources, cflags, ldflags, cpu_flags: str) -> str:
    """Digest of everything the built library depends on."""
    import torch
    h = hashlib.sha256()
    for part in ([torch.__version__, sys.implementation.cache_tag, sys.platform, cpu_flags]
                 + list(cflags) + ["--ldflags"] + list(ldflags)):
        h.update(part.encode() + b"\0")
    for path in sources:
        path = Path(path)
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _built_library(build_dir: Path) -> Path | None:
    """The library of a finished build in ``build_dir``, or None (no build, an unfinished one, or
    its files gone)."""
    try:
        path = build_dir / json.loads((build_dir / MARKER).read_text())["library"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return path if path.is_file() else None


def _import_library(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_extension(name: str, sources, cflags, ldflags, cpu_flags: str, *,
                   what: str = "the extension", expected: str = "", stream=None):
    """Import the extension built from ``sources`` with these flags, building it first if no
    finished build with the same digest exists (at most one process builds; the others wait).

    ``name`` is a prefix of the module's name (the digest is appended). ``expected`` says how
    long a build takes; the messages (on ``stream``, default stderr) say when a build starts,
    when another process's build is being waited for, and how long the build took.
    """
    from filelock import FileLock, Timeout

    stream = stream or sys.stderr
    sources = [Path(s) for s in sources]
    key = build_key(sources, cflags, ldflags, cpu_flags)
    module_name = f"{name}_{key}"
    root = cache_root()
    build_dir = root / key
    if (library := _built_library(build_dir)) is not None:
        return _import_library(module_name, library)

    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / f"{key}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"waiting for another process that is building {what} in {build_dir}",
              file=stream, flush=True)
        lock.acquire(timeout=LOCK_TIMEOUT_S)
    try:
        if (library := _built_library(build_dir)) is not None:   # built by the process waited for
            return _import_library(module_name, library)
        # no finished build: delete what interrupted attempts left (renamed first, so that their
        # compilers, if still running, find no folder to write to), build in a folder of our own
        if build_dir.is_dir():
            for stale in build_dir.iterdir():
                if stale.is_dir():
                    trash = build_dir / f"stale-{uuid.uuid4().hex}"
                    stale.rename(trash)
                    shutil.rmtree(trash, ignore_errors=True)
                else:
                    stale.unlink(missing_ok=True)
        attempt = build_dir / f"build-{os.getpid()}-{time.strftime('%Y%m%d%H%M%S')}"
        (attempt / "src").mkdir(parents=True)
        copies = []
        for path in sources:
            shutil.copy2(path, attempt / "src" / path.name)
            copies.append(str(attempt / "src" / path.name))
        print(f"building {what} in {build_dir} (once per machine and kernel version; "
              f"{expected or 'a few minutes'})", file=stream, flush=True)
        t0 = time.perf_counter()
        from torch.utils.cpp_extension import load
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = load(name=module_name, sources=copies, extra_cflags=list(cflags),
                          extra_ldflags=list(ldflags), build_directory=str(attempt), verbose=False)
        seconds = time.perf_counter() - t0
        library = Path(module.__file__).resolve().relative_to(build_dir.resolve())
        record = {"module": module_name, "library": str(library), "seconds": round(seconds, 1),
                  "cflags": list(cflags), "ldflags": list(ldflags), "sources": [p.name for p in sources],
                  "built_at": time.strftime("%Y-%m-%d %H:%M:%S"), "pid": os.getpid()}
        tmp = build_dir / f".{MARKER}.{os.getpid()}"
        tmp.write_text(json.dumps(record, indent=1) + "\n")
        os.replace(tmp, build_dir / MARKER)
        print(f"built {what} in {seconds:.0f} s", file=stream, flush=True)
        return module
    finally:
        lock.release()
