"""ImageNet-X inputs: the real annotation file, image discovery, local checkpoint checks."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from identifiability.imagenetx import weights as W
from identifiability.imagenetx.annotations import (ANNOTATED_FACTORS, FACTORS, load_annotations,
                                                   tidy_annotations)
from identifiability.imagenetx.images import discover_images, match_annotations


@pytest.fixture(scope="module")
def annotations():
    return load_annotations()


def test_annotations_from_package(annotations):
    import imagenet_x
    assert len(annotations) == 46110
    assert list(annotations.columns) == ["file_name", "label", *FACTORS]
    assert len(FACTORS) == 17 and set(ANNOTATED_FACTORS) == set(imagenet_x.FACTORS)
    assert annotations["file_name"].is_unique
    assert annotations["file_name"].is_monotonic_increasing
    assert annotations["file_name"].str.match(r"^ILSVRC2012_val_\d{8}\.JPEG$").all()
    assert set(np.unique(annotations[list(FACTORS)].to_numpy())) <= {0, 1}
    assert ((annotations["label"] >= 500) == (annotations["class"] == 1)).all()
    # Same counts as the package's own table, and the prototype images are gone.
    raw = imagenet_x.load_annotations()
    for factor in ANNOTATED_FACTORS:
        assert annotations[factor].sum() == raw[factor].sum()
    protos = pd.read_csv(imagenet_x.utils.get_annotation_path() / "prototypical_paths.csv")
    assert not annotations["file_name"].isin(protos["file_name"]).any()
    # "top" marks one main factor per image: every factor occurs, pose and background dominate.
    assert (annotations[list(ANNOTATED_FACTORS)].sum() > 0).all()
    assert annotations["pose"].mean() > 0.2 and annotations["multiple_objects"].mean() < 0.01


def test_multi_factor_selection_and_bad_input(annotations):
    multi = load_annotations("multi")
    assert len(multi) == len(annotations)
    assert (multi[list(ANNOTATED_FACTORS)].sum(axis=1) >= 1).mean() > 0.9
    assert multi["pose"].sum() > annotations["pose"].sum()
    with pytest.raises(ValueError, match="which_factor"):
        load_annotations("all")
    bad = pd.DataFrame({"file_name": ["a"], "class": [3], **{f: [2] for f in ANNOTATED_FACTORS}})
    with pytest.raises(ValueError, match="not binary"):
        tidy_annotations(bad)
    with pytest.raises(ValueError, match="lacks columns"):
        tidy_annotations(bad.drop(columns="pose"))


def test_discovery_flat_and_class_folders(tmp_path, annotations):
    names = annotations["file_name"].iloc[:6].tolist()
    (tmp_path / "n01440764").mkdir()
    for i, name in enumerate(names):
        folder = tmp_path if i % 2 else tmp_path / "n01440764"
        (folder / (name.replace(".JPEG", ".jpeg") if i == 5 else name)).write_bytes(b"x")
    (tmp_path / "ILSVRC2012_val_99999999.JPEG").write_bytes(b"x")  # not annotated
    (tmp_path / "notes.txt").write_text("ignored")
    found = discover_images(tmp_path)
    assert set(found) == set(names) | {"ILSVRC2012_val_99999999.JPEG"}
    index = match_annotations(annotations, found, min_images=6, image_dir=tmp_path)
    assert index["file_name"].tolist() == sorted(names)
    assert all(str(tmp_path) in p for p in index["path"])
    with pytest.raises(ValueError, match=r"found 6 of the 46110 .* at least 7"):
        match_annotations(annotations, found, min_images=7, image_dir=tmp_path)
    (tmp_path / names[1]).rename(tmp_path / "n01440764" / names[1])
    (tmp_path / names[3]).write_bytes(b"x")
    (tmp_path / "n01440764" / names[3]).write_bytes(b"x")
    with pytest.raises(ValueError, match="appears twice"):
        discover_images(tmp_path)
    with pytest.raises(ValueError, match="image-net.org"):
        discover_images(tmp_path / "missing")


def test_weights_from_torch_home_with_hash_check(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert W.checkpoint_dir() == tmp_path / "th" / "hub" / "checkpoints"
    with pytest.raises(ValueError) as info:
        W.resolve_weights("resnet50")
    msg = str(info.value)
    assert "download.pytorch.org/models/resnet50-11ad3fa6.pth" in msg
    assert str(tmp_path / "th" / "hub" / "checkpoints" / "resnet50-11ad3fa6.pth") in msg
    with pytest.raises(ValueError, match="no pretrained weights"):
        W.resolve_weights("resnet18")
    # A file whose name carries the right sha256 prefix passes; a wrong prefix is caught.
    payload = b"not really a checkpoint"
    digest = hashlib.sha256(payload).hexdigest()
    good = tmp_path / f"resnet50-{digest[:8]}.pth"
    good.write_bytes(payload)
    assert W.resolve_weights("resnet50", good) == good
    info = W.verify_checkpoint(good)
    assert info["sha256"] == digest and info["name_hash_checked"]
    cache = W.checkpoint_dir()
    cache.mkdir(parents=True)
    (cache / "resnet50-11ad3fa6.pth").write_bytes(payload)
    with pytest.raises(ValueError, match="damaged"):
        W.verify_checkpoint(W.resolve_weights("resnet50"))
    plain = tmp_path / "my_weights.pth"
    plain.write_bytes(payload)
    assert not W.verify_checkpoint(plain)["name_hash_checked"]
    with pytest.raises(ValueError, match="cannot read checkpoint"):
        W.load_state_dict(good)


def test_pretrained_model_loads_local_state_dict(tmp_path):
    """A state dict saved under torchvision's file name loads into the headless backbone."""
    import torch
    from torchvision.models import resnet50

    from identifiability.imagenetx import models
    torch.manual_seed(1)
    state = resnet50(weights=None).state_dict()
    raw = tmp_path / "raw.pth"
    torch.save(state, raw)
    digest = hashlib.sha256(raw.read_bytes()).hexdigest()
    path = tmp_path / f"resnet50-{digest[:8]}.pth"
    raw.rename(path)
    rep = models.build("resnet50", seed=0, checkpoint=path)
    assert rep.dim == 2048 and rep.info["sha256"] == digest
    assert torch.equal(rep.module.conv1.weight, state["conv1.weight"])
    assert isinstance(rep.module.fc, torch.nn.Identity)
    with pytest.raises(ValueError, match="takes no checkpoint"):
        models.build("resnet50_random", seed=0, checkpoint=path)
