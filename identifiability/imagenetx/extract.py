"""Feature extraction to HDF5, written chunk by chunk so that an interrupted run resumes.

While running, features go to ``<out>.resume.partial``: a (n_images, dim) float32 dataset filled
in index order, with the attribute ``n_done`` updated after every chunk. A rerun with the same
images, model and settings (same ``fingerprint``) continues from ``n_done``; anything else starts
afresh. Only a complete file is renamed to ``<out>``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import torch


from identifiability.imagenetx.images import load_rgb
from identifiability.imagenetx.models import Representation
from identifiability.io import provenance
from identifiability.progress import Progress

log = logging.getLogger(__name__)


class ImageDataset(torch.utils.data.Dataset):
    def __init__(self, paths, transform):
        self.paths, self.transform = list(paths), transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.transform(load_rgb(self.paths[i]))


def partial_path(out: str | os.PathLike) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".resume.partial")


def fingerprint(file_names, info: dict) -> str:
    digest = hashlib.sha256()
    digest.update("\n".join(file_names).encode())
    digest.update(json.dumps(info, sort_keys=True).encode())
    return digest.hexdigest()


def _open_partial(path: Path, n: int, dim: int, fp: str, attrs: dict, chunk_rows: int) -> h5py.File:
    if path.exists():
        try:
            f = h5py.File(path, "a")
            ok = (f.attrs.get("fingerprint") == fp and "features" in f
                  and f["features"].shape == (n, dim))
            if ok:
                log.info("resuming %s: %d of %d images already done", path, f.attrs["n_done"], n)
                return f
            f.close()
            log.info("%s was made with other images or settings; starting afresh", path)
        except OSError:
            log.info("%s is unreadable (killed while writing?); starting afresh", path)
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    f = h5py.File(path, "w")
    for key, value in attrs.items():
        f.attrs[key] = value
    f.attrs["fingerprint"] = fp
    f.attrs["n_done"] = 0
    f.create_dataset("features", shape=(n, dim), dtype="float32",
                     chunks=(max(1, min(chunk_rows, n)), dim))
    return f


def extract(index: pd.DataFrame, rep: Representation, out: str | os.PathLike, *,
            device: torch.device, batch_size: int = 64, num_workers: int = 0,
            chunk_images: int = 1024, stop_after: int | None = None,
            progress_stream=None) -> Path | None:
    """Write ``rep``'s features of every image in ``index`` (column ``path``) to ``out``.

    Progress goes to ``progress_stream`` (default stderr; see identifiability.progress).

    Returns ``out`` when complete. ``stop_after`` (used to test resuming) stops once that many
    new images are written and returns None, leaving the partial file.
    """
    if batch_size < 1 or chunk_images < 1:
        raise ValueError("batch_size and chunk_images must be positive")
    out = Path(out)
    names = index["file_name"].astype(str).tolist()
    n = len(names)
    if n == 0:
        raise ValueError("the image index is empty")
    info = dict(rep.info, dim=rep.dim, n_images=n)
    fp = fingerprint(names, info)
    attrs = provenance(info, rep.info.get("seed"))
    part = partial_path(out)
    module = rep.module.to(device)
    f = _open_partial(part, n, rep.dim, fp, attrs, chunk_rows=min(chunk_images, 1024))
    try:
        start = int(f.attrs["n_done"])
        written, t0 = 0, time.time()
        paths = index["path"].astype(str).tolist()
        # a line every 5 % of the images and at least every 10 s (a bar on a terminal)
        progress = Progress(total=n, initial=start, desc=rep.name, unit="images",
                            every=max(1, n // 20), seconds=10.0, stream=progress_stream)
        while start < n:
            stop = min(n, start + chunk_images)
            loader = torch.utils.data.DataLoader(
                ImageDataset(paths[start:stop], rep.transform), batch_size=batch_size,
                shuffle=False, num_workers=num_workers, pin_memory=device.type == "cuda")
            feats = np.empty((stop - start, rep.dim), dtype=np.float32)
            row = 0
            with torch.inference_mode():
                for images in loader:
                    z = module(images.to(device, non_blocking=True)).float().cpu().numpy()
                    feats[row:row + len(z)] = z
                    row += len(z)
                    progress.update(len(z))
            f["features"][start:stop] = feats
            f.attrs["n_done"] = stop
            f.flush()
            written += stop - start
            start = stop
            if stop_after is not None and written >= stop_after and start < n:
                progress.close()
                log.info("stopping after %d new images as asked; rerun to resume", written)
                return None
        progress.close()
        f.create_dataset("file_names", data=np.array(names, dtype=h5py.string_dtype()))
        f.attrs["complete"] = True
        elapsed = time.time() - t0
        log.info("%s: %d images in %.1f s (%.1f images/s)", rep.name, written, elapsed,
                 written / max(elapsed, 1e-9))
    finally:
        f.close()
    os.replace(part, out)
    return out
