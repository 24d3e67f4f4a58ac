# DisLib (paper Sec. 4.2, Table 4): prepare data -> train (MLP, ResNet18) -> extract -> decode -> table.
# Run folders: {RESULTS}/dislib/<data tag>/<model>/bs<batch>_lr<lr>_ep<epochs>[_legacy]/seed<seed>/
import re
import sys

from identifiability.dislib.datasets import REAL_DATASETS, SPECS, missing_files, missing_files_message

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
    return f"{RESULTS}/dislib/{dislib_data_tag(dataset)}/{model}/{dislib_train_tag(model)}/seed{seed}"


def dislib_raw_inputs(wildcards):
    """The public files of a real data set. When some are missing the plan still builds (so
    `snakemake -n` works everywhere); a notice says what is missing, and the prepare job itself
    stops with the file names, where to put them and where to get them."""
    missing = missing_files(wildcards.dldataset, DISLIB_DATA_DIR)
    if missing:
        print("DisLib: " + missing_files_message(wildcards.dldataset, DISLIB_DATA_DIR, missing),
              file=sys.stderr)
        return []
    return [f"{DISLIB_DATA_DIR}/{f}" for f in SPECS[wildcards.dldataset].files]


DISLIB_DECODINGS = (
    [f"{dislib_run_dir(d, m, s)}/decoding.json"
     for d in DISLIB.get("datasets", ["dsprites_procedural"])
     for m in DISLIB.get("models", ["input", "mlp", "resnet18"])
     for s in DISLIB.get("seeds", [0, 1, 2])]
    if DISLIB.get("enabled", False) else []
)
DISLIB_TABLE = f"{RESULTS}/dislib/table4"
DISLIB_TARGETS = (
    [f"{DISLIB_TABLE}.{ext}" for ext in ("csv", "md", "tex")] + [f"{RESULTS}/dislib/table4_figure.png"]
    if DISLIB.get("enabled", False) else []
)


wildcard_constraints:
    dlmodel="mlp|resnet18",
    dldataset="|".join(REAL_DATASETS),
    dltag=r"[A-Za-z0-9_]+",


rule dislib_download:
    """Explicit only (needs internet): snakemake dislib_download. Never part of `all`."""
    output:
        touch(f"{DISLIB_DATA_DIR}/.download_complete"),
    params:
        datasets=" ".join(d for d in DISLIB.get("datasets", []) if d in REAL_DATASETS) or "dsprites",
    log:
        f"{LOGS}/dislib/download.log",
    benchmark:
        f"{LOGS}/dislib/download.bench.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    shell:
        "{PY} scripts/dislib_download.py --datasets {params.datasets} --data-dir {DISLIB_DATA_DIR} > {log} 2>&1"


rule dislib_prepare_procedural:
    output:
        f"{RESULTS}/dislib/data/dsprites_procedural_n{{n}}_s{{dseed}}.h5",
    wildcard_constraints:
        n=r"\d+",
        dseed=r"\d+",
    log:
        f"{LOGS}/dislib/prepare/dsprites_procedural_n{{n}}_s{{dseed}}.log",
    benchmark:
        f"{LOGS}/dislib/prepare/dsprites_procedural_n{{n}}_s{{dseed}}.bench.tsv"
    threads: 1
    resources:
        mem_mb=DISLIB_MEM,
        runtime=60,
    shell:
        "{PY} scripts/dislib_prepare.py --dataset dsprites_procedural --n-samples {wildcards.n} "
        "--seed {wildcards.dseed} --out {output} > {log} 2>&1"


rule dislib_prepare:
    input:
        dislib_raw_inputs,
    output:
        f"{RESULTS}/dislib/data/{{dldataset}}.h5",
    log:
        f"{LOGS}/dislib/prepare/{{dldataset}}.log",
    benchmark:
        f"{LOGS}/dislib/prepare/{{dldataset}}.bench.tsv"
    threads: 1
    resources:
        mem_mb=max(DISLIB_MEM, 32000),
        runtime=120,
    shell:
        "{PY} scripts/dislib_prepare.py --dataset {wildcards.dldataset} --data-dir {DISLIB_DATA_DIR} "
        "--out {output} > {log} 2>&1"


rule dislib_train:
    input:
        data=f"{RESULTS}/dislib/data/{{dltag}}.h5",
    output:
        model=f"{RESULTS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/model.pt",
        history=f"{RESULTS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/train.json",
    params:
        flags=lambda wc: dislib_parse_train_tag(wc.train),
    log:
        f"{LOGS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/train.log",
    benchmark:
        f"{LOGS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/train.bench.tsv"
    threads: THREADS
    resources:
        mem_mb=DISLIB_MEM,
        runtime=600,
    shell:
        "{PY} scripts/dislib_train.py --data {input.data} --model {wildcards.dlmodel} "
        "--seed {wildcards.seed} {params.flags} --threads {threads} --out {output.model} "
        "--history {output.history} > {log} 2>&1"


rule dislib_extract:
    input:
        data=f"{RESULTS}/dislib/data/{{dltag}}.h5",
        model=f"{RESULTS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/model.pt",
    output:
        f"{RESULTS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/features.h5",
    log:
        f"{LOGS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/extract.log",
    benchmark:
        f"{LOGS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/extract.bench.tsv"
    threads: THREADS
    resources:
        mem_mb=DISLIB_MEM,
        runtime=120,
    shell:
        "{PY} scripts/dislib_extract.py --data {input.data} --model-file {input.model} "
        "--threads {threads} --out {output} > {log} 2>&1"


rule dislib_decode:
    input:
        data=f"{RESULTS}/dislib/data/{{dltag}}.h5",
        features=f"{RESULTS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/features.h5",
        history=f"{RESULTS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/train.json",
    output:
        f"{RESULTS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/decoding.json",
    log:
        f"{LOGS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/decode.log",
    benchmark:
        f"{LOGS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/decode.bench.tsv"
    threads: 1
    resources:
        mem_mb=DISLIB_MEM,
        runtime=30,
    shell:
        "{PY} scripts/dislib_decode.py --data {input.data} --model {wildcards.dlmodel} "
        "--seed {wildcards.seed} --features {input.features} --history {input.history} "
        "--data-tag {wildcards.dltag} --out {output} > {log} 2>&1"


rule dislib_decode_input:
    input:
        data=f"{RESULTS}/dislib/data/{{dltag}}.h5",
    output:
        f"{RESULTS}/dislib/{{dltag}}/input/pixels/seed{{seed}}/decoding.json",
    log:
        f"{LOGS}/dislib/{{dltag}}/input/seed{{seed}}/decode.log",
    benchmark:
        f"{LOGS}/dislib/{{dltag}}/input/seed{{seed}}/decode.bench.tsv"
    threads: THREADS
    resources:
        mem_mb=max(DISLIB_MEM, 32000) if len(DISLIB.get("datasets", [])) > 1 else DISLIB_MEM,
        runtime=240,
    shell:
        "{PY} scripts/dislib_decode.py --data {input.data} --model input --seed {wildcards.seed} "
        "--data-tag {wildcards.dltag} --out {output} > {log} 2>&1"


rule dislib_report:
    input:
        DISLIB_DECODINGS,
    output:
        multiext(DISLIB_TABLE, ".csv", ".md", ".tex", "_long.csv"),
        f"{RESULTS}/dislib/table4_figure.pdf",
        report(f"{RESULTS}/dislib/table4_figure.png", caption="../report/dislib_table4.rst", category="DisLib"),
    params:
        paper="reference/paper_results.yaml",
    log:
        f"{LOGS}/dislib/report.log",
    benchmark:
        f"{LOGS}/dislib/report.bench.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "{PY} scripts/dislib_report.py --runs {input} --paper {params.paper} --out {DISLIB_TABLE} "
        "--figure {RESULTS}/dislib/table4_figure > {log} 2>&1"
