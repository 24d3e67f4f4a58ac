# ImageNet-X (paper Sec. 4.3, Fig. 3).
# annotations + image folder -> index CSV -> features HDF5 per model -> per-seed decoding CSV per
# model -> t-tests, summary table and Figure 3.
# imagenetx.enabled: false (skip) | true (stop with a message if images/weights are missing) |
# auto (run when they are present, else skip with a notice). `snakemake imagenetx` asks for it.


include: "imagenetx_common.smk"


wildcard_constraints:
    model="|".join(MODELS),


if IMX_READY:

    rule imagenetx:
        input:
            IMAGENETX_TARGETS,

else:

    rule imagenetx:
        log:
            f"{LOGS}/imagenetx/not_enabled.log",
        benchmark:
            f"{LOGS}/imagenetx/not_enabled.bench.tsv"
        conda:
            CONDA_ENV
        threads: 1
        resources:
            mem_mb=100,
            runtime=1,
        params:
            msg="ImageNet-X was asked for but cannot run: "
            + ("imagenetx.enabled is false" if IMX_MODE is False else "; ".join(IMX_PROBLEMS))
            + ". Set imagenetx.enabled (true or auto), imagenetx.image_dir and the pretrained "
            "weights (see docs/imagenetx.md).",
        shell:
            "echo {params.msg:q} | tee {log} >&2; exit 1"


rule imagenetx_index:
    output:
        index=f"{IMX_OUT}/index.csv",
        summary=f"{IMX_OUT}/index.json",
    log:
        f"{IMX_LOG}/index.log",
    benchmark:
        f"{IMX_LOG}/index.bench.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/imagenetx_index.py",
        image_dir=IMX["image_dir"] or "",
        which_factor=IMX["which_factor"],
        min_images=IMX["min_images"],
        max_images=IMX["max_images"],
        seed=IMX_SEED,
    shell:
        "{params.python} {params.script} --image-dir {params.image_dir:q} "
        "--which-factor {params.which_factor} --min-images {params.min_images} "
        "--max-images {params.max_images} --seed {params.seed} "
        "--out {output.index} --summary {output.summary} > {log} 2>&1"


rule imagenetx_extract:
    input:
        index=f"{IMX_OUT}/index.csv",
        weights=imx_weights,
    output:
        f"{IMX_OUT}/features/{{model}}.h5",
    log:
        f"{IMX_LOG}/extract_{{model}}.log",
    benchmark:
        f"{IMX_LOG}/extract_{{model}}.bench.tsv"
    conda:
        CONDA_ENV
    threads: THREADS
    resources:
        mem_mb=IMX_EXTRACT["mem_mb"],
        runtime=IMX_EXTRACT["runtime"],
        gpu=IMX_EXTRACT["gpu"],
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/imagenetx_extract.py",
        weights=lambda wc, input: (f"--weights {input.weights[0]!r}" if input.weights else ""),
        batch_size=IMX_EXTRACT["batch_size"],
        workers=IMX_EXTRACT["workers"],
        chunk_images=IMX_EXTRACT["chunk_images"],
        device=IMX_EXTRACT["device"],
        seed=IMX_SEED,
    shell:
        "{params.python} {params.script} --index {input.index} --model {wildcards.model} "
        "{params.weights} --seed {params.seed} --batch-size {params.batch_size} "
        "--workers {params.workers} --chunk-images {params.chunk_images} "
        "--device {params.device} --threads {threads} --out {output} > {log} 2>&1"


rule imagenetx_decode:
    input:
        features=f"{IMX_OUT}/features/{{model}}.h5",
        index=f"{IMX_OUT}/index.csv",
    output:
        f"{IMX_OUT}/decoding/{{model}}.csv",
    log:
        f"{IMX_LOG}/decode_{{model}}.log",
    benchmark:
        f"{IMX_LOG}/decode_{{model}}.bench.tsv"
    conda:
        CONDA_ENV
    threads: THREADS
    resources:
        mem_mb=IMX_DECODE["mem_mb"],
        runtime=IMX_DECODE["runtime"],
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/imagenetx_decode.py",
        seeds=" ".join(str(s) for s in IMX_DECODE["seeds"]),
        test_size=IMX_DECODE["test_size"],
        min_minority=IMX_DECODE["min_minority"],
        C=IMX_DECODE["C"],
        max_iter=IMX_DECODE["max_iter"],
        dead_units=IMX_DECODE["dead_units"],
    shell:
        "{params.python} {params.script} --features {input.features} --index {input.index} "
        "--seeds {params.seeds} --test-size {params.test_size} "
        "--min-minority {params.min_minority} --C {params.C} --max-iter {params.max_iter} "
        "--dead-units {params.dead_units} --threads {threads} --out {output} > {log} 2>&1"


rule imagenetx_report:
    input:
        expand(f"{IMX_OUT}/decoding/{{model}}.csv", model=IMX_MODELS),
    output:
        pdf=f"{IMX_OUT}/figure3.pdf",
        png=report(
            f"{IMX_OUT}/figure3.png",
            caption="../report/imagenetx_figure3.rst",
            category="ImageNet-X",
        ),
        csv=report(
            f"{IMX_OUT}/figure3_summary.csv",
            caption="../report/imagenetx_figure3_table.rst",
            category="ImageNet-X",
        ),
        md=report(
            f"{IMX_OUT}/figure3_summary.md",
            caption="../report/imagenetx_figure3_table.rst",
            category="ImageNet-X",
        ),
        tex=f"{IMX_OUT}/figure3_summary.tex",
        per_seed=report(
            f"{IMX_OUT}/figure3_per_seed.csv",
            caption="../report/imagenetx_figure3_table.rst",
            category="ImageNet-X",
        ),
    log:
        f"{IMX_LOG}/report.log",
    benchmark:
        f"{IMX_LOG}/report.bench.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/imagenetx_report.py",
        stem=lambda wc, output: output.pdf.removesuffix(".pdf"),
        alpha=IMX_REPORT["alpha"],
        alternative=IMX_REPORT["alternative"],
    shell:
        "{params.python} {params.script} --decoding {input} --alpha {params.alpha} "
        "--alternative {params.alternative} --stem {params.stem} > {log} 2>&1"
