"""The six DisLib data sets: what they are, where their public files live, how to read them.

Every loader reads the public files in their own format from a data directory and returns a
``FactorImages``: uint8 images (N, 64, 64, C) and the true factor *indices* (N, K) with their
names and sizes. Loaders never download; a missing file raises an ArtifactError that names the
file, where to put it and where to get it (``missing_files_message``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from identifiability.io import ArtifactError


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    name: str
    label: str                        # human-readable name for tables
    factor_names: tuple[str, ...]     # order of the columns of ``factors``
    factor_sizes: tuple[int, ...]
    target: str                       # factor used as the cross-entropy class label
    decoded: tuple[str, ...]          # factors decoded linearly for Table 4 (besides the target)
    channels: int
    files: tuple[str, ...]            # paths relative to the data directory
    urls: tuple[str, ...]             # where each file (or the archive holding it) comes from
    note: str = ""                    # extra instruction for obtaining the files
    paper_key: str = ""               # key in reference/paper_results.yaml table4_dislib
    stand_in: bool = False


_NORB_TRAIN = "smallnorb-5x46789x9x18x6x2x96x96-training"
_NORB_TEST = "smallnorb-5x01235x9x18x6x2x96x96-testing"
_NORB_URL = "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
CARS3D_ARCHIVE_URL = "http://www.scottreed.info/files/nips2015-analogy-data.tar.gz"
N_CARS = 183

# MPI3D toy and real share one factor grid
MPI3D_FACTORS = ("objCol", "objShape", "objSize", "cameraHeight", "backCol", "posX", "posY")
MPI3D_SIZES = (6, 6, 2, 3, 3, 40, 40)

SPECS: dict[str, DatasetSpec] = {s.name: s for s in [
    DatasetSpec(
        "dsprites", "dSprites",
        ("shape", "scale", "orientation", "posX", "posY"), (3, 6, 40, 32, 32),
        "shape", ("scale", "posX", "posY"), 1,
        ("dsprites/dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz",),
        ("https://github.com/google-deepmind/dsprites-dataset/raw/master/"
         "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz",),
        paper_key="dsprites"),
    DatasetSpec(
        "dsprites_procedural", "dSprites (procedural stand-in)",
        ("shape", "scale", "orientation", "posX", "posY"), (3, 6, 40, 32, 32),
        "shape", ("scale", "posX", "posY"), 1,
        (), (), note="rendered offline by identifiability.dislib.dsprites_render; no file needed",
        paper_key="dsprites", stand_in=True),
    DatasetSpec(
        "shapes3d", "Shapes3D",
        ("floorCol", "wallCol", "objCol", "objSize", "objType", "objAzimuth"), (10, 10, 10, 8, 4, 15),
        "objType", ("objSize", "objAzimuth"), 3,
        ("shapes3d/3dshapes.h5",), ("https://storage.googleapis.com/3d-shapes/3dshapes.h5",),
        paper_key="shapes3d"),
    DatasetSpec(
        "mpi3d_toy", "MPI3D toy",
        MPI3D_FACTORS, MPI3D_SIZES,
        "objShape", ("posX", "posY"), 3,
        ("mpi3d_toy/mpi3d_toy.npz",),
        ("https://storage.googleapis.com/disentanglement_dataset/Final_Dataset/mpi3d_toy.npz",),
        paper_key="mpi3d"),
    DatasetSpec(
        "mpi3d_real", "MPI3D real",
        MPI3D_FACTORS, MPI3D_SIZES,
        "objShape", ("posX", "posY"), 3,
        ("mpi3d_real/mpi3d_real.npz",),
        ("https://storage.googleapis.com/disentanglement_dataset/Final_Dataset/mpi3d_real.npz",),
        paper_key="mpi3d_real"),
    DatasetSpec(
        "cars3d", "Cars3D",
        ("elevation", "azimuth", "object_type"), (4, 24, N_CARS),
        "object_type", ("elevation",), 3,
        ("cars/",), (CARS3D_ARCHIVE_URL,),
        note="unpack the archive; its data/cars/ folder holds the 183 car_*_mesh.mat files",
        paper_key="cars3d"),
    DatasetSpec(
        "smallnorb", "smallNORB",
        ("category", "instance", "elevation", "rotation", "lighting"), (5, 10, 9, 18, 6),
        "category", ("elevation",), 1,
        tuple(f"smallnorb/{stem}-{part}.mat" for stem in (_NORB_TRAIN, _NORB_TEST)
              for part in ("dat", "cat", "info")),
        tuple(f"{_NORB_URL}{stem}-{part}.mat.gz" for stem in (_NORB_TRAIN, _NORB_TEST)
              for part in ("dat", "cat", "info")),
        note="gunzip each file after downloading",
        paper_key="smallnorb"),
]}

REAL_DATASETS = tuple(n for n, s in SPECS.items() if not s.stand_in)


@dataclasses.dataclass
class FactorImages:
    """Images with their ground-truth factor indices."""
    images: np.ndarray        # (N, 64, 64, C) uint8
    factors: np.ndarray       # (N, K) int64, true factor indices 0..size-1
    spec: DatasetSpec

    def __post_init__(self):
        if self.images.ndim != 4 or self.images.dtype != np.uint8:
            raise ValueError(f"{self.spec.name}: images must be (N, H, W, C) uint8, "
                             f"got {self.images.shape} {self.images.dtype}")
        if self.factors.shape != (len(self.images), len(self.spec.factor_names)):
            raise ValueError(f"{self.spec.name}: factors {self.factors.shape} do not match "
                             f"{len(self.images)} images x {len(self.spec.factor_names)} factors")
        bad = (self.factors < 0) | (self.factors >= np.asarray(self.spec.factor_sizes))
        if bad.any():
            col = int(np.nonzero(bad.any(0))[0][0])
            raise ValueError(f"{self.spec.name}: factor {self.spec.factor_names[col]} has indices "
                             f"outside 0..{self.spec.factor_sizes[col] - 1}")


def get_spec(name: str) -> DatasetSpec:
    if name not in SPECS:
        raise ValueError(f"unknown DisLib data set {name!r}; choose from {sorted(SPECS)}")
    return SPECS[name]


def missing_files_message(name: str, data_dir: str | Path, missing: list[str]) -> str:
    spec = get_spec(name)
    data_dir = Path(data_dir)
    lines = [f"{spec.label}: missing file(s) " + ", ".join(str(data_dir / m) for m in missing) + "."]
    lines.append(f"Put the public files under {data_dir} as: " + ", ".join(spec.files) + ".")
    lines.append("Get them from: " + " ; ".join(spec.urls)
                 + (f" ({spec.note})" if spec.note else "") + ".")
    lines.append("With internet access, `snakemake dislib_download --config ...` fetches them "
                 "(see docs/dislib.md); or run the default procedural dSprites stand-in offline.")
    return " ".join(lines)


def missing_files(name: str, data_dir: str | Path) -> list[str]:
    """Files of ``name`` absent under ``data_dir`` (for Cars3D: the folder or its .mat files)."""
    spec = get_spec(name)
    data_dir = Path(data_dir)
    missing = []
    for rel in spec.files:
        path = data_dir / rel
        if rel.endswith("/"):
            if not path.is_dir() or not any(path.glob("car_*_mesh.mat")):
                missing.append(rel + "car_*_mesh.mat")
        elif not path.exists():
            missing.append(rel)
    return missing


def check_files(name: str, data_dir: str | Path) -> None:
    missing = missing_files(name, data_dir)
    if missing:
        raise ArtifactError(missing_files_message(name, data_dir, missing))


def load_dataset(name: str, data_dir: str | Path, progress=print) -> FactorImages:
    """Read data set ``name`` from its public files under ``data_dir``."""
    spec = get_spec(name)
    if spec.stand_in:
        raise ValueError(f"{name} is rendered, not loaded: use dsprites_render.render_dataset")
    check_files(name, data_dir)
    data_dir = Path(data_dir)
    reader = {"dsprites": _load_dsprites, "shapes3d": _load_shapes3d, "mpi3d_toy": _load_mpi3d,
              "mpi3d_real": _load_mpi3d, "cars3d": _load_cars3d, "smallnorb": _load_smallnorb}[name]
    progress(f"reading {spec.label} from {data_dir}")
    images, factors = reader(spec, data_dir, progress)
    return FactorImages(images, factors.astype(np.int64), spec)


# --- dSprites: npz with imgs (N,64,64) uint8 and latents_classes (N,6) [color, shape, scale, orientation, posX, posY]
def _load_dsprites(spec, data_dir, progress):
    path = data_dir / spec.files[0]
    with np.load(path, allow_pickle=False) as npz:  # 'metadata' (pickled) is never touched
        _require_keys(npz.files, ("imgs", "latents_classes"), path)
        imgs = npz["imgs"]
        classes = npz["latents_classes"]
    if imgs.ndim != 3 or classes.ndim != 2 or classes.shape[1] != 6:
        raise ArtifactError(f"{path}: expected imgs (N,64,64) and latents_classes (N,6), got "
                            f"{imgs.shape} and {classes.shape}")
    images = (imgs.astype(np.uint8) * np.uint8(255))[..., None]  # {0,1} -> {0,255}
    return images, classes[:, 1:]                                 # drop the constant colour


# --- Shapes3D: h5 with images (N,64,64,3) uint8 and labels (N,6) float64 factor *values*
SHAPES3D_VALUES = (
    np.linspace(0, 0.9, 10), np.linspace(0, 0.9, 10), np.linspace(0, 0.9, 10),
    np.linspace(0.75, 1.25, 8), np.arange(4.0), np.linspace(-30, 30, 15),
)


def values_to_indices(values: np.ndarray, grid: np.ndarray, what: str) -> np.ndarray:
    """Index of the nearest grid value; an error if any value is off the grid."""
    idx = np.abs(values[:, None] - grid[None, :]).argmin(1)
    off = np.abs(grid[idx] - values).max() if len(values) else 0.0
    step = np.min(np.diff(grid)) if len(grid) > 1 else 1.0
    if off > 0.25 * step:
        raise ArtifactError(f"{what}: value off the expected grid by {off:.3g}")
    return idx


def _load_shapes3d(spec, data_dir, progress):
    import h5py
    path = data_dir / spec.files[0]
    with h5py.File(path, "r") as f:
        _require_keys(list(f.keys()), ("images", "labels"), path)
        images = f["images"][()]
        labels = f["labels"][()]
    if labels.ndim != 2 or labels.shape[1] != 6:
        raise ArtifactError(f"{path}: labels must be (N, 6), got {labels.shape}")
    factors = np.stack([values_to_indices(labels[:, k], SHAPES3D_VALUES[k], f"{path} labels[:, {k}]")
                        for k in range(6)], axis=1)
    return images.astype(np.uint8), factors


# --- MPI3D: npz with images (1036800,64,64,3); factors are the row-major grid [6,6,2,3,3,40,40]
def _load_mpi3d(spec, data_dir, progress):
    path = data_dir / spec.files[0]
    with np.load(path, allow_pickle=False) as npz:
        _require_keys(npz.files, ("images",), path)
        images = npz["images"]
    n_grid = int(np.prod(spec.factor_sizes))
    if len(images) != n_grid:
        raise ArtifactError(f"{path}: {len(images)} images, but the factor grid "
                            f"{list(spec.factor_sizes)} has {n_grid}")
    factors = np.stack(np.unravel_index(np.arange(n_grid), spec.factor_sizes), axis=1)
    return images.astype(np.uint8), factors


# --- Cars3D: one car_XXX_mesh.mat per car, 'im' (128,128,3,24 azimuths,4 elevations) uint8
def _load_cars3d(spec, data_dir, progress):
    from scipy.io import loadmat
    folder = data_dir / spec.files[0]
    paths = sorted(folder.glob("car_*_mesh.mat"))
    if len(paths) != N_CARS:
        progress(f"warning: {folder} holds {len(paths)} car files, the public set has {N_CARS}")
    images, factors = [], []
    for car, path in enumerate(paths):
        im = loadmat(path)
        if "im" not in im:
            raise ArtifactError(f"{path}: no 'im' array (keys: {sorted(k for k in im if not k.startswith('__'))})")
        im = im["im"]
        if im.shape[2:] != (3, 24, 4):
            raise ArtifactError(f"{path}: 'im' must be (H, W, 3, 24, 4), got {im.shape}")
        # (H, W, 3, azimuth, elevation) -> (elevation, azimuth, H, W, 3)
        block = np.transpose(im, (4, 3, 0, 1, 2)).reshape(-1, *im.shape[:3])
        images.append(resize_images(block, 64))
        el, az = np.unravel_index(np.arange(4 * 24), (4, 24))
        factors.append(np.stack([el, az, np.full_like(el, car)], axis=1))
        if (car + 1) % 20 == 0:
            progress(f"  cars3d: {car + 1}/{len(paths)} cars")
    return np.concatenate(images), np.concatenate(factors)


# --- smallNORB: binary matrix files (little-endian): magic, ndim, max(3, ndim) dims, data
NORB_MAGIC = {507333717: np.uint8, 507333716: np.int32}


def read_norb_matrix(path: str | Path) -> np.ndarray:
    """Read one smallNORB binary matrix (uint8 or int32)."""
    path = Path(path)
    raw = path.read_bytes()
    if len(raw) < 20:
        raise ArtifactError(f"{path}: too short for a smallNORB matrix header")
    magic, ndim = np.frombuffer(raw, "<i4", count=2)
    if int(magic) not in NORB_MAGIC:
        raise ArtifactError(f"{path}: unknown smallNORB magic number {int(magic)} "
                            f"(expected {sorted(NORB_MAGIC)}); is the file still gzipped?")
    n_header_dims = max(3, int(ndim))
    dims = np.frombuffer(raw, "<i4", count=n_header_dims, offset=8)[:ndim]
    dtype = np.dtype(NORB_MAGIC[int(magic)]).newbyteorder("<")
    offset = 8 + 4 * n_header_dims
    count = int(np.prod(dims))
    if len(raw) - offset < count * dtype.itemsize:
        raise ArtifactError(f"{path}: truncated ({len(raw) - offset} data bytes, header says "
                            f"{count * dtype.itemsize})")
    return np.frombuffer(raw, dtype, count=count, offset=offset).reshape(dims).copy()


def _load_smallnorb(spec, data_dir, progress):
    images, factors = [], []
    for stem in (_NORB_TRAIN, _NORB_TEST):
        base = data_dir / "smallnorb" / stem
        dat = read_norb_matrix(f"{base}-dat.mat")    # (n, 2 cameras, 96, 96) uint8
        cat = read_norb_matrix(f"{base}-cat.mat")    # (n,) int32 category 0..4
        info = read_norb_matrix(f"{base}-info.mat")  # (n, 4) int32 instance, elevation, azimuth(0,2..34), lighting
        if dat.ndim != 4 or dat.shape[1] != 2 or cat.shape != (len(dat),) or info.shape != (len(dat), 4):
            raise ArtifactError(f"{base}-*.mat: shapes dat {dat.shape}, cat {cat.shape}, info "
                                f"{info.shape} do not fit (n,2,96,96), (n,), (n,4)")
        images.append(resize_images(dat[:, 0, :, :, None], 64))  # camera 0
        factors.append(np.stack([cat, info[:, 0], info[:, 1], info[:, 2] // 2, info[:, 3]], axis=1))
        progress(f"  smallnorb: read {stem} ({len(dat)} pairs)")
    return np.concatenate(images), np.concatenate(factors)


def resize_images(images: np.ndarray, size: int) -> np.ndarray:
    """(N, H, W, C) uint8 -> (N, size, size, C) uint8 with antialiased bilinear resampling."""
    import torch
    import torch.nn.functional as F
    if images.shape[1] == size and images.shape[2] == size:
        return images.astype(np.uint8)
    out = []
    for start in range(0, len(images), 1024):
        x = torch.from_numpy(np.ascontiguousarray(images[start:start + 1024])).permute(0, 3, 1, 2).float()
        y = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out.append(y.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy())
    return np.concatenate(out)


def _require_keys(found, required, path):
    missing = [k for k in required if k not in found]
    if missing:
        raise ArtifactError(f"{path}: lacks {missing} (has {sorted(found)}); is it the public file?")
