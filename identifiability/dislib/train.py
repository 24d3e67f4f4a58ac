"""Supervised training with cross-entropy on the categorical factor (Table 4's encoders).

Adam, fixed batch size, up to ``max_epochs`` epochs; after every epoch the validation accuracy
is measured and the best model kept; training stops early once it exceeds ``early_stop_acc``.
The images live on the device as uint8 and are converted batch by batch.
"""

from __future__ import annotations

import copy
import dataclasses
import time

import numpy as np
import torch
import torch.nn.functional as F

from identifiability.dislib.models import Classifier, to_input
from identifiability.progress import Progress
from identifiability.strict_settings import StrictSettings


@dataclasses.dataclass(frozen=True)
class ClassifierTrainSettings(StrictSettings):
    batch_size: int = 4096
    lr: float = 1e-3
    max_epochs: int = 100
    early_stop_acc: float = 0.999
    legacy_truncation: bool = False   # reproduce the reference code's Cars3D class merging
    eval_batch_size: int = 1024

    SCHEMA = ("dislib.schema.yaml", "properties/train")

    def __post_init__(self):
        self.check_schema()   # the config schema's rules (eval_batch_size, not a config key: below)
        if self.eval_batch_size < 1:
            raise ValueError(f"eval_batch_size must be >= 1, got {self.eval_batch_size}")


@torch.no_grad()
def accuracy(model: Classifier, images: torch.Tensor, labels: torch.Tensor, batch: int) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(images), batch):
        logits = model(to_input(images[start:start + batch]))
        correct += int((logits.argmax(1) == labels[start:start + batch]).sum())
    return correct / max(len(images), 1)


def train_classifier(model_name: str, images: np.ndarray, labels: np.ndarray, splits: dict,
                     n_classes: int, settings: ClassifierTrainSettings, seed: int, device: torch.device,
                     log=print, progress_stream=None) -> tuple[dict, dict]:
    """Train; return (best state dict, history) where history holds per-epoch loss/accuracies.

    ``log`` gets one line per epoch; within an epoch, progress lines (or a bar on a terminal)
    go to ``progress_stream`` (default stderr; see identifiability.progress)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x_train = torch.from_numpy(images[splits["train"]]).to(device)
    y_train = torch.from_numpy(labels[splits["train"]]).to(device)
    x_val = torch.from_numpy(images[splits["val"]]).to(device)
    y_val = torch.from_numpy(labels[splits["val"]]).to(device)
    _, size, _, channels = images.shape
    model = Classifier(model_name, channels, size, n_classes).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr)
    n = len(x_train)
    steps = (n + settings.batch_size - 1) // settings.batch_size
    history = {"epoch": [], "train_loss": [], "val_acc": [], "seconds": []}
    best_acc, best_state, best_epoch = -1.0, None, 0
    t0 = time.time()
    for epoch in range(1, settings.max_epochs + 1):
        model.train()
        order = torch.randperm(n, generator=gen).to(device)
        total, seen = 0.0, 0
        # within an epoch: a line every fifth of it (long epochs) and at least every 30 s
        with Progress(total=steps, desc=f"  epoch {epoch}", unit="batches", stream=progress_stream,
                      every=max(steps // 5, 1) if steps >= 10 else 0, seconds=30.0) as progress:
            for step in range(steps):
                idx = order[step * settings.batch_size:(step + 1) * settings.batch_size]
                if len(idx) < 2:        # BatchNorm needs two samples
                    progress.update(1)
                    continue
                loss = F.cross_entropy(model(to_input(x_train[idx])), y_train[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                value = float(loss.detach())
                total += value * len(idx)
                seen += len(idx)
                progress.update(1, loss=f"{value:.4f}")
        val_acc = accuracy(model, x_val, y_val, settings.eval_batch_size)
        history["epoch"].append(epoch)
        history["train_loss"].append(total / max(seen, 1))
        history["val_acc"].append(val_acc)
        history["seconds"].append(time.time() - t0)
        improved = val_acc > best_acc
        if improved:
            best_acc, best_epoch = val_acc, epoch
            best_state = copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})
        log(f"epoch {epoch}/{settings.max_epochs} loss {history['train_loss'][-1]:.4f} "
            f"val acc {val_acc:.4f}{' (best)' if improved else ''} [{time.time() - t0:.0f}s]")
        if val_acc > settings.early_stop_acc:
            log(f"validation accuracy {val_acc:.4f} > {settings.early_stop_acc}: stopping")
            break
    history.update(best_val_acc=best_acc, best_epoch=best_epoch, train_images=n,
                   images_per_second=n * len(history["epoch"]) / max(time.time() - t0, 1e-9))
    return best_state, history


@torch.no_grad()
def extract_features(model: Classifier, images: np.ndarray, device: torch.device,
                     batch: int = 1024, desc: str = "features", progress_stream=None) -> np.ndarray:
    """512-d f(x) for every image (eval mode), as float32. Progress (a line every tenth and at
    least every 30 s, or a bar on a terminal) goes to ``progress_stream`` (default stderr)."""
    model.eval().to(device)
    out = np.empty((len(images), model.head.in_features), dtype=np.float32)
    with Progress(total=len(images), desc=desc, unit="images", stream=progress_stream) as progress:
        for start in range(0, len(images), batch):
            x = to_input(torch.from_numpy(images[start:start + batch]).to(device))
            out[start:start + batch] = model.features(x).float().cpu().numpy()
            progress.update(len(x))
    return out
