# Reproduction workflow for "Cross-Entropy Is All You Need To Invert the Data Generating Process".
#   snakemake --cores all                                  # embedded default config (small, CPU)
#   snakemake --cores all --configfile configs/paper.yaml  # the paper's scale
# Every stage is a script in scripts/ (each has --help); these rules only wire them.

from snakemake.utils import min_version

min_version("8.0")


# The embedded default config.yaml, with `--config key=value` overrides merged over it; a
# `--configfile` replaces it instead (that file alone, plus any --config, is the config: no keys
# of config.yaml leak into it). A workflow using this one as a module passes its own config.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/synthetic.smk"
include: "rules/dislib.smk"
include: "rules/imagenetx.smk"
include: "rules/validation.smk"


rule all:
    default_target: True
    input:
        SYNTHETIC_TARGETS,
        DISLIB_TARGETS,
        IMAGENETX_TARGETS,
