"""Device choice shared by every training and extraction stage."""

from __future__ import annotations

import functools
import os
from contextlib import contextmanager
from pathlib import Path

import torch

CPU_BLAS = ("mkl", "openblas")


def resolve_device(requested: str = "auto") -> torch.device:
    """'auto' -> CUDA when it is actually usable, else CPU.

    CUDA_VISIBLE_DEVICES alone proves nothing (a SLURM GRES on a CPU node sets it), so the
    check asks torch whether a device can be used.
    """
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was requested but torch sees no usable CUDA device; "
                           "use --device auto or cpu")
    return device


def set_threads(threads: int | None) -> None:
    """``threads`` CPU threads for torch and for numpy's BLAS (OpenBLAS, which otherwise takes
    every core: two jobs side by side would each run as many threads as the machine has cores)."""
    if threads:
        torch.set_num_threads(threads)
        from threadpoolctl import threadpool_limits
        threadpool_limits(threads, user_api="blas")


def _cpuinfo(field: str) -> str:
    """The first ``field`` line of /proc/cpuinfo (Linux), or "" where there is none."""
    try:
        return next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.split(":", 1)[0].strip() == field)
    except (OSError, StopIteration):
        return ""


def _cpu_vendor() -> str:
    return _cpuinfo("vendor_id")


def cpu_summary() -> str:
    """What the benchmarks print about the CPU: model, vendor and the instruction sets that decide
    the training's products (AVX2, AVX-512, AVX-512 BF16, AMX), and the choices made from them."""
    flags = set(_cpuinfo("flags").split())
    sets = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f in flags]
    return (f"{_cpuinfo('model name') or '?'} ({_cpu_vendor() or '?'}; {', '.join(sets) or 'flags unknown'}); "
            f"cpu_matmul auto = {cpu_matmul_precision('auto', torch.device('cpu'))}, "
            f"cpu_blas = {cpu_blas(threads=1)} at 1 thread, {cpu_blas(threads=2)} at more")


def _numpy_blas() -> str:
    import numpy as np
    try:
        return np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    except Exception:   # an older numpy or an unusual build: its BLAS is not known to be OpenBLAS
        return ""


def cpu_blas(threads: int | None = None) -> str:
    """The library that computes the encoder's float32 products on the CPU: ``mkl``, torch's own
    (Intel's MKL, statically linked), or ``openblas``, numpy's. MKL takes slower code paths on CPUs
    that are not Intel's: on an AMD EPYC (Zen 4 whose hypervisor shows AVX2 only) numpy's
    OpenBLAS runs the encoder's products 1.02-1.43x faster and a training step 1.08-1.21x faster
    (benchmarks/cpu_blas.txt). That holds for one thread only: with more, torch's OpenMP threads
    (spinning between its operations) and OpenBLAS's own threads compete for the cores, and a
    2-thread step took 2.57x as long as a 1-thread one, where with MKL (one thread pool) it takes
    0.46x (benchmarks/cpu_blas.txt, (c)).
    So: ``openblas`` where the CPU is not an Intel one, numpy's BLAS is OpenBLAS and the products
    run on ``threads`` = 1 (default: torch's current thread count), else ``mkl``;
    ``IDENTIFIABILITY_CPU_BLAS=mkl|openblas`` overrides. The two agree to float32 rounding."""
    requested = os.environ.get("IDENTIFIABILITY_CPU_BLAS", "auto")
    if requested not in (*CPU_BLAS, "auto"):
        raise ValueError(f"IDENTIFIABILITY_CPU_BLAS must be one of {[*CPU_BLAS, 'auto']}, got {requested!r}")
    if requested != "auto":
        return requested
    threads = torch.get_num_threads() if threads is None else threads
    return "openblas" if threads == 1 and _openblas_is_faster() else "mkl"


@functools.cache
def _openblas_is_faster() -> bool:
    """numpy's BLAS is OpenBLAS and the CPU is known not to be Intel's (see cpu_blas)."""
    return "openblas" in _numpy_blas().lower() and _cpu_vendor() not in ("GenuineIntel", "")


def native_bfloat16_cpu() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AMX tiles or AVX-512 BF16)."""
    checks = (getattr(torch.cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"))
    return any(check() for check in checks if check is not None)


def cpu_matmul_precision(requested: str, device: torch.device) -> str:
    """The precision a run's matrix products get: ``float32`` or ``bfloat16`` (a training setting
    ``cpu_matmul``: float32 | bfloat16 | auto, which applies on the CPU only)."""
    if device.type != "cpu":
        return "float32"
    if requested == "auto":
        return "bfloat16" if native_bfloat16_cpu() else "float32"
    return requested


@contextmanager
def matmul_precision(precision: str):
    """float32 matrix products on the CPU computed in ``precision``: float32, or bfloat16 inputs with
    float32 accumulation and outputs (oneDNN's fp32_precision "bf16"); restored afterwards."""
    backend = torch.backends.mkldnn.matmul
    previous = backend.fp32_precision
    backend.fp32_precision = "bf16" if precision == "bfloat16" else "ieee"
    try:
        yield
    finally:
        backend.fp32_precision = previous
