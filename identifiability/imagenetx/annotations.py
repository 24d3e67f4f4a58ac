"""ImageNet-X annotations (Idrissi et al. 2022) as shipped by the ``imagenet-x`` package.

``load_annotations`` returns one row per annotated validation image: its file name, its ImageNet
class index, the 16 binary factors, and the 17th factor of the paper, ``class``, which is the
class index binarized as ``label >= 500``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# The 16 factors annotated in ImageNet-X, in the order of the paper's Figure 3.
ANNOTATED_FACTORS = (
    "multiple_objects", "background", "color", "brighter", "darker", "style", "larger", "smaller",
    "object_blocking", "person_blocking", "partial_view", "pattern", "pose", "shape",
    "subcategory", "texture",
)
# Plus the class index binarized at 500: 17 decoding targets.
FACTORS = ANNOTATED_FACTORS + ("class",)
CLASS_THRESHOLD = 500
N_CLASSES = 1000


def load_annotations(which_factor: str = "top", filter_prototypes: bool = True) -> pd.DataFrame:
    """Validation annotations as a DataFrame sorted by file name.

    Columns: ``file_name``, ``label`` (ImageNet class index 0..999) and one 0/1 column per name
    in ``FACTORS``. ``which_factor`` is the package's choice: "top" (the annotators' main factor
    per image, the package default) or "multi" (every factor they ticked).
    """
    if which_factor not in ("top", "multi"):
        raise ValueError(f"which_factor must be 'top' or 'multi', not {which_factor!r}")
    try:
        import imagenet_x
    except ImportError as exc:  # pragma: no cover - the package is a project requirement
        raise ValueError("the imagenet-x package is not installed; install it with "
                         "`pip install imagenet-x` (it ships the annotation files)") from exc
    raw = imagenet_x.load_annotations(which_factor=which_factor, partition="val",
                                      filter_prototypes=filter_prototypes)
    return tidy_annotations(raw)


def tidy_annotations(raw: pd.DataFrame) -> pd.DataFrame:
    """Check the package's table and bring it into this project's shape."""
    missing = [c for c in ("file_name", "class", *ANNOTATED_FACTORS) if c not in raw.columns]
    if missing:
        raise ValueError(f"ImageNet-X annotation table lacks columns {missing}; "
                         "is the imagenet-x package version supported (0.0.7 is)?")
    if not raw["file_name"].is_unique:
        raise ValueError("ImageNet-X annotations list some images twice")
    out = pd.DataFrame({"file_name": raw["file_name"].astype(str).to_numpy(),
                        "label": raw["class"].astype(np.int64).to_numpy()})
    if out["label"].min() < 0 or out["label"].max() >= N_CLASSES:
        raise ValueError("ImageNet-X class indices outside 0..999")
    for factor in ANNOTATED_FACTORS:
        values = raw[factor].to_numpy()
        if not np.isin(values, (0, 1)).all():
            raise ValueError(f"ImageNet-X factor {factor!r} is not binary")
        out[factor] = values.astype(np.int8)
    out["class"] = (out["label"] >= CLASS_THRESHOLD).astype(np.int8)
    return out.sort_values("file_name", kind="stable").reset_index(drop=True)

