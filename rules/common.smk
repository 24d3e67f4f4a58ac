# Shared by every family: config validation (with the schemas' defaults filled in), the results
# folder, threads, the conda environment, and the interpreter the stage scripts run with.
import os
import sys

from snakemake.utils import update_config

from identifiability.config import ConfigError, typed_overrides, validate_config

# `--config` values nested in a mapping arrive as strings (Snakemake parses them with YAML's
# BaseLoader): read them again as YAML so that `--config 'synthetic={train: {lr: 0.5}}'` is a number
update_config(config, typed_overrides(workflow.config_settings.config))
try:
    validate_config(config)
except ConfigError as exc:
    raise WorkflowError(str(exc))

RESULTS = config["results"]
# logs and benchmark timings live beside the results they explain
LOGS = f"{RESULTS}/logs"


envvars:
    "PATH",


# Shell commands call plain `python`: the project's environment (the one running snakemake) comes
# first on PATH; with --software-deployment-method conda, the rule's conda env is activated over it.
BIN = os.path.dirname(sys.executable)
os.environ["PATH"] = os.pathsep.join([BIN, os.environ.get("PATH", "")])
# This workflow's own folder, relative to the working directory (`.` when run from the checkout;
# the module's folder when another workflow uses this one as a module): scripts and reference data
# are found from it.
WORKFLOW_DIR = os.path.relpath(os.path.dirname(os.path.abspath(str(workflow.current_basedir))))
SCRIPTS = f"{WORKFLOW_DIR}/scripts"
# the stage scripts import this workflow's package, also from a conda env that does not install it
PACKAGE_DIR = os.path.abspath(WORKFLOW_DIR)
shell.prefix(
    f"set -euo pipefail; export PYTHONPATH={PACKAGE_DIR}${{{{PYTHONPATH:+:$PYTHONPATH}}}}; "
)
# every default comes from schemas/ (filled in by validate_config); conda envs relative to rules/
THREADS = config["threads"]
CONDA_ENV = f"../envs/{config['conda_env']}.yaml"


wildcard_constraints:
    seed=r"\d+",
