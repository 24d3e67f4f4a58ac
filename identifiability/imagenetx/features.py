"""Reading a complete features file written by ``extract`` (no torch needed)."""

from __future__ import annotations

import json
import os

import numpy as np

from identifiability.io import ArtifactError, open_hdf5

FEATURES_HINT = "Extract them with scripts/imagenetx_extract.py (or let snakemake rebuild them)."


def read_features(path: str | os.PathLike) -> tuple[np.ndarray, list[str], dict]:
    """Features, file names and provenance of a complete features file."""
    with open_hdf5(path, "ImageNet-X features file", FEATURES_HINT) as f:
        if not f.attrs.get("complete", False) or "file_names" not in f:
            raise ArtifactError(f"features file {path} is incomplete. {FEATURES_HINT}")
        feats = f["features"][()]
        names = [s.decode() if isinstance(s, bytes) else str(s) for s in f["file_names"][()]]
        info = json.loads(f.attrs["settings"])
    return feats, names, info
