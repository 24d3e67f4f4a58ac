# ImageNet-X (paper Sec. 4.3, Fig. 3).
# annotations + image folder -> index CSV -> features HDF5 per model -> per-seed decoding CSV per
# model -> t-tests, summary table and Figure 3.
# imagenetx.enabled: false (skip) | true (stop with a message if images/weights are missing) |
# auto (run when they are present, else skip with a notice). `snakemake imagenetx` asks for it.
import sys
from pathlib import Path

from identifiability.imagenetx.images import HOW_TO_GET
from identifiability.imagenetx.names import MODELS, needs_weights
from identifiability.imagenetx.weights import how_to_obtain, resolve_weights

IMX = config.get("imagenetx", {}) or {}
IMX_MODE = IMX.get("enabled", False)
IMX_MODELS = IMX.get("models", list(MODELS))
IMX_SEED = IMX.get("seed", 0)
IMX_EXTRACT = IMX.get("extract", {}) or {}
IMX_DECODE = IMX.get("decode", {}) or {}
IMX_REPORT = IMX.get("report", {}) or {}
IMX_RUN = "{}_n{}_seed{}".format(IMX.get("which_factor", "top"), IMX.get("max_images", 0) or "all", IMX_SEED)
IMX_OUT = f"{RESULTS}/imagenetx/{IMX_RUN}"
IMX_LOG = f"{LOGS}/imagenetx/{IMX_RUN}"


def imx_problems():
    """What is missing for the ImageNet-X family (empty list: ready)."""
    problems = []
    image_dir = IMX.get("image_dir")
    if not image_dir:
        problems.append(f"imagenetx.image_dir is not set. {HOW_TO_GET}")
    elif not Path(image_dir).is_dir():
        problems.append(f"imagenetx.image_dir {image_dir} is not a folder. {HOW_TO_GET}")
    for model in IMX_MODELS:
        if needs_weights(model):
            try:
                resolve_weights(model, (IMX.get("weights") or {}).get(model))
            except ValueError as exc:
                problems.append(str(exc))
    return problems


def imx_weights(wildcards):
    if not needs_weights(wildcards.model):
        return []
    return [str(resolve_weights(wildcards.model, (IMX.get("weights") or {}).get(wildcards.model)))]


IMX_PROBLEMS = imx_problems() if IMX_MODE in (True, "auto") else []
if IMX_MODE is True and IMX_PROBLEMS:
    raise WorkflowError("ImageNet-X is enabled (imagenetx.enabled: true) but cannot run:\n  - "
                        + "\n  - ".join(IMX_PROBLEMS)
                        + "\nGive these, or set imagenetx.enabled to auto (skip when missing) or false.")
IMX_READY = IMX_MODE in (True, "auto") and not IMX_PROBLEMS
if IMX_MODE == "auto" and IMX_PROBLEMS:
    print("ImageNet-X skipped (imagenetx.enabled: auto):\n  - " + "\n  - ".join(IMX_PROBLEMS),
          file=sys.stderr)

IMAGENETX_TARGETS = (
    expand(f"{IMX_OUT}/figure3.{{ext}}", ext=["pdf", "png"])
    + expand(f"{IMX_OUT}/figure3_summary.{{ext}}", ext=["csv", "md", "tex"])
    + [f"{IMX_OUT}/figure3_per_seed.csv"]
    if IMX_READY
    else []
)


wildcard_constraints:
    model="|".join(MODELS),


if IMX_READY:

    rule imagenetx:
        input:
            IMAGENETX_TARGETS,

else:

    rule imagenetx:
        params:
            msg="ImageNet-X was asked for but cannot run: "
            + ("imagenetx.enabled is false" if IMX_MODE is False else "; ".join(IMX_PROBLEMS))
            + ". Set imagenetx.enabled (true or auto), imagenetx.image_dir and the pretrained "
            "weights (see docs/imagenetx.md).",
        log:
            f"{LOGS}/imagenetx/not_enabled.log",
        benchmark:
            f"{LOGS}/imagenetx/not_enabled.bench.tsv"
        threads: 1
        resources:
            mem_mb=100,
            runtime=1,
        shell:
            "echo {params.msg:q} | tee {log} >&2; exit 1"


rule imagenetx_index:
    output:
        index=f"{IMX_OUT}/index.csv",
        summary=f"{IMX_OUT}/index.json",
    params:
        image_dir=IMX.get("image_dir") or "",
        which_factor=IMX.get("which_factor", "top"),
        min_images=IMX.get("min_images", 1000),
        max_images=IMX.get("max_images", 0),
    log:
        f"{IMX_LOG}/index.log",
    benchmark:
        f"{IMX_LOG}/index.bench.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    shell:
        "{PY} scripts/imagenetx_index.py --image-dir {params.image_dir:q} "
        "--which-factor {params.which_factor} --min-images {params.min_images} "
        "--max-images {params.max_images} --seed {IMX_SEED} "
        "--out {output.index} --summary {output.summary} > {log} 2>&1"


rule imagenetx_extract:
    input:
        index=f"{IMX_OUT}/index.csv",
        weights=imx_weights,
    output:
        f"{IMX_OUT}/features/{{model}}.h5",
    params:
        weights=lambda wc, input: f"--weights {input.weights[0]!r}" if input.weights else "",
        batch_size=IMX_EXTRACT.get("batch_size", 64),
        workers=IMX_EXTRACT.get("workers", 0),
        chunk_images=IMX_EXTRACT.get("chunk_images", 1024),
        device=IMX_EXTRACT.get("device", "auto"),
    log:
        f"{IMX_LOG}/extract_{{model}}.log",
    benchmark:
        f"{IMX_LOG}/extract_{{model}}.bench.tsv"
    threads: THREADS
    resources:
        mem_mb=IMX_EXTRACT.get("mem_mb", 6000),
        runtime=IMX_EXTRACT.get("runtime", 240),
        gpu=IMX_EXTRACT.get("gpu", 0),
    shell:
        "{PY} scripts/imagenetx_extract.py --index {input.index} --model {wildcards.model} "
        "{params.weights} --seed {IMX_SEED} --batch-size {params.batch_size} "
        "--workers {params.workers} --chunk-images {params.chunk_images} "
        "--device {params.device} --threads {threads} --out {output} > {log} 2>&1"


rule imagenetx_decode:
    input:
        features=f"{IMX_OUT}/features/{{model}}.h5",
        index=f"{IMX_OUT}/index.csv",
    output:
        f"{IMX_OUT}/decoding/{{model}}.csv",
    params:
        seeds=" ".join(str(s) for s in IMX_DECODE.get("seeds", list(range(10)))),
        test_size=IMX_DECODE.get("test_size", 0.3),
        min_minority=IMX_DECODE.get("min_minority", 10),
        C=IMX_DECODE.get("C", 1.0),
        max_iter=IMX_DECODE.get("max_iter", 1000),
        dead_units=IMX_DECODE.get("dead_units", "mean_nonpositive"),
    log:
        f"{IMX_LOG}/decode_{{model}}.log",
    benchmark:
        f"{IMX_LOG}/decode_{{model}}.bench.tsv"
    threads: THREADS
    resources:
        mem_mb=IMX_DECODE.get("mem_mb", 4000),
        runtime=IMX_DECODE.get("runtime", 240),
    shell:
        "{PY} scripts/imagenetx_decode.py --features {input.features} --index {input.index} "
        "--seeds {params.seeds} --test-size {params.test_size} "
        "--min-minority {params.min_minority} --C {params.C} --max-iter {params.max_iter} "
        "--dead-units {params.dead_units} --threads {threads} --out {output} > {log} 2>&1"


rule imagenetx_report:
    input:
        expand(f"{IMX_OUT}/decoding/{{model}}.csv", model=IMX_MODELS),
    output:
        f"{IMX_OUT}/figure3.pdf",
        report(f"{IMX_OUT}/figure3.png", caption="../report/imagenetx_figure3.rst", category="ImageNet-X"),
        multiext(f"{IMX_OUT}/figure3_summary", ".csv", ".md", ".tex"),
        f"{IMX_OUT}/figure3_per_seed.csv",
    params:
        alpha=IMX_REPORT.get("alpha", 0.05),
        alternative=IMX_REPORT.get("alternative", "two-sided"),
    log:
        f"{IMX_LOG}/report.log",
    benchmark:
        f"{IMX_LOG}/report.bench.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "{PY} scripts/imagenetx_report.py --decoding {input} --alpha {params.alpha} "
        "--alternative {params.alternative} --stem {IMX_OUT}/figure3 > {log} 2>&1"
