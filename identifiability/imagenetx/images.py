"""Finding the ImageNet validation JPEGs that ImageNet-X annotates, and reading them.

The image directory may be flat (``val/ILSVRC2012_val_00000001.JPEG``) or sorted into class
folders (``val/n01440764/ILSVRC2012_val_00000293.JPEG``); files are matched by name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

VAL_NAME = re.compile(r"^ILSVRC2012_val_\d{8}\.jpe?g$", re.IGNORECASE)
HOW_TO_GET = ("ImageNet validation images (ILSVRC2012_img_val.tar, 50,000 JPEGs) are obtained "
              "from https://image-net.org after registration; unpack them into one folder (flat "
              "or in class sub-folders) and give it as imagenetx.image_dir in the config")


def discover_images(image_dir: str | os.PathLike) -> dict[str, Path]:
    """Map ``ILSVRC2012_val_XXXXXXXX.JPEG`` (canonical name) -> path, searching sub-folders."""
    root = Path(image_dir)
    if not root.is_dir():
        raise ValueError(f"image directory not found: {root}. {HOW_TO_GET}")
    found: dict[str, Path] = {}
    for dirpath, _dirs, files in os.walk(root, followlinks=True):
        for name in files:
            if not VAL_NAME.match(name):
                continue
            key = name[:-len(name.rsplit(".", 1)[1])] + "JPEG"
            if key in found:
                raise ValueError(f"validation image {key} appears twice: {found[key]} and "
                                 f"{Path(dirpath) / name}; keep one copy")
            found[key] = Path(dirpath) / name
    return found


def match_annotations(annotations: pd.DataFrame, found: dict[str, Path], min_images: int,
                      image_dir: str | os.PathLike = "") -> pd.DataFrame:
    """Annotation rows whose image was found, with a ``path`` column (sorted by file name).

    Raises ValueError when fewer than ``min_images`` annotated images are present.
    """
    if min_images < 1:
        raise ValueError("min_images must be at least 1")
    paths = annotations["file_name"].map(lambda n: str(found[n]) if n in found else None)
    index = annotations.assign(path=paths)
    index = index[index["path"].notna()].reset_index(drop=True)
    if len(index) < min_images:
        raise ValueError(
            f"found {len(index)} of the {len(annotations)} ImageNet-X annotated validation images "
            f"in {image_dir or 'the image directory'} ({len(found)} validation JPEGs in all); at "
            f"least {min_images} are needed (imagenetx.min_images). {HOW_TO_GET}")
    return index


def load_rgb(path: str | os.PathLike):
    """Open an image as 8-bit RGB (ImageNet has a few grayscale and CMYK JPEGs)."""
    from PIL import Image
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read image {path}: {exc}") from exc
