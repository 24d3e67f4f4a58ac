# Helpers of rules/dislib.smk: its settings from the config, run folders, targets and input
# functions (rules/dislib.smk holds the rules only).
import os
import re
import sys

from identifiability.dislib.datasets import (
    REAL_DATASETS,
    SPECS,
    missing_files,
    missing_files_message,
)

DISLIB = config.get("dislib", {"enabled": False})
DISLIB_DATA_DIR = DISLIB.get("data_dir", "data/dislib")
DISLIB_MEM = DISLIB.get("mem_mb", 4000)
_DL_TRAIN = {"batch_size": 4096, "lr": 1e-3, "max_epochs": 100, "early_stop_acc": 0.999}
_DL_TRAIN.update(DISLIB.get("train", {}))


def dislib_data_tag(dataset):
    if SPECS[dataset].stand_in:
        p = DISLIB.get("procedural", {})
        return f"{dataset}_n{p.get('n_samples', 20000)}_s{p.get('seed', 0)}"
    return dataset


def dislib_train_tag(model):
    if model == "input":
        return "pixels"
    epochs = DISLIB.get("max_epochs", {}).get(model, _DL_TRAIN["max_epochs"])
    tag = f"bs{_DL_TRAIN['batch_size']}_lr{_DL_TRAIN['lr']:g}_ep{epochs}_es{_DL_TRAIN['early_stop_acc']:g}"
    return tag + ("_legacy" if DISLIB.get("legacy_truncation", False) else "")


def dislib_parse_train_tag(tag):
    m = re.fullmatch(r"bs(\d+)_lr([0-9.e+-]+)_ep(\d+)_es([0-9.e+-]+)(_legacy)?", tag)
    if not m:
        raise WorkflowError(f"cannot read training settings from run folder name {tag!r}")
    flags = f"--batch-size {m[1]} --lr {m[2]} --max-epochs {m[3]} --early-stop-acc {m[4]}"
    return flags + (" --legacy-truncation" if m[5] else "")


def dislib_run_dir(dataset, model, seed):
    return (
        f"{RESULTS}/dislib/{dislib_data_tag(dataset)}/{model}/{dislib_train_tag(model)}/seed{seed}"
    )


def dislib_raw_inputs(wildcards):
    """The public files of a real data set. When some are missing the plan still builds (so
    `snakemake -n` works everywhere); a notice says what is missing, and the prepare job itself
    stops with the file names, where to put them and where to get them."""
    missing = missing_files(wildcards.dldataset, DISLIB_DATA_DIR)
    if missing:
        print(
            f"DisLib: {missing_files_message(wildcards.dldataset, DISLIB_DATA_DIR, missing)}",
            file=sys.stderr,
        )
        return []
    return [f"{DISLIB_DATA_DIR}/{f}" for f in SPECS[wildcards.dldataset].files]


DISLIB_DECODINGS = (
    [
        f"{dislib_run_dir(d, m, s)}/decoding.json"
        for d in DISLIB.get("datasets", ["dsprites_procedural"])
        for m in DISLIB.get("models", ["input", "mlp", "resnet18"])
        for s in DISLIB.get("seeds", [0, 1, 2])
    ]
    if DISLIB.get("enabled", False)
    else []
)
DISLIB_TABLE = f"{RESULTS}/dislib/table4"
DISLIB_TARGETS = (
    [f"{DISLIB_TABLE}.{ext}" for ext in ("csv", "md", "tex")]
    + [f"{RESULTS}/dislib/table4_figure.png"]
    if DISLIB.get("enabled", False)
    else []
)
