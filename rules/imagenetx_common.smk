# Helpers of rules/imagenetx.smk: its settings from the config, run folders, targets and input
# functions (rules/imagenetx.smk holds the rules only). Every default is in
# schemas/imagenetx.schema.yaml, filled in by validate_config (rules/common.smk): the config is read
# here without fallbacks.
import sys
from pathlib import Path

from identifiability.imagenetx.images import HOW_TO_GET
from identifiability.imagenetx.names import MODELS, needs_weights
from identifiability.imagenetx.weights import how_to_obtain, resolve_weights

IMX = config["imagenetx"]
IMX_MODE = IMX["enabled"]
IMX_MODELS = IMX["models"]
IMX_SEED = IMX["seed"]
# null (the default): torchvision's cache, $TORCH_HOME/hub/checkpoints
IMX_WEIGHTS = IMX["weights"]
IMX_EXTRACT = IMX["extract"]
IMX_DECODE = IMX["decode"]
IMX_REPORT = IMX["report"]
IMX_RUN = "{}_n{}_seed{}".format(IMX["which_factor"], IMX["max_images"] or "all", IMX_SEED)
IMX_OUT = f"{RESULTS}/imagenetx/{IMX_RUN}"
IMX_LOG = f"{LOGS}/imagenetx/{IMX_RUN}"


def imx_problems():
    """What is missing for the ImageNet-X family (empty list: ready)."""
    problems = []
    image_dir = IMX["image_dir"]
    if not image_dir:
        problems.append(f"imagenetx.image_dir is not set. {HOW_TO_GET}")
    elif not Path(image_dir).is_dir():
        problems.append(f"imagenetx.image_dir {image_dir} is not a folder. {HOW_TO_GET}")
    for model in IMX_MODELS:
        if needs_weights(model):
            try:
                resolve_weights(model, IMX_WEIGHTS[model])
            except ValueError as exc:
                problems.append(str(exc))
    return problems


def imx_weights(wildcards):
    if not needs_weights(wildcards.model):
        return []
    return [str(resolve_weights(wildcards.model, IMX_WEIGHTS[wildcards.model]))]


IMX_PROBLEMS = imx_problems() if IMX_MODE in (True, "auto") else []
if IMX_MODE is True and IMX_PROBLEMS:
    raise WorkflowError(
        "ImageNet-X is enabled (imagenetx.enabled: true) but cannot run:\n  - "
        + "\n  - ".join(IMX_PROBLEMS)
        + "\nGive these, or set imagenetx.enabled to auto (skip when missing) or false."
    )
IMX_READY = IMX_MODE in (True, "auto") and not IMX_PROBLEMS
if IMX_MODE == "auto" and IMX_PROBLEMS:
    print(
        "ImageNet-X skipped (imagenetx.enabled: auto):\n  - " + "\n  - ".join(IMX_PROBLEMS),
        file=sys.stderr,
    )

IMAGENETX_TARGETS = (
    expand(f"{IMX_OUT}/figure3.{{ext}}", ext=["pdf", "png"])
    + expand(f"{IMX_OUT}/figure3_summary.{{ext}}", ext=["csv", "md", "tex"])
    + [f"{IMX_OUT}/figure3_per_seed.csv"]
    if IMX_READY
    else []
)
