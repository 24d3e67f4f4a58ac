"""Device choice shared by every training and extraction stage."""

from __future__ import annotations

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
