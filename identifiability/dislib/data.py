"""The prepared data file every DisLib stage reads, and the seeded 80/10/10 split.

One HDF5 per data set: ``images`` (N, 64, 64, C) uint8, ``factors`` (N, K) int64 true factor
indices, and attributes naming the data set, its factors, sizes, classification target and
decoded factors, whether it is a stand-in, and the provenance (settings, seed, version).
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from identifiability.dislib.datasets import FactorImages, get_spec
from identifiability.io import ArtifactError, atomic_path, open_hdf5, provenance

HINT = "Run the workflow's dislib data rule (snakemake dislib_data) or scripts/dislib_prepare.py."


def write_data_file(path: str | Path, data: FactorImages, settings: dict, seed: int | None = None) -> None:
    spec = data.spec
    attrs = provenance(settings, seed)
    attrs.update(dataset=spec.name, label=spec.label, stand_in=bool(spec.stand_in),
                 factor_names=json.dumps(list(spec.factor_names)),
                 factor_sizes=json.dumps(list(spec.factor_sizes)),
                 target=spec.target, decoded=json.dumps(list(spec.decoded)))
    n = len(data.images)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs.update(attrs)
            f.create_dataset("images", data=data.images, compression="gzip", compression_opts=1,
                             chunks=(min(n, 1024),) + data.images.shape[1:])
            f.create_dataset("factors", data=data.factors.astype(np.int64))


def read_data_file(path: str | Path, indices: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Images (optionally a subset, in the given order), factors and the metadata dict."""
    with open_hdf5(path, "DisLib data file", HINT) as f:
        for key in ("images", "factors"):
            if key not in f:
                raise ArtifactError(f"DisLib data file {path} lacks '{key}'. Delete it and rerun. {HINT}")
        meta = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        factors = f["factors"][()]
        images = f["images"][()]
    for key in ("factor_names", "factor_sizes", "decoded"):
        meta[key] = json.loads(meta[key])
    get_spec(meta["dataset"])  # known data set
    if indices is not None:
        images, factors = images[indices], factors[indices]
    return images, factors, meta


def split_indices(n: int, seed: int, fractions=(0.8, 0.1, 0.1)) -> dict[str, np.ndarray]:
    """Seeded permutation cut 80/10/10 into train / val / test."""
    if n < 10:
        raise ValueError(f"need at least 10 samples to split 80/10/10, got {n}")
    perm = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_val = int(round(fractions[1] * n))
    return {"train": perm[:n_train], "val": perm[n_train:n_train + n_val], "test": perm[n_train + n_val:]}


def class_targets(factors: np.ndarray, meta: dict, legacy_truncation: bool = False) -> tuple[np.ndarray, int]:
    """Class label per sample: the target factor's true index (0..size-1).

    ``legacy_truncation`` reproduces the reference code: factor *values* i / (size - 1) divided
    by the second-smallest value and truncated to int. For Cars3D's 183 cars, (i/182) / (1/182)
    falls just below i for many i, so truncation merges the 183 cars into 138 classes (as in the
    reference run). Off by default: the true indices are the classes.
    """
    k = meta["factor_names"].index(meta["target"])
    size = meta["factor_sizes"][k]
    idx = factors[:, k].astype(np.int64)
    if not legacy_truncation:
        return idx, size
    values = idx / (size - 1)                       # the normalised factor values i / (size - 1)
    uniq = np.unique(values)
    second = uniq[1] if len(uniq) > 1 else 1.0
    legacy = (values / second).astype(np.int64)
    _, remapped = np.unique(legacy, return_inverse=True)
    return remapped.astype(np.int64), int(remapped.max()) + 1
