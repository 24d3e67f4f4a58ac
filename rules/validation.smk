import glob
import os.path

# The paper validation's report (docs/validation.md): rebuilt from the committed evidence of the
# parts of configs/validation.yaml alone, training nothing. `snakemake --cores 1 -f validation_report`
# (-f: the committed report is newer than a fresh clone's evidence files).
# paths relative to the working directory (no "./" where that is this workflow's folder)
VALIDATION_DOCS = os.path.normpath(f"{WORKFLOW_DIR}/docs/validation")
VALIDATION_PARTS = os.path.normpath(f"{WORKFLOW_DIR}/configs/validation.yaml")


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
