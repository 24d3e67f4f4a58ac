import glob
import os.path

from identifiability.validation.parts import named_part_inputs

# The paper validation's report (docs/validation.md): rebuilt from the committed evidence of the
# parts of configs/validation.yaml alone, training nothing. `snakemake --cores 1 -f validation_report`
# (-f: the committed report is newer than a fresh clone's evidence files).
# paths relative to the working directory (no "./" where that is this workflow's folder)
VALIDATION_DOCS = os.path.normpath(f"{WORKFLOW_DIR}/docs/validation")
VALIDATION_PARTS = os.path.normpath(f"{WORKFLOW_DIR}/configs/validation.yaml")
PAPER_CONFIG = os.path.normpath(f"{WORKFLOW_DIR}/configs/paper.yaml")


rule validation_report:
    input:
        parts=VALIDATION_PARTS,
        evidence=sorted(
            glob.glob(f"{VALIDATION_DOCS}/parts/*/*.json")
            + glob.glob(f"{VALIDATION_DOCS}/parts/*/*.csv")
        ),
    output:
        markdown=report(
            os.path.normpath(f"{WORKFLOW_DIR}/docs/validation.md"),
            caption="../report/validation_report.rst",
            category="Validation",
        ),
        cells=f"{VALIDATION_DOCS}/paper_tables.csv",
        figure=report(
            f"{VALIDATION_DOCS}/paper_tables.png",
            caption="../report/validation_report.rst",
            category="Validation",
        ),
        figure_pdf=f"{VALIDATION_DOCS}/paper_tables.pdf",
    log:
        f"{LOGS}/validation/report.log",
    benchmark:
        f"{LOGS}/validation/report.bench.tsv"
    conda:
        CONDA_ENV
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/validation_report.py",
        # the folder of the cells file (parts/ below it)
        evidence=lambda wc, output: os.path.dirname(output.cells),
    shell:
        "{params.python} {params.script} --evidence {params.evidence} --parts {input.parts} "
        "--out {output.markdown} > {log} 2>&1"


# One part of the validation, trained by this workflow: with `--config validation_part='{name: <part>}'`
# the config is the part's (rules/common.smk) and this target writes its evidence from the results
# of its tables' runs; wall times from the jobs' benchmark files. Then validation_report.
VALIDATION_PART = config["validation_part"] or {}


VALIDATION_PART_DIR = f"{VALIDATION_DOCS}/parts/{VALIDATION_PART.get('name', 'no_part_named')}"
# what the part runs (its synthetic tables and sweeps, or Table 4's DisLib row) and what it writes
if SYN.plan:
    VALIDATION_PART_INPUTS = [f"{SYN_OUT}/tables/{t}.csv" for t in SYN.tables] + [
        f"{SYN_OUT}/sweeps/{s}.csv" for s in SYN.sweeps
    ]
    VALIDATION_PART_EVIDENCE = [f"{VALIDATION_PART_DIR}/curves.csv"] + [
        f"{VALIDATION_PART_DIR}/{t}.{kind}"
        for t in SYN.tables + SYN.sweeps
        for kind in ("layout.json", "runs.csv")
    ]
else:
    VALIDATION_PART_INPUTS = [f"{DISLIB_TABLE}.csv", *DISLIB_DECODINGS]
    VALIDATION_PART_EVIDENCE = [f"{VALIDATION_PART_DIR}/table4.cells.csv"]


rule validation_part:
    input:
        runs=lambda wc: named_part_inputs(VALIDATION_PART, VALIDATION_PART_INPUTS),
        parts=VALIDATION_PARTS,
        paper=PAPER_CONFIG,
    output:
        part=report(
            f"{VALIDATION_PART_DIR}/part.json",
            caption="../report/validation_part.rst",
            category="Validation",
        ),
        config=f"{VALIDATION_PART_DIR}/config.yaml",
        evidence=VALIDATION_PART_EVIDENCE,
    log:
        f"{LOGS}/validation/part.log",
    benchmark:
        f"{LOGS}/validation/part.bench.tsv"
    conda:
        CONDA_ENV
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/validation_part.py",
        part=VALIDATION_PART.get("name"),
        threads=(f"--threads {VALIDATION_PART['threads']}" if "threads" in VALIDATION_PART else ""),
        stack=f"--stack {VALIDATION_PART['stack']}" if "stack" in VALIDATION_PART else "",
        # the workflow's results folder (this config's is <it>/validation_tables)
        results_root=os.path.dirname(RESULTS),
        # a DisLib part's run folders, as rules/dislib_common.smk names them
        dislib_runs=(
            " ".join(["--dislib-runs"] + [os.path.dirname(d) for d in DISLIB_DECODINGS])
            if DISLIB_DECODINGS
            else ""
        ),
        out=lambda wc, output: os.path.dirname(output.part),
    shell:
        "{params.python} {params.script} --part {params.part} {params.threads} {params.stack} "
        "--parts {input.parts} --paper {input.paper} --results-root {params.results_root} "
        "{params.dislib_runs} --out {params.out} > {log} 2>&1"
