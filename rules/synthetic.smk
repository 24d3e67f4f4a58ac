# Synthetic cluster-centric experiments (paper Sec. 4.1: Tables 2, 3, 5; Appendix D Figs 4-6), the
# theorems' predictions (docs/theory.md) and the family of methods side by side (docs/genealogy.md).
# process files -> trained models (runs stacked per job) -> representations + metrics per run ->
# tables, sweeps, theory, genealogy, figures. Paths and plan: identifiability/synthetic/workflow.py.
import json

from identifiability.synthetic.workflow import SyntheticPaths

SYN = SyntheticPaths(config["synthetic"], f"{RESULTS}/synthetic", THREADS, logs=f"{LOGS}/synthetic")
SYN_OUT = SYN.out
SYN_LOGS = SYN.logs
SYN_DEVICE = config["synthetic"]["device"]
# a GPU per training job, so that `--resources gpu=1` runs one at a time on a one-GPU machine
# (evaluation is a forward pass over 8192 samples: it runs on the CPU and asks for no GPU)
SYN_GPU = 0 if SYN_DEVICE == "cpu" else 1
SYNTHETIC_TARGETS = SYN.targets()


wildcard_constraints:
    process_id=r"[^/]+",
    setting_id=r"[^/]+",
    stack_id=r"[^/]+",
    table=SYN.names_pattern(SYN.tables),
    sweep=SYN.names_pattern(SYN.sweeps),
    kind="table|sweep|theory|genealogy",
    name=r"[^/]+",


rule synthetic_generate:
    """One process setting, all seeds: cluster vectors, generator, held-out samples."""
    output:
        [f"{SYN_OUT}/processes/{{process_id}}/seed{s}.h5" for s in SYN.seeds],
    log:
        SYN.log_file("generate", "{process_id}"),
    benchmark:
        SYN.benchmark_file("generate", "{process_id}")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/synthetic_generate.py",
        args=lambda wc: SYN.process_args(wc.process_id),
        seeds=" ".join(map(str, SYN.seeds)),
    shell:
        "{params.python} {params.script} {params.args} --seed {params.seeds} --out {output} > {log} 2>&1"


# With stack.by seeds each training job is one setting (its job id is the setting id), so it also
# extracts and fits its runs: one start-up instead of two per setting. Stacks of several settings
# are evaluated per setting by synthetic_evaluate.
SYN_TRAIN_OUTPUT = {"models": directory(f"{SYN_OUT}/models/{{stack_id}}")}
if SYN.evaluates_in_training:
    SYN_TRAIN_OUTPUT |= SYN.evaluation_outputs("stack_id")


rule synthetic_train:
    """One job trains a stack of runs (synthetic.stack: the seeds of a setting, or settings that
    share shapes) as stacked tensors; each run gets its own folder under models/<stack>/ (and,
    stacked by seeds, its representations and metrics under runs/<setting id>/).
    """
    input:
        lambda wc: SYN.stack_files(wc.stack_id, "process"),
    output:
        **SYN_TRAIN_OUTPUT,
    log:
        SYN.log_file("train", "{stack_id}"),
    benchmark:
        SYN.benchmark_file("train", "{stack_id}")
    conda:
        CONDA_ENV
    threads: THREADS
    resources:
        mem_mb=lambda wc: 2000 + SYN.stack_work(wc.stack_id, "mem"),
        runtime=lambda wc: 10 + SYN.stack_work(wc.stack_id, "runtime"),
        gpu=SYN_GPU,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/synthetic_train.py",
        args=lambda wc: SYN.train_args(wc.stack_id),
        overrides=lambda wc: SYN.run_overrides(wc.stack_id),
        # paths below the job's output (prefixed when this workflow is used as a module)
        models=lambda wc, output: SYN.stack_files(wc.stack_id, "model", output.models),
        checkpoints=lambda wc, output: SYN.stack_files(wc.stack_id, "checkpoint", output.models),
        evaluate=lambda wc, output: SYN.evaluate_args(output),
        device=SYN_DEVICE,
    shell:
        "{params.python} {params.script} --process {input} --out {params.models} "
        "--checkpoints {params.checkpoints} --run-overrides {params.overrides} "
        "--device {params.device} --threads {threads} {params.args} {params.evaluate} > {log} 2>&1"


if not SYN.evaluates_in_training:

    rule synthetic_evaluate:
        """Extraction (z̃ beside z, rows of W beside v_c) and the linear fits of one setting's runs,
        all seeds, in one process: representations.h5 and metrics.json per run."""
        input:
            models=lambda wc: f"{SYN_OUT}/models/{SYN.plan.stack_of(wc.setting_id)}",
            processes=lambda wc: SYN.setting_process_files(wc.setting_id),
        output:
            **SYN.evaluation_outputs("setting_id"),
        log:
            SYN.log_file("evaluate", "{setting_id}"),
        benchmark:
            SYN.benchmark_file("evaluate", "{setting_id}")
        conda:
            CONDA_ENV
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            python=PYTHON,
            script=f"{SCRIPTS}/synthetic_extract.py",
            models=lambda wc, input: SYN.model_files(wc.setting_id, input.models),
            device="cpu",
        shell:
            "{params.python} {params.script} --model {params.models} --process {input.processes} "
            "--out {output.representations} --metrics {output.metrics} --device {params.device} > {log} 2>&1"


rule synthetic_layout:
    """A table's, sweep's, the theory's or the genealogy's cells and the run folder behind each, as
    data for its stage (written in the main process: nothing to compute)."""
    output:
        f"{SYN_OUT}/layouts/{{kind}}_{{name}}.json",
    log:
        f"{SYN_LOGS}/layout/{{kind}}_{{name}}.log",
    localrule: True
    params:
        layout=lambda wc: SYN.layout(wc.kind, wc.name),
    run:
        from identifiability.io import write_json

        write_json(output[0], json.loads(params.layout))


rule synthetic_table:
    input:
        metrics=lambda wc: SYN.metrics_files("table", wc.table),
        layout=f"{SYN_OUT}/layouts/table_{{table}}.json",
    output:
        report(
            f"{SYN_OUT}/tables/{{table}}.csv",
            caption="../report/synthetic_table.rst",
            category="Synthetic",
            subcategory="Tables",
        ),
        multiext(f"{SYN_OUT}/tables/{{table}}", ".md", ".tex"),
        report(
            f"{SYN_OUT}/tables/{{table}}_vs_paper.csv",
            caption="../report/synthetic_table_cells.rst",
            category="Synthetic",
            subcategory="Tables",
        ),
        f"{SYN_OUT}/figures/{{table}}.pdf",
        report(
            f"{SYN_OUT}/figures/{{table}}.png",
            caption="../report/synthetic_table.rst",
            category="Synthetic",
            subcategory="Tables",
        ),
    log:
        SYN.log_file("table", "{table}"),
    benchmark:
        SYN.benchmark_file("table", "{table}")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/synthetic_table.py",
        runs=lambda wc, input: SYN.runs_root(input.metrics),
        paper=f"{WORKFLOW_DIR}/reference/paper_results.yaml",
        tables=lambda wc, output: SYN.folder(output[0]),
        figures=lambda wc, output: SYN.folder(output[-1]),
    shell:
        "{params.python} {params.script} --layout {input.layout} --runs-root {params.runs} "
        "--paper {params.paper} --tables-dir {params.tables} --figures-dir {params.figures} > {log} 2>&1"


rule synthetic_sweep:
    input:
        metrics=lambda wc: SYN.metrics_files("sweep", wc.sweep),
        layout=f"{SYN_OUT}/layouts/sweep_{{sweep}}.json",
    output:
        report(
            f"{SYN_OUT}/sweeps/{{sweep}}.csv",
            caption="../report/synthetic_sweep.rst",
            category="Synthetic",
            subcategory="Appendix D sweeps",
        ),
        multiext(f"{SYN_OUT}/sweeps/{{sweep}}", ".md", ".tex"),
        multiext(f"{SYN_OUT}/sweeps/{{sweep}}_claims", ".csv", ".md", ".tex"),
        f"{SYN_OUT}/figures/{{sweep}}.pdf",
        report(
            f"{SYN_OUT}/figures/{{sweep}}.png",
            caption="../report/synthetic_sweep.rst",
            category="Synthetic",
            subcategory="Appendix D sweeps",
        ),
    log:
        SYN.log_file("sweep", "{sweep}"),
    benchmark:
        SYN.benchmark_file("sweep", "{sweep}")
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/synthetic_sweep.py",
        runs=lambda wc, input: SYN.runs_root(input.metrics),
        sweeps=lambda wc, output: SYN.folder(output[0]),
        figures=lambda wc, output: SYN.folder(output[-1]),
    shell:
        "{params.python} {params.script} --layout {input.layout} --runs-root {params.runs} "
        "--sweeps-dir {params.sweeps} --figures-dir {params.figures} > {log} 2>&1"


rule synthetic_theory:
    """Every prediction of Theorems 1 and 2, measured, with a verdict (docs/theory.md)."""
    input:
        metrics=SYN.metrics_files("theory") if SYN.plan and SYN.plan.theory else [],
        layout=f"{SYN_OUT}/layouts/theory_all.json",
    output:
        report(
            f"{SYN_OUT}/tables/theory.csv",
            caption="../report/synthetic_theory.rst",
            category="Synthetic",
            subcategory="Theory",
        ),
        multiext(f"{SYN_OUT}/tables/theory", ".md", ".tex"),
        multiext(f"{SYN_OUT}/tables/theory_kappa", ".csv", ".md", ".tex"),
        multiext(f"{SYN_OUT}/tables/theory_diversity", ".csv", ".md", ".tex"),
        f"{SYN_OUT}/figures/theory_kappa.pdf",
        f"{SYN_OUT}/figures/theory_diversity.pdf",
        report(
            f"{SYN_OUT}/figures/theory_kappa.png",
            caption="../report/synthetic_theory.rst",
            category="Synthetic",
            subcategory="Theory",
        ),
        report(
            f"{SYN_OUT}/figures/theory_diversity.png",
            caption="../report/synthetic_theory.rst",
            category="Synthetic",
            subcategory="Theory",
        ),
    log:
        f"{SYN_LOGS}/theory.log",
    benchmark:
        f"{SYN_LOGS}/theory.bench.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/synthetic_theory.py",
        runs=lambda wc, input: SYN.runs_root(input.metrics),
        tables=lambda wc, output: SYN.folder(output[0]),
        figures=lambda wc, output: SYN.folder(output[-1]),
    shell:
        "{params.python} {params.script} --layout {input.layout} --runs-root {params.runs} "
        "--tables-dir {params.tables} --figures-dir {params.figures} > {log} 2>&1"


rule synthetic_genealogy:
    """DIET, supervised, InfoNCE, TCL and GCL on one process, side by side (docs/genealogy.md)."""
    input:
        metrics=(SYN.metrics_files("genealogy") if SYN.plan and SYN.plan.genealogy else []),
        layout=f"{SYN_OUT}/layouts/genealogy_all.json",
    output:
        report(
            f"{SYN_OUT}/tables/genealogy.csv",
            caption="../report/synthetic_genealogy.rst",
            category="Synthetic",
            subcategory="Genealogy",
        ),
        multiext(f"{SYN_OUT}/tables/genealogy", ".md", ".tex"),
        f"{SYN_OUT}/figures/genealogy.pdf",
        report(
            f"{SYN_OUT}/figures/genealogy.png",
            caption="../report/synthetic_genealogy.rst",
            category="Synthetic",
            subcategory="Genealogy",
        ),
    log:
        f"{SYN_LOGS}/genealogy.log",
    benchmark:
        f"{SYN_LOGS}/genealogy.bench.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/synthetic_genealogy.py",
        runs=lambda wc, input: SYN.runs_root(input.metrics),
        tables=lambda wc, output: SYN.folder(output[0]),
        figures=lambda wc, output: SYN.folder(output[-1]),
    shell:
        "{params.python} {params.script} --layout {input.layout} --runs-root {params.runs} "
        "--tables-dir {params.tables} --figures-dir {params.figures} > {log} 2>&1"
