"""Pretrained torchvision checkpoints from local files only (nothing is downloaded).

A checkpoint is found at the path given in the config or, failing that, in torchvision's own
cache (``$TORCH_HOME/hub/checkpoints/<file>``, ``~/.cache/torch`` when TORCH_HOME is unset).
torchvision names its files ``<arch>-<first 8 hex digits of the sha256>.pth`` but does not check
that prefix by default; we do, so a truncated or swapped file is caught before it is used.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

# Architecture -> torchvision's file name of the weights used by the paper's figure.
DEFAULT_FILES = {
    "resnet50": "resnet50-11ad3fa6.pth",   # ResNet50_Weights.IMAGENET1K_V2
    "vit_b_16": "vit_b_16-c867db91.pth",   # ViT_B_16_Weights.IMAGENET1K_V1
}
DOWNLOAD_ROOT = "https://download.pytorch.org/models/"
HASH_IN_NAME = re.compile(r"-([0-9a-f]{6,64})\.(?:pth|pt)$")


def checkpoint_dir() -> Path:
    """torchvision's checkpoint cache, as torch.hub.get_dir() computes it (without importing
    torch, so the workflow can check for files quickly): $TORCH_HOME/hub/checkpoints, where
    TORCH_HOME defaults to $XDG_CACHE_HOME/torch, then ~/.cache/torch."""
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "torch")
    return Path(os.path.expanduser(home)) / "hub" / "checkpoints"


def how_to_obtain(arch: str) -> str:
    name = DEFAULT_FILES[arch]
    return (f"Download {DOWNLOAD_ROOT}{name} on a machine with internet access and put it at "
            f"{checkpoint_dir() / name} (set TORCH_HOME to use another cache), or give its path "
            f"as imagenetx.weights.{arch} in the config")


def resolve_weights(arch: str, configured: str | os.PathLike | None = None) -> Path:
    """The checkpoint file of ``arch``: the configured path, else torchvision's cache."""
    if arch not in DEFAULT_FILES:
        raise ValueError(f"no pretrained weights are known for {arch!r}; "
                         f"choose one of {sorted(DEFAULT_FILES)}")
    path = Path(configured).expanduser() if configured else checkpoint_dir() / DEFAULT_FILES[arch]
    if not path.is_file():
        raise ValueError(f"pretrained weights for {arch} not found at {path}. {how_to_obtain(arch)}")
    return path


def sha256_of(path: str | os.PathLike, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checkpoint(path: str | os.PathLike) -> dict:
    """Hash the file; if its name carries a sha256 prefix, check it. Returns provenance."""
    path = Path(path)
    digest = sha256_of(path)
    match = HASH_IN_NAME.search(path.name)
    if match and not digest.startswith(match.group(1)):
        raise ValueError(f"checkpoint {path} is damaged or not the file its name says: its sha256 "
                         f"starts with {digest[:len(match.group(1))]}, the name promises "
                         f"{match.group(1)}. Delete it and download it again")
    return {"path": str(path.resolve()), "sha256": digest,
            "name_hash_checked": bool(match)}


def load_state_dict(path: str | os.PathLike) -> dict:
    """Read a checkpoint as a plain state dict (weights only, no pickled code)."""
    import torch
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for damaged files
        raise ValueError(f"cannot read checkpoint {path} ({exc}); delete it and download it "
                         "again") from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"checkpoint {path} holds a {type(state).__name__}, not a state dict")
    return state
