"""How a training run's matrix products are computed ("products"), decided once per run.

The training setting ``cpu_matmul`` (float32 | bfloat16 | auto) says what a user asks for; what the
products then really are depends on the machine, and it changes the numbers a run gives. So the
workflow resolves the request when it plans (here, without importing torch into Snakemake), the
run's id names the result, and the training job computes exactly that or stops
(``identifiability.device.check_products``). The resolved value is one of

- ``float32``: float32 products by torch's own BLAS (Intel's MKL on the CPU, cuBLAS on a GPU):
  every run made before this distinction existed, whose ids are unchanged;
- ``float32-openblas``: the encoder's float32 products by numpy's OpenBLAS (on CPUs where it is
  the faster library for one-thread jobs, ``identifiability.device.cpu_blas``);
- ``bfloat16-onednn``: the encoder's hidden products with bfloat16 inputs, float32 accumulation
  and float32 outputs, by oneDNN's ``fp32_precision = "bf16"`` switch on float32 tensors (this
  reaches the bfloat16 units of Intel CPUs with AMX);
- ``bfloat16-tensors``: the same products on explicit bfloat16 tensors (bfloat16 outputs, cast
  back to float32): where the switch changes nothing, as on AMD CPUs with AVX-512 BF16.

``auto`` takes bfloat16-onednn where the switch is measured to change a product, else
bfloat16-tensors where a bfloat16 product is measured to run at least ``TENSORS_MIN_SPEEDUP``
times as fast as a float32 one, else float32 (with the BLAS below). An explicit ``bfloat16`` is
always honoured (by the switch where it works, else by tensors, slow where the CPU has no
bfloat16 units: the training log says so). On a GPU every request is ``float32``. The float32
layers' library (float32 requests only): ``IDENTIFIABILITY_CPU_BLAS`` (mkl | openblas) where
set, else OpenBLAS for one-thread jobs on CPUs that are not Intel's when numpy's BLAS is
OpenBLAS, else torch's.

What the machine does is measured by ``python -m identifiability.device --probe`` (a few small
products, about 3 s with torch's import) and kept per machine, torch and numpy in
``<cache>/identifiability/machine/<key>.json`` (``$XDG_CACHE_HOME`` or ``~/.cache``), so a
workflow plans without importing torch after the first time.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

PRODUCTS = ("float32", "float32-openblas", "bfloat16-onednn", "bfloat16-tensors")
CPU_MATMUL = ("float32", "bfloat16", "auto")
CPU_BLAS = ("mkl", "openblas")
BLAS_ENV = "IDENTIFIABILITY_CPU_BLAS"
TENSORS_MIN_SPEEDUP = 1.5   # measured 3.4x on an AMD EPYC with AVX-512 BF16 (docs/performance.md)


def precision_of(products: str) -> str:
    """float32 or bfloat16: the precision of a run's hidden products."""
    return products.split("-")[0]


def blas_override() -> str | None:
    """``IDENTIFIABILITY_CPU_BLAS`` (mkl | openblas), or None where unset or auto."""
    requested = os.environ.get(BLAS_ENV, "auto")
    if requested not in (*CPU_BLAS, "auto"):
        raise ValueError(f"{BLAS_ENV} must be one of {[*CPU_BLAS, 'auto']}, got {requested!r}")
    return None if requested == "auto" else requested


def resolve_products(cpu_matmul: str, device: str, threads: int | None, machine: dict | None) -> str:
    """The products a run requesting ``cpu_matmul`` gets on ``device`` (cpu | cuda | auto) with
    ``threads`` CPU threads, on the machine ``machine`` describes (``machine_probe``'s keys: cuda,
    onednn_bfloat16, tensors_speedup, openblas_faster; unused on cuda)."""
    if cpu_matmul not in CPU_MATMUL:
        raise ValueError(f"cpu_matmul must be one of {list(CPU_MATMUL)}, got {cpu_matmul!r}")
    if device == "cuda" or (device == "auto" and machine["cuda"]):
        return "float32"
    if cpu_matmul == "bfloat16" or (cpu_matmul == "auto" and (
            machine["onednn_bfloat16"] or machine["tensors_speedup"] >= TENSORS_MIN_SPEEDUP)):
        return "bfloat16-onednn" if machine["onednn_bfloat16"] else "bfloat16-tensors"
    blas = blas_override() or ("openblas" if (threads or 1) == 1 and machine["openblas_faster"] else "mkl")
    return "float32-openblas" if blas == "openblas" else "float32"


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "identifiability" / "machine"


def _machine_key() -> str:
    """What a probe's answer depends on: the CPU (model and instruction sets), the interpreter,
    torch's and numpy's versions, and which GPUs the process may see."""
    h = hashlib.sha256()
    try:
        cpuinfo = [line for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.split(":")[0].strip() in ("model name", "flags")][:2]
    except OSError:
        import platform
        cpuinfo = [platform.processor(), platform.machine()]
    versions = []
    for package in ("torch", "numpy"):
        try:
            versions.append(importlib.metadata.version(package))
        except importlib.metadata.PackageNotFoundError:
            versions.append("")
    gpus = [os.environ.get("CUDA_VISIBLE_DEVICES", "unset"), str(sorted(Path("/dev").glob("nvidia[0-9]*")))]
    for part in [*cpuinfo, sys.executable, *versions, *gpus]:
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:16]


@functools.cache
def machine_probe() -> dict:
    """What this machine's products do (``identifiability.device.probe_machine``), measured once
    per machine and kept on disk (see the module docstring); torch is imported only to measure."""
    path = _cache_root() / f"{_machine_key()}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    if "torch" in sys.modules:   # already paid for: measure here
        from identifiability.device import probe_machine
        probe = probe_machine()
    else:
        done = subprocess.run([sys.executable, "-m", "identifiability.device", "--probe"],
                              capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                  [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")])})
        if done.returncode:
            raise RuntimeError(f"measuring this machine's matrix products failed:\n{done.stderr[-2000:]}")
        probe = json.loads(done.stdout.strip().splitlines()[-1])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(probe, indent=1) + "\n")
    os.replace(tmp, path)
    return probe
