"""File I/O shared by every stage: atomic writes, HDF5 with provenance, JSON, clear errors.

Every artifact is written under a temporary name in the destination folder and renamed into place
only once complete, so an interrupted job never leaves a file that looks finished.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import h5py
import numpy as np

from identifiability import __version__


class ArtifactError(RuntimeError):
    """A required input file is missing, unreadable or of the wrong kind."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def provenance(settings: dict[str, Any], seed: int | None = None) -> dict[str, Any]:
    """Attributes stored on every artifact: what made it."""
    attrs = {
        "settings": json.dumps(settings, sort_keys=True),
        "package": "identifiability",
        "package_version": __version__,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if seed is not None:
        attrs["seed"] = int(seed)
    return attrs


def write_hdf5(path: str | os.PathLike, arrays: dict[str, np.ndarray], attrs: dict[str, Any]) -> None:
    """Write ``arrays`` (keys may contain '/' for groups) and root ``attrs`` atomically."""
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            for key, value in attrs.items():
                f.attrs[key] = value
            for key, value in arrays.items():
                value = np.asarray(value)
                f.create_dataset(key, data=value, compression="gzip" if value.size > 4096 else None)


def open_hdf5(path: str | os.PathLike, what: str, hint: str) -> h5py.File:
    """Open an HDF5 artifact for reading, or raise an ArtifactError that says what to do."""
    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"{what} not found: {path}. {hint}")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise ArtifactError(f"{what} at {path} is not a readable HDF5 file ({exc}). "
                            f"Delete it and {hint[0].lower() + hint[1:]}") from exc


def read_hdf5(path: str | os.PathLike, what: str, hint: str,
              required: tuple[str, ...] = ()) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read every dataset and the root attributes; check that ``required`` keys are present."""
    with open_hdf5(path, what, hint) as f:
        arrays: dict[str, np.ndarray] = {}
        f.visititems(lambda name, obj: arrays.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    missing = [k for k in required if k not in arrays]
    if missing:
        raise ArtifactError(f"{what} at {path} lacks datasets {missing}; it was written by another "
                            f"version or is damaged. Delete it and {hint[0].lower() + hint[1:]}")
    return arrays, attrs


def write_json(path: str | os.PathLike, obj: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def read_json(path: str | os.PathLike, what: str, hint: str) -> Any:
    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"{what} not found: {path}. {hint}")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{what} at {path} is not valid JSON ({exc}). Delete it and "
                            f"{hint[0].lower() + hint[1:]}") from exc


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj)}")
