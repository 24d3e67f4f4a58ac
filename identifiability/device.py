"""Device choice shared by every training and extraction stage."""

from __future__ import annotations

import functools
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from identifiability.numerics import PRODUCTS, blas_override, machine_probe, resolve_products


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
            f"cpu_matmul auto = {products_here('auto', torch.device('cpu'), threads=1)} at 1 thread, "
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
    if (requested := blas_override()) is not None:
        return requested
    threads = torch.get_num_threads() if threads is None else threads
    return "openblas" if threads == 1 and _openblas_is_faster() else "mkl"


@functools.cache
def _openblas_is_faster() -> bool:
    """numpy's BLAS is OpenBLAS and the CPU is known not to be Intel's (see cpu_blas)."""
    return "openblas" in _numpy_blas().lower() and _cpu_vendor() not in ("GenuineIntel", "")


def probe_machine() -> dict:
    """What this machine's matrix products do, measured (``identifiability.numerics``): whether
    CUDA is usable; whether oneDNN's bfloat16 switch changes a float32 product (``mm`` and ``bmm``,
    one thread: the error of bfloat16 inputs, ~2^-9, against float32's ~1e-7), which is how it
    reaches AMX; and how many times faster a product of explicit bfloat16 tensors runs than the
    float32 one (the best of 7 alternating timings of 4 x (256x256 . 256x256), one thread)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        g = torch.Generator().manual_seed(0)
        a, b = torch.randn(4, 256, 256, generator=g), torch.randn(4, 256, 256, generator=g)
        exact = a.double() @ b.double()

        def error(c):
            return ((c.double() - exact).norm() / exact.norm()).item()

        with matmul_precision("bfloat16"):
            switched = min(error(torch.bmm(a, b)), error(torch.stack([torch.mm(x, y) for x, y in zip(a, b)])))
        ab, bb = a.bfloat16(), b.bfloat16()
        best = {"float32": float("inf"), "bfloat16": float("inf")}
        for round_ in range(8):   # round 0 warms both up (oneDNN builds its kernels on first use)
            for name, (x, y) in (("float32", (a, b)), ("bfloat16", (ab, bb))):
                t0 = time.perf_counter()
                for _ in range(3):
                    torch.bmm(x, y)
                if round_:
                    best[name] = min(best[name], time.perf_counter() - t0)
        return {"cuda": torch.cuda.is_available(),
                "onednn_bfloat16": switched > 1e-4,
                "onednn_bfloat16_error": switched,
                "tensors_speedup": round(best["float32"] / best["bfloat16"], 3),
                "openblas_faster": _openblas_is_faster(),
                "cpu": _cpuinfo("model name"), "vendor": _cpu_vendor(), "numpy_blas": _numpy_blas(),
                "torch": torch.__version__}
    finally:
        torch.set_num_threads(before)


def products_here(cpu_matmul: str, device: torch.device, threads: int | None = None) -> str:
    """``cpu_matmul`` resolved on this machine and ``device`` (``identifiability.numerics``)."""
    return resolve_products(cpu_matmul, device.type, torch.get_num_threads() if threads is None else threads,
                            None if device.type == "cuda" else machine_probe())


def check_products(products: str, device: torch.device) -> None:
    """ValueError, naming the setting to change, if this machine cannot compute ``products``."""
    if products not in PRODUCTS:
        raise ValueError(f"products must be one of {list(PRODUCTS)}, got {products!r}")
    if device.type == "cuda":
        if products != "float32":
            raise ValueError(f"products {products} are CPU products and this job trains on {device}: plan the "
                             "workflow where its jobs run, or set synthetic.device to cuda so that the plan "
                             "resolves cpu_matmul for the GPU (float32)")
        return
    if products == "float32-openblas" and "openblas" not in _numpy_blas().lower():
        raise ValueError("products float32-openblas need numpy built on OpenBLAS, and this numpy's BLAS is "
                         f"{_numpy_blas() or 'unknown'}: set IDENTIFIABILITY_CPU_BLAS=mkl where the workflow plans")
    if products == "bfloat16-onednn" and not machine_probe()["onednn_bfloat16"]:
        raise ValueError("products bfloat16-onednn: oneDNN's bfloat16 switch changes no product on this CPU "
                         "(measured), so these runs would be float32 under a bfloat16 name; plan on this "
                         "machine (cpu_matmul bfloat16 then uses bfloat16 tensors) or set cpu_matmul: float32")


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


if __name__ == "__main__":
    if sys.argv[1:] != ["--probe"]:
        raise SystemExit("usage: python -m identifiability.device --probe   (prints what this machine's "
                         "matrix products do, as JSON; identifiability.numerics keeps it per machine)")
    print(json.dumps(probe_machine()))
