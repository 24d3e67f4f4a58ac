# Shared by every family: config validation (with the schemas' defaults filled in), the results
# folder, threads, the conda environment, and the interpreter the stage scripts run with.
import os
import shlex
import sys

from snakemake.utils import update_config

from identifiability.config import (
    ConfigError,
    typed_from_outer_overrides,
    typed_overrides,
    validate_config,
)

# `--config` values nested in a mapping arrive as strings (Snakemake parses them with YAML's
# BaseLoader): read them again as YAML so that `--config 'synthetic={train: {lr: 0.5}}'` is a number.
# Used as a module, this workflow's config is the one the outer workflow passes: the outer command
# line's --config is the outer workflow's, and reaches this one only through that.
# (Snakemake's base modifier says is_module too: a module is a modifier pushed above the base one.)
# The outer workflow's --config values nested in what it passes arrive as strings too: read again.
USED_AS_MODULE = workflow.modifier is not workflow.modifier_stack[0]
if USED_AS_MODULE:
    update_config(config, typed_from_outer_overrides(config, workflow.config_settings.config))
else:
    update_config(config, typed_overrides(workflow.config_settings.config))
# a module declared with `skip_validation: True` is trusted as it is
if not workflow.modifier.skip_validation:
    try:
        validate_config(config)
    except ConfigError as exc:
        hint = ""
        if workflow.overwrite_configfiles and "is a required property" in str(exc):
            hint = (
                f" (a --configfile replaces this workflow's config.yaml: the file is the whole config. "
                f"Start from a copy, cp config.yaml my.yaml, and edit it, or keep config.yaml and change "
                f"single values with --config)"
            )
        raise WorkflowError(str(exc) + hint)


envvars:
    "PATH",


# Every stage runs with the interpreter that runs snakemake (the project's environment), or with
# --software-deployment-method conda the `python` of the rule's conda env; with this workflow's
# package on PYTHONPATH (a conda env need not install it). Both are set in each rule's own command
# (params.python), so nothing of it reaches the rules of a workflow that uses this one as a module.
# This workflow's own folder, relative to the working directory (`.` when run from the checkout;
# the module's folder when another workflow uses this one as a module): scripts and reference data
# are found from it.
WORKFLOW_DIR = os.path.relpath(os.path.dirname(os.path.abspath(str(workflow.current_basedir))))
# One part of the paper validation (configs/validation.yaml) instead of this config: configs/paper.yaml
# reduced to the part's rows, its results in <results>/validation_tables; target validation_part
# (rules/validation.smk) writes the part's evidence to docs/validation/parts/<part>/.
#   snakemake --cores all validation_part --config validation_part='{name: <part>}'
if config["validation_part"]:
    from identifiability.validation.parts import requested_part_config

    try:
        _part_config = requested_part_config(
            config["validation_part"],
            config["results"],
            os.path.normpath(f"{WORKFLOW_DIR}/configs/validation.yaml"),
            os.path.normpath(f"{WORKFLOW_DIR}/configs/paper.yaml"),
        )
        validate_config(_part_config)
    except ConfigError as exc:
        raise WorkflowError(str(exc))
    config.clear()
    config.update(_part_config)

RESULTS = config["results"]
# logs and benchmark timings live beside the results they explain
LOGS = f"{RESULTS}/logs"
SCRIPTS = f"{WORKFLOW_DIR}/scripts"
PACKAGE_DIR = os.path.abspath(WORKFLOW_DIR)
_CONDA = any("conda" in str(m).lower() for m in workflow.deployment_settings.deployment_method)
PYTHON = f"PYTHONPATH={shlex.quote(PACKAGE_DIR)}${{PYTHONPATH:+:$PYTHONPATH}} " + (
    "python" if _CONDA else shlex.quote(sys.executable)
)
# defaults: schemas/ (filled in by validate_config), but a synthetic process's and training's,
# which are identifiability/synthetic/settings.py's; conda envs relative to rules/
THREADS = config["threads"]
CONDA_ENV = f"../envs/{config['conda_env']}.yaml"


wildcard_constraints:
    seed=r"\d+",
