"""Encoders of Table 4: the input baseline (pixels), an MLP and a ResNet18; a linear read-out."""

from __future__ import annotations

import torch
from torch import nn

MODELS = ("input", "mlp", "resnet18")
TRAINED = ("mlp", "resnet18")
FEATURES = 512


def mlp_encoder(in_features: int, width: int = FEATURES, depth: int = 3) -> nn.Sequential:
    """Flatten -> depth x (Linear, BatchNorm1d, ReLU)."""
    layers: list[nn.Module] = [nn.Flatten()]
    for i in range(depth):
        layers += [nn.Linear(in_features if i == 0 else width, width), nn.BatchNorm1d(width), nn.ReLU()]
    return nn.Sequential(*layers)


def resnet18_encoder(channels: int) -> nn.Module:
    """torchvision ResNet18, random init, first conv for ``channels`` inputs, fc removed (512-d)."""
    from torchvision.models import resnet18
    net = resnet18(weights=None)
    net.conv1 = nn.Conv2d(channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    net.fc = nn.Identity()
    return net


class Classifier(nn.Module):
    """Encoder f followed by a linear read-out to the classes; ``features`` gives f(x)."""

    def __init__(self, model: str, channels: int, size: int, n_classes: int):
        super().__init__()
        if model == "mlp":
            self.encoder = mlp_encoder(channels * size * size)
        elif model == "resnet18":
            self.encoder = resnet18_encoder(channels)
        else:
            raise ValueError(f"model {model!r} is not trainable; choose from {TRAINED}")
        self.head = nn.Linear(FEATURES, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def to_input(images_uint8: torch.Tensor) -> torch.Tensor:
    """(B, H, W, C) uint8 -> (B, C, H, W) float in [0, 1]."""
    return images_uint8.permute(0, 3, 1, 2).float().div_(255.0)
