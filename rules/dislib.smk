# DisLib (paper Sec. 4.2, Table 4): prepare data -> train (MLP, ResNet18) -> extract -> decode -> table.
# Run folders: {RESULTS}/dislib/<data tag>/<model>/bs<batch>_lr<lr>_ep<epochs>[_legacy]/seed<seed>/


include: "dislib_common.smk"


wildcard_constraints:
    dlmodel="mlp|resnet18",
    dldataset="|".join(REAL_DATASETS),
    dltag=r"[A-Za-z0-9_]+",


rule dislib_download:
    """Explicit only (needs internet): snakemake dislib_download. Never part of `all`."""
    output:
        touch(f"{DISLIB_DATA_DIR}/.download_complete"),
    log:
        f"{LOGS}/dislib/download.log",
    benchmark:
        f"{LOGS}/dislib/download.bench.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/dislib_download.py",
        datasets=" ".join(d for d in DISLIB["datasets"] if d in REAL_DATASETS) or "dsprites",
        data_dir=lambda wc, output: os.path.dirname(output[0]),
    shell:
        "{params.python} {params.script} --datasets {params.datasets} --data-dir {params.data_dir} > {log} 2>&1"


rule dislib_prepare_procedural:
    output:
        f"{RESULTS}/dislib/data/dsprites_procedural_n{{n}}_s{{dseed}}.h5",
    log:
        f"{LOGS}/dislib/prepare/dsprites_procedural_n{{n}}_s{{dseed}}.log",
    benchmark:
        f"{LOGS}/dislib/prepare/dsprites_procedural_n{{n}}_s{{dseed}}.bench.tsv"
    wildcard_constraints:
        n=r"\d+",
        dseed=r"\d+",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=DISLIB_MEM,
        runtime=60,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/dislib_prepare.py",
    shell:
        "{params.python} {params.script} --dataset dsprites_procedural --n-samples {wildcards.n} "
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
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=max(DISLIB_MEM, 32000),
        runtime=120,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/dislib_prepare.py",
        data_dir=DISLIB_DATA_DIR,
    shell:
        "{params.python} {params.script} --dataset {wildcards.dldataset} --data-dir {params.data_dir} "
        "--out {output} > {log} 2>&1"


rule dislib_train:
    input:
        data=f"{RESULTS}/dislib/data/{{dltag}}.h5",
    output:
        model=f"{RESULTS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/model.pt",
        history=f"{RESULTS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/train.json",
    log:
        f"{LOGS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/train.log",
    benchmark:
        f"{LOGS}/dislib/{{dltag}}/{{dlmodel}}/{{train}}/seed{{seed}}/train.bench.tsv"
    conda:
        CONDA_ENV
    threads: THREADS
    resources:
        mem_mb=DISLIB_MEM,
        runtime=600,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/dislib_train.py",
        flags=lambda wc: dislib_parse_train_tag(wc.train),
    shell:
        "{params.python} {params.script} --data {input.data} --model {wildcards.dlmodel} "
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
    conda:
        CONDA_ENV
    threads: THREADS
    resources:
        mem_mb=DISLIB_MEM,
        runtime=120,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/dislib_extract.py",
    shell:
        "{params.python} {params.script} --data {input.data} --model-file {input.model} "
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
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=DISLIB_MEM,
        runtime=30,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/dislib_decode.py",
    shell:
        "{params.python} {params.script} --data {input.data} --model {wildcards.dlmodel} "
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
    conda:
        CONDA_ENV
    threads: THREADS
    resources:
        mem_mb=(max(DISLIB_MEM, 32000) if len(DISLIB["datasets"]) > 1 else DISLIB_MEM),
        runtime=240,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/dislib_decode.py",
    shell:
        "{params.python} {params.script} --data {input.data} --model input --seed {wildcards.seed} "
        "--data-tag {wildcards.dltag} --out {output} > {log} 2>&1"


rule dislib_report:
    input:
        DISLIB_DECODINGS,
    output:
        csv=report(
            f"{DISLIB_TABLE}.csv",
            caption="../report/dislib_table4_table.rst",
            category="DisLib",
        ),
        md=report(
            f"{DISLIB_TABLE}.md",
            caption="../report/dislib_table4_table.rst",
            category="DisLib",
        ),
        tex=f"{DISLIB_TABLE}.tex",
        long=f"{DISLIB_TABLE}_long.csv",
        pdf=f"{RESULTS}/dislib/table4_figure.pdf",
        png=report(
            f"{RESULTS}/dislib/table4_figure.png",
            caption="../report/dislib_table4.rst",
            category="DisLib",
        ),
    log:
        f"{LOGS}/dislib/report.log",
    benchmark:
        f"{LOGS}/dislib/report.bench.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/dislib_report.py",
        paper=f"{WORKFLOW_DIR}/reference/paper_results.yaml",
        stem=lambda wc, output: output.csv.removesuffix(".csv"),
        figure=lambda wc, output: output.pdf.removesuffix(".pdf"),
    shell:
        "{params.python} {params.script} --runs {input} --paper {params.paper} --out {params.stem} "
        "--figure {params.figure} > {log} 2>&1"
