"""Names of the five representations (kept free of heavy imports: the workflow reads them)."""

MODELS = ("resnet50", "resnet50_random", "vit_b_16", "vit_b_16_random", "input_projection")
LABELS = {"resnet50": "ResNet50", "resnet50_random": "ResNet50 (random)",
          "vit_b_16": "ViT-B/16", "vit_b_16_random": "ViT-B/16 (random)",
          "input_projection": "Input (random projection)"}


def architecture(name: str) -> str | None:
    """torchvision architecture of a representation (None for the input projection)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    return None if name == "input_projection" else name.removesuffix("_random")


def needs_weights(name: str) -> bool:
    """Whether a representation needs a pretrained checkpoint."""
    architecture(name)
    return name in ("resnet50", "vit_b_16")
