# Reproduction workflow for "Cross-Entropy Is All You Need To Invert the Data Generating Process".
#   snakemake --cores all                                  # embedded default config (small, CPU)
#   snakemake --cores all --configfile configs/paper.yaml  # the paper's scale
# Every stage is a script in scripts/ (each has --help); these rules only wire them.

from snakemake.utils import min_version

min_version("8.0")


# The embedded default, unless a config is given with --configfile (then that file alone is the
# config: no keys of config.yaml leak into it).
if not config:

    configfile: "config.yaml"



report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/synthetic.smk"
include: "rules/dislib.smk"
include: "rules/imagenetx.smk"


rule all:
    default_target: True
    input:
        SYNTHETIC_TARGETS,
        DISLIB_TARGETS,
        IMAGENETX_TARGETS,
