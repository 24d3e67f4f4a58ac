"""DisLib loaders against tiny fixture files in each public format (keys, dtypes, headers, layouts)."""

import dataclasses

import h5py
import numpy as np
import pytest
from scipy.io import savemat

from identifiability.dislib import datasets as ds
from identifiability.io import ArtifactError


def test_dsprites_npz(tmp_path):
    rng = np.random.default_rng(0)
    n = 7
    classes = np.zeros((n, 6), np.int64)
    classes[:, 1:] = rng.integers(0, [3, 6, 40, 32, 32], size=(n, 5))
    imgs = np.zeros((n, 64, 64), np.uint8)
    imgs[2, 3, 50] = 1                                  # row 3, column 50 of image 2
    values = classes.astype(np.float64) / 10
    meta = np.array({"latents_names": ("color", "shape", "scale", "orientation", "posX", "posY")}, dtype=object)
    (tmp_path / "dsprites").mkdir()
    np.savez(tmp_path / ds.SPECS["dsprites"].files[0], imgs=imgs, latents_classes=classes,
             latents_values=values, metadata=meta)
    data = ds.load_dataset("dsprites", tmp_path, progress=lambda *_: None)
    assert data.images.shape == (n, 64, 64, 1) and data.images.dtype == np.uint8
    assert data.images[2, 3, 50, 0] == 255 and data.images.sum() == 255
    np.testing.assert_array_equal(data.factors, classes[:, 1:])
    assert data.spec.factor_names == ("shape", "scale", "orientation", "posX", "posY")


def test_shapes3d_h5_values_to_indices(tmp_path):
    rng = np.random.default_rng(1)
    idx = rng.integers(0, [10, 10, 10, 8, 4, 15], size=(9, 6))
    labels = np.stack([ds.SHAPES3D_VALUES[k][idx[:, k]] for k in range(6)], axis=1).astype(np.float64)
    images = rng.integers(0, 255, size=(9, 64, 64, 3), dtype=np.uint8)
    (tmp_path / "shapes3d").mkdir()
    with h5py.File(tmp_path / "shapes3d/3dshapes.h5", "w") as f:
        f["images"] = images
        f["labels"] = labels
    data = ds.load_dataset("shapes3d", tmp_path, progress=lambda *_: None)
    np.testing.assert_array_equal(data.factors, idx)
    np.testing.assert_array_equal(data.images, images)


def test_shapes3d_rejects_off_grid(tmp_path):
    (tmp_path / "shapes3d").mkdir()
    with h5py.File(tmp_path / "shapes3d/3dshapes.h5", "w") as f:
        f["images"] = np.zeros((1, 64, 64, 3), np.uint8)
        f["labels"] = np.array([[0.05, 0, 0, 0.75, 0, -30]])
    with pytest.raises(ArtifactError, match="off the expected grid"):
        ds.load_dataset("shapes3d", tmp_path, progress=lambda *_: None)


@pytest.mark.parametrize("name", ["mpi3d_toy", "mpi3d_real"])
def test_mpi3d_row_major_grid(tmp_path, monkeypatch, name):
    small = (2, 3, 1, 1, 2, 2, 3)        # the public grid is (6, 6, 2, 3, 3, 40, 40): same layout, smaller
    monkeypatch.setitem(ds.SPECS, name, dataclasses.replace(ds.SPECS[name], factor_sizes=small))
    n = int(np.prod(small))
    images = np.zeros((n, 64, 64, 3), np.uint8)
    images[:, 0, 0, 0] = np.arange(n)    # image i carries its flat index
    images[5, 60, 1, 2] = 200            # orientation marker: row 60, column 1, blue
    (tmp_path / name).mkdir()
    np.savez(tmp_path / ds.SPECS[name].files[0], images=images)
    data = ds.load_dataset(name, tmp_path, progress=lambda *_: None)
    assert data.images[5, 60, 1, 2] == 200
    # last factor (posY) fastest, first (objCol) slowest
    np.testing.assert_array_equal(data.factors[1], [0, 0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(data.factors[3], [0, 0, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(data.factors[-1], np.array(small) - 1)
    flat = np.ravel_multi_index(data.factors.T, small)
    np.testing.assert_array_equal(flat, data.images[:, 0, 0, 0])


def test_mpi3d_wrong_count(tmp_path):
    (tmp_path / "mpi3d_toy").mkdir()
    np.savez(tmp_path / "mpi3d_toy/mpi3d_toy.npz", images=np.zeros((5, 64, 64, 3), np.uint8))
    with pytest.raises(ArtifactError, match="factor grid"):
        ds.load_dataset("mpi3d_toy", tmp_path, progress=lambda *_: None)


def test_cars3d_mat_files(tmp_path):
    folder = tmp_path / "cars"
    folder.mkdir()
    for car in range(2):
        im = np.zeros((128, 128, 3, 24, 4), np.uint8)
        for az in range(24):
            for el in range(4):
                im[:, :, 0, az, el] = az * 10
                im[:, :, 1, az, el] = el * 50
                im[:, :, 2, az, el] = 100 + car
        im[:64, :64, 2, 0, 0] = 255            # top-left quadrant bright (car's first view)
        savemat(folder / f"car_{car:03d}_mesh.mat", {"im": im})
    data = ds.load_dataset("cars3d", tmp_path, progress=lambda *_: None)
    assert data.images.shape == (2 * 96, 64, 64, 3)
    el, az, car = data.factors.T
    centre = data.images[:, 40, 40].astype(int)
    np.testing.assert_array_equal(centre[:, 0], az * 10)
    np.testing.assert_array_equal(centre[:, 1], el * 50)
    np.testing.assert_array_equal(centre[:, 2], 100 + car)
    first = np.nonzero((el == 0) & (az == 0) & (car == 0))[0][0]
    assert data.images[first, 10, 10, 2] == 255 and data.images[first, 50, 50, 2] == 100
    assert sorted(set(car)) == [0, 1]


def _norb_file(path, array, magic):
    ndim = array.ndim
    dims = list(array.shape) + [1] * (max(3, ndim) - ndim)
    header = np.array([magic, ndim] + dims, dtype="<i4").tobytes()
    dtype = "<u1" if magic == 507333717 else "<i4"
    path.write_bytes(header + array.astype(dtype).tobytes())


def test_smallnorb_binary(tmp_path):
    folder = tmp_path / "smallnorb"
    folder.mkdir()
    rng = np.random.default_rng(2)
    expected = []
    for stem, n in ((ds._NORB_TRAIN, 3), (ds._NORB_TEST, 2)):
        dat = np.zeros((n, 2, 96, 96), np.uint8)
        dat[:, 1] = 77                                    # camera 1 must be ignored
        dat[:, 0, :48, :] = 200                           # camera 0: top half bright
        cat = rng.integers(0, 5, n)
        info = np.stack([rng.integers(0, 10, n), rng.integers(0, 9, n),
                         2 * rng.integers(0, 18, n), rng.integers(0, 6, n)], axis=1)
        _norb_file(folder / f"{stem}-dat.mat", dat, 507333717)
        _norb_file(folder / f"{stem}-cat.mat", cat, 507333716)
        _norb_file(folder / f"{stem}-info.mat", info, 507333716)
        expected.append(np.stack([cat, info[:, 0], info[:, 1], info[:, 2] // 2, info[:, 3]], axis=1))
    header = np.frombuffer((folder / f"{ds._NORB_TRAIN}-cat.mat").read_bytes()[:20], "<i4")
    np.testing.assert_array_equal(header, [507333716, 1, 3, 1, 1])   # 1-d: three dims stored
    data = ds.load_dataset("smallnorb", tmp_path, progress=lambda *_: None)
    assert data.images.shape == (5, 64, 64, 1)
    np.testing.assert_array_equal(data.factors, np.concatenate(expected))
    assert (data.images[:, 5, :, 0] == 200).all() and (data.images[:, 60, :, 0] == 0).all()


def test_norb_bad_magic(tmp_path):
    p = tmp_path / "x.mat"
    p.write_bytes(np.array([123, 1, 1, 1, 1, 0], "<i4").tobytes())
    with pytest.raises(ArtifactError, match="magic"):
        ds.read_norb_matrix(p)


@pytest.mark.parametrize("name", ds.REAL_DATASETS)
def test_missing_files_message(tmp_path, name):
    with pytest.raises(ArtifactError) as err:
        ds.load_dataset(name, tmp_path, progress=lambda *_: None)
    msg = str(err.value)
    assert str(tmp_path) in msg and ds.SPECS[name].urls[0] in msg
    assert ds.SPECS[name].files[0].rstrip("/") in msg


def test_specs_match_spec_md():
    assert ds.SPECS["cars3d"].factor_sizes == (4, 24, 183)
    assert ds.SPECS["smallnorb"].factor_sizes == (5, 10, 9, 18, 6)
    for spec in ds.SPECS.values():
        assert spec.target in spec.factor_names
        assert set(spec.decoded) <= set(spec.factor_names)
