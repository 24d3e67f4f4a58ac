# Synthetic cluster-centric experiments (paper Sec. 4.1: Tables 2, 3, 5; Appendix D Figs 4-6).
# process file -> trained models (runs stacked per job: the seeds of a setting, or settings that
# share shapes) -> representations -> metrics JSON per run -> tables, sweeps (Appendix D), figures.
import json
import re
import shlex

from identifiability.synthetic.plan import build_plan, cli_args
from identifiability.synthetic.settings import PER_RUN_FIELDS

SYN = config["synthetic"]
SYN_PLAN = build_plan(SYN) if SYN.get("enabled", True) else None
SYN_OUT = f"{RESULTS}/synthetic"
SYN_SEEDS = SYN_PLAN.seeds if SYN_PLAN else []


def syn_process_file(process_id, seed):
    return f"{SYN_OUT}/processes/{process_id}/seed{seed}.h5"


def syn_run_file(run_id, seed, name):
    return f"{SYN_OUT}/runs/{run_id}/seed{seed}/{name}"


def syn_setting(wildcards):
    return SYN_PLAN.settings[wildcards.run_id]


def syn_model_file(run_id, seed, name="model.pt", root="models"):
    """Model files of a run live in its stack's folder: models/<stack>/<run>/seed<k>/."""
    return f"{SYN_OUT}/{root}/{SYN_PLAN.stack_of(run_id)}/{run_id}/seed{seed}/{name}"


def syn_stack_files(stack_id, kind):
    """Per run of a stack (settings x seeds, in the order the train script gets them)."""
    out = []
    for rid in SYN_PLAN.stacks[stack_id]:
        for s in SYN_SEEDS:
            if kind == "process":
                out.append(syn_process_file(SYN_PLAN.settings[rid].process_id, s))
            elif kind == "model":
                out.append(syn_model_file(rid, s))
            else:   # resume checkpoints: outside the job's output folder, so they survive a retry
                out.append(syn_model_file(rid, s, "checkpoint.pt", root="checkpoints"))
    return out


def syn_run_overrides(stack_id):
    """The per-run training switches of every run of a stack, one JSON object each."""
    return " ".join(
        shlex.quote(json.dumps({k: getattr(SYN_PLAN.settings[rid].train, k) for k in PER_RUN_FIELDS}))
        for rid in SYN_PLAN.stacks[stack_id]
        for _ in SYN_SEEDS
    )


def syn_stack_work(stack_id, what):
    """Memory (MB) or runtime (min) estimate of a stack: scales with runs x (W rows or steps)."""
    runs = [SYN_PLAN.settings[rid] for rid in SYN_PLAN.stacks[stack_id]] * len(SYN_SEEDS)
    if what == "mem":
        return sum(4 * r.process.N // 1000 + 20 for r in runs)
    return sum(r.train.steps for r in runs) // 1000


SYNTHETIC_TARGETS = (
    expand(f"{SYN_OUT}/tables/{{table}}.{{ext}}", table=list(SYN_PLAN.tables), ext=["csv", "md", "tex"])
    + expand(f"{SYN_OUT}/sweeps/{{sweep}}.{{ext}}", sweep=list(SYN_PLAN.sweeps), ext=["csv", "md", "tex"])
    + expand(
        f"{SYN_OUT}/figures/{{name}}.{{ext}}", name=[*SYN_PLAN.tables, *SYN_PLAN.sweeps], ext=["pdf", "png"]
    )
    if SYN_PLAN
    else []
)


def syn_metrics_files(kind, name):
    return [syn_run_file(rid, s, "metrics.json") for rid in SYN_PLAN.run_ids(kind, name) for s in SYN_SEEDS]


localrules:
    synthetic_table_layout,
    synthetic_sweep_layout,


def syn_names(names):
    """A wildcard pattern matching exactly these names (tables and sweeps share figures/)."""
    return "|".join(re.escape(n) for n in names) or "(?!)"


wildcard_constraints:
    process_id=r"[^/]+",
    run_id=r"[^/]+",
    stack_id=r"[^/]+",
    table=syn_names(SYN_PLAN.tables if SYN_PLAN else []),
    sweep=syn_names(SYN_PLAN.sweeps if SYN_PLAN else []),


rule synthetic_generate:
    output:
        f"{SYN_OUT}/processes/{{process_id}}/seed{{seed}}.h5",
    params:
        args=lambda wc: cli_args(SYN_PLAN.processes[wc.process_id]),
    log:
        f"{LOGS}/synthetic/generate/{{process_id}}_seed{{seed}}.log",
    benchmark:
        f"{LOGS}/synthetic/generate/{{process_id}}_seed{{seed}}.bench.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "{PY} scripts/synthetic_generate.py {params.args} --seed {wildcards.seed} --out {output} > {log} 2>&1"


rule synthetic_train:
    """One job trains a stack of runs (synthetic.stack: the seeds of a setting, or settings that
    share shapes) as stacked tensors; each run gets its own folder under models/<stack>/."""
    input:
        lambda wc: syn_stack_files(wc.stack_id, "process"),
    output:
        directory(f"{SYN_OUT}/models/{{stack_id}}"),
    params:
        args=lambda wc: cli_args(SYN_PLAN.settings[SYN_PLAN.stacks[wc.stack_id][0]].train),
        overrides=lambda wc: syn_run_overrides(wc.stack_id),
        models=lambda wc: syn_stack_files(wc.stack_id, "model"),
        checkpoints=lambda wc: syn_stack_files(wc.stack_id, "checkpoint"),
        device=SYN.get("device", "auto"),
    log:
        f"{LOGS}/synthetic/train/{{stack_id}}.log",
    benchmark:
        f"{LOGS}/synthetic/train/{{stack_id}}.bench.tsv"
    threads: THREADS
    resources:
        mem_mb=lambda wc: 2000 + syn_stack_work(wc.stack_id, "mem"),
        runtime=lambda wc: 10 + syn_stack_work(wc.stack_id, "runtime"),
    shell:
        "{PY} scripts/synthetic_train.py --process {input} --out {params.models} "
        "--checkpoints {params.checkpoints} --run-overrides {params.overrides} "
        "--device {params.device} --threads {threads} {params.args} > {log} 2>&1"


rule synthetic_extract:
    input:
        models=lambda wc: f"{SYN_OUT}/models/{SYN_PLAN.stack_of(wc.run_id)}",
        processes=lambda wc: [syn_process_file(syn_setting(wc).process_id, s) for s in SYN_SEEDS],
    output:
        expand(f"{SYN_OUT}/runs/{{{{run_id}}}}/seed{{seed}}/representations.h5", seed=SYN_SEEDS),
    params:
        models=lambda wc: [syn_model_file(wc.run_id, s) for s in SYN_SEEDS],
        device=SYN.get("device", "auto"),
    log:
        f"{LOGS}/synthetic/extract/{{run_id}}.log",
    benchmark:
        f"{LOGS}/synthetic/extract/{{run_id}}.bench.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "{PY} scripts/synthetic_extract.py --model {params.models} --process {input.processes} "
        "--out {output} --device {params.device} > {log} 2>&1"


rule synthetic_fit:
    input:
        f"{SYN_OUT}/runs/{{run_id}}/seed{{seed}}/representations.h5",
    output:
        f"{SYN_OUT}/runs/{{run_id}}/seed{{seed}}/metrics.json",
    log:
        f"{LOGS}/synthetic/fit/{{run_id}}_seed{{seed}}.log",
    benchmark:
        f"{LOGS}/synthetic/fit/{{run_id}}_seed{{seed}}.bench.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "{PY} scripts/synthetic_fit.py --representations {input} --out {output} > {log} 2>&1"


rule synthetic_table:
    input:
        metrics=lambda wc: syn_metrics_files("table", wc.table),
        layout=lambda wc: f"{SYN_OUT}/tables/{wc.table}.layout.json",
    output:
        multiext(f"{SYN_OUT}/tables/{{table}}", ".csv", ".md", ".tex"),
        f"{SYN_OUT}/figures/{{table}}.pdf",
        report(f"{SYN_OUT}/figures/{{table}}.png", caption="../report/synthetic_table.rst",
               category="Synthetic", subcategory="Tables"),
    log:
        f"{LOGS}/synthetic/table/{{table}}.log",
    benchmark:
        f"{LOGS}/synthetic/table/{{table}}.bench.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "{PY} scripts/synthetic_table.py --layout {input.layout} --runs-root {SYN_OUT}/runs "
        "--paper reference/paper_results.yaml --tables-dir {SYN_OUT}/tables "
        "--figures-dir {SYN_OUT}/figures > {log} 2>&1"


rule synthetic_table_layout:
    """The table's rows and the run folders behind each cell, as data for the table stage."""
    output:
        f"{SYN_OUT}/tables/{{table}}.layout.json",
    params:
        layout=lambda wc: json.dumps(SYN_PLAN.table_layout(wc.table)),
    log:
        f"{LOGS}/synthetic/table/{{table}}.layout.log",
    run:
        from identifiability.io import write_json

        write_json(output[0], json.loads(params.layout))


rule synthetic_sweep:
    input:
        metrics=lambda wc: syn_metrics_files("sweep", wc.sweep),
        layout=lambda wc: f"{SYN_OUT}/sweeps/{wc.sweep}.layout.json",
    output:
        multiext(f"{SYN_OUT}/sweeps/{{sweep}}", ".csv", ".md", ".tex"),
        multiext(f"{SYN_OUT}/sweeps/{{sweep}}_claims", ".csv", ".md", ".tex"),
        f"{SYN_OUT}/figures/{{sweep}}.pdf",
        report(f"{SYN_OUT}/figures/{{sweep}}.png", caption="../report/synthetic_sweep.rst",
               category="Synthetic", subcategory="Appendix D sweeps"),
    log:
        f"{LOGS}/synthetic/sweep/{{sweep}}.log",
    benchmark:
        f"{LOGS}/synthetic/sweep/{{sweep}}.bench.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "{PY} scripts/synthetic_sweep.py --layout {input.layout} --runs-root {SYN_OUT}/runs "
        "--sweeps-dir {SYN_OUT}/sweeps --figures-dir {SYN_OUT}/figures > {log} 2>&1"


rule synthetic_sweep_layout:
    """The sweep's cells, the run folders behind them and the findings to check, as data."""
    output:
        f"{SYN_OUT}/sweeps/{{sweep}}.layout.json",
    params:
        layout=lambda wc: json.dumps(SYN_PLAN.sweep_layout(wc.sweep)),
    log:
        f"{LOGS}/synthetic/sweep/{{sweep}}.layout.log",
    run:
        from identifiability.io import write_json

        write_json(output[0], json.loads(params.layout))
