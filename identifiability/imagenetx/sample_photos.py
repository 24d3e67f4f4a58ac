"""Sample data for the tests and benchmarks: a tiny 'ImageNet validation folder' made of real
photographs that ship with scikit-image and matplotlib, each saved as a JPEG under the name of an ImageNet-X annotated
image, so the real annotation rows drive the decoding targets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SKIMAGE_PHOTOS = ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png",
                  "motorcycle_right.png", "hubble_deep_field.jpg", "retina.jpg", "camera.png",
                  "coins.png", "brick.png", "grass.png", "gravel.png", "moon.png")


def photo_paths() -> list[Path]:
    import matplotlib
    import skimage.data
    root = Path(skimage.data.__file__).parent
    paths = [root / name for name in SKIMAGE_PHOTOS]
    paths.append(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")
    missing = [p for p in paths if not p.exists()]
    assert not missing, f"shipped photographs missing: {missing}"
    return paths


def pick_rows(annotations: pd.DataFrame, per_cell: int = 3) -> pd.DataFrame:
    """per_cell rows of each (class >= 500, pose) combination, first by file name."""
    picked = [annotations[(annotations["class"] == c) & (annotations["pose"] == p)].head(per_cell)
              for c in (0, 1) for p in (0, 1)]
    return pd.concat(picked).sort_values("file_name").reset_index(drop=True)


def make_image_dir(root: Path, annotations: pd.DataFrame, per_cell: int = 3) -> pd.DataFrame:
    """Write one photograph per picked annotation row (half flat, half in class folders)."""
    from PIL import Image
    rows = pick_rows(annotations, per_cell)
    photos = photo_paths()
    assert len(rows) <= len(photos)
    root.mkdir(parents=True, exist_ok=True)
    for i, (row, photo) in enumerate(zip(rows.itertuples(), photos)):
        folder = root if i % 2 == 0 else root / f"n{row.label:08d}"
        folder.mkdir(exist_ok=True)
        with Image.open(photo) as img:
            img = img.convert("RGB") if img.mode not in ("RGB", "L") else img
            img.save(folder / row.file_name, format="JPEG", quality=90)
    (root / "README.txt").write_text("not an image")  # ignored by discovery
    return rows
