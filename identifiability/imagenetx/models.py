"""The five representations of Figure 3 and the evaluation transform each one uses.

- ``resnet50`` / ``resnet50_random``: torchvision ResNet50 with ``fc`` removed (2048-d pooled
  features), pretrained (local checkpoint) or randomly initialised from a seed.
- ``vit_b_16`` / ``vit_b_16_random``: torchvision ViT-B/16 with ``heads`` removed (768-d class
  token after the final LayerNorm), pretrained or random.
- ``input_projection``: the preprocessed 3x224x224 input, flattened (150,528 numbers) and
  multiplied by a fixed Gaussian matrix drawn from a seed, to 2048-d.

Pretrained models use the evaluation transform torchvision publishes with their weights (the
checkpoint is identified by its file name); random models and the input projection use the
transform of the architecture's default weights, so paired models see identical pixels.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from identifiability.imagenetx import weights as W
from identifiability.imagenetx.names import LABELS, MODELS, architecture, needs_weights

log = logging.getLogger(__name__)
__all__ = ["LABELS", "MODELS", "PROJECTION_DIM", "Representation", "architecture", "build",
           "needs_weights"]
PROJECTION_DIM = 2048


@dataclasses.dataclass
class Representation:
    name: str
    module: nn.Module          # images (B, 3, H, W), normalised -> features (B, dim)
    transform: Callable        # PIL image -> (3, H, W) float tensor
    dim: int
    info: dict                 # provenance: weights file and hash, transform, seed


def _weights_enum(arch: str):
    from torchvision.models import ResNet50_Weights, ViT_B_16_Weights
    return {"resnet50": ResNet50_Weights, "vit_b_16": ViT_B_16_Weights}[arch]


def weights_entry(arch: str, checkpoint: Path | None):
    """torchvision's weights entry matching a checkpoint's file name (default entry otherwise)."""
    enum = _weights_enum(arch)
    if checkpoint is not None:
        for entry in enum:
            if Path(entry.url).name == checkpoint.name:
                return entry
        log.warning("checkpoint %s is not one of torchvision's published %s files; using the "
                    "evaluation transform of %s", checkpoint.name, arch, enum.DEFAULT)
    return enum.DEFAULT


def _backbone(arch: str, entry) -> nn.Module:
    from torchvision import models as tvm
    if arch == "resnet50":
        net = tvm.resnet50(weights=None)
        net.fc = nn.Identity()
    else:
        net = tvm.vit_b_16(weights=None, image_size=entry.transforms().crop_size[0])
        net.heads = nn.Identity()
    return net


class RandomProjection(nn.Module):
    """x -> flatten(x) @ P with P ~ N(0, 1/in_dim), drawn on the CPU from ``seed``.

    Drawing on the CPU makes P identical on every device. P is a buffer of in_dim x out_dim
    float32 numbers (1.2 GB for 150,528 x 2048).
    """

    def __init__(self, in_dim: int, out_dim: int, seed: int):
        super().__init__()
        gen = torch.Generator().manual_seed(int(seed))
        self.scale = in_dim ** -0.5
        self.register_buffer("proj", torch.randn(in_dim, out_dim, generator=gen), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) @ self.proj) * self.scale


def build(name: str, seed: int, checkpoint: str | Path | None = None) -> Representation:
    """Build representation ``name``; pretrained ones need their (hash-checked) checkpoint."""
    arch = architecture(name)
    info: dict = {"model": name, "seed": int(seed)}
    if name == "input_projection":
        entry = weights_entry("resnet50", None)
        transform = entry.transforms()
        crop = transform.crop_size[0]
        module = RandomProjection(3 * crop * crop, PROJECTION_DIM, seed)
        info.update(transform=str(entry), in_dim=3 * crop * crop)
        return Representation(name, module.eval(), transform, PROJECTION_DIM, info)
    if needs_weights(name):
        path = W.resolve_weights(arch, checkpoint)
        info.update(W.verify_checkpoint(path))
        entry = weights_entry(arch, path)
        net = _backbone(arch, entry)
        state = W.load_state_dict(path)
        head = "fc." if arch == "resnet50" else "heads."
        state = {k: v for k, v in state.items() if not k.startswith(head)}
        result = net.load_state_dict(state, strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise ValueError(f"checkpoint {path} does not fit torchvision's {arch}: missing "
                             f"{result.missing_keys[:5]}, unexpected {result.unexpected_keys[:5]}")
    else:
        if checkpoint:
            raise ValueError(f"{name} is randomly initialised; it takes no checkpoint")
        entry = weights_entry(arch, None)
        torch.manual_seed(int(seed))
        net = _backbone(arch, entry)
    info["transform"] = str(entry)
    dim = 2048 if arch == "resnet50" else 768
    return Representation(name, net.eval(), entry.transforms(), dim, info)
