# Shared helpers: config validation, paths, the Python interpreter for the stage scripts.
import sys

from identifiability.config import ConfigError, validate_config

try:
    validate_config(config)
except ConfigError as exc:
    raise WorkflowError(str(exc))

RESULTS = config["results"]
LOGS = f"{RESULTS}/logs"  # logs and benchmark timings live beside the results they explain
PY = sys.executable  # the interpreter running snakemake: the project's environment
THREADS = config.get("threads", 2)


def enabled(family):
    return bool(config.get(family, {}).get("enabled", False))


wildcard_constraints:
    seed=r"\d+",
