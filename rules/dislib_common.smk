# Helpers of rules/dislib.smk: its settings from the config, run folders, targets and input
# functions (rules/dislib.smk holds the rules only). Every default is in schemas/dislib.schema.yaml,
# filled in by validate_config (rules/common.smk): the config is read here without fallbacks.
import os
import re
import sys

from identifiability.dislib.datasets import (
    REAL_DATASETS,
    SPECS,
    missing_files,
    missing_files_message,
)

DISLIB = config["dislib"]
DISLIB_DATA_DIR = DISLIB["data_dir"]
DISLIB_MEM = DISLIB["mem_mb"]
_DL_TRAIN = DISLIB["train"]


def dislib_data_tag(dataset):
    if SPECS[dataset].stand_in:
        n, seed = DISLIB["procedural"]["n_samples"], DISLIB["procedural"]["seed"]
        return f"{dataset}_n{n}_s{seed}"
    return dataset


def dislib_train_tag(model):
    if model == "input":
        return "pixels"
    # dislib.max_epochs names only the models it overrides (the schema gives its keys no default)
    epochs = DISLIB["max_epochs"].get(model, _DL_TRAIN["max_epochs"])
    tag = f"bs{_DL_TRAIN['batch_size']}_lr{_DL_TRAIN['lr']:g}_ep{epochs}_es{_DL_TRAIN['early_stop_acc']:g}"
    return tag + ("_legacy" if DISLIB["legacy_truncation"] else "")


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
        for d in DISLIB["datasets"]
        for m in DISLIB["models"]
        for s in DISLIB["seeds"]
    ]
    if DISLIB["enabled"]
    else []
)
DISLIB_TABLE = f"{RESULTS}/dislib/table4"
DISLIB_TARGETS = (
    [f"{DISLIB_TABLE}.{ext}" for ext in ("csv", "md", "tex")]
    + [f"{RESULTS}/dislib/table4_figure.png"]
    if DISLIB["enabled"]
    else []
)
