# Shared helpers: config validation, paths, the Python interpreter for the stage scripts.
import os
import sys

from identifiability.config import ConfigError, validate_config

try:
    validate_config(config)
except ConfigError as exc:
    raise WorkflowError(str(exc))

RESULTS = config["results"]
LOGS = f"{RESULTS}/logs"  # logs and benchmark timings live beside the results they explain
PY = sys.executable  # the interpreter running snakemake: the project's environment
# Shell commands call plain `python`: the project's environment (the one running snakemake) comes
# first on PATH; with --software-deployment-method conda, the rule's conda env is activated over it.
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
THREADS = config.get("threads", 2)


def enabled(family):
    return bool(config.get(family, {}).get("enabled", False))


wildcard_constraints:
    seed=r"\d+",
