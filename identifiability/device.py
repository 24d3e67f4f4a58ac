"""Device choice shared by every training and extraction stage."""

from __future__ import annotations

from contextlib import contextmanager

import torch


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
    if threads:
        torch.set_num_threads(threads)


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
