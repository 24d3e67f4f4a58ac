"""Config validation against the JSON schemas in ``schemas/`` with messages that name the key."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


class ConfigError(ValueError):
    """The config does not match its schema; the message names the offending key."""


def load_schema(name: str) -> dict:
    schema = yaml.safe_load((SCHEMA_DIR / name).read_text())
    if name == "synthetic.schema.yaml":   # the training methods are the registry's (no torch imported)
        from identifiability.synthetic.methods import METHODS
        schema["$defs"]["train"]["properties"]["method"]["enum"] = sorted(METHODS)
    return schema


def validate_section(values: dict, schema_name: str, where: str) -> None:
    """Validate ``values`` against ``schemas/<schema_name>``; raise ConfigError naming the key."""
    schema = load_schema(schema_name)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(values), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        e = jsonschema.exceptions.best_match(errors)
        key = ".".join([where] + [str(p) for p in e.absolute_path]) if where else ".".join(map(str, e.absolute_path))
        if e.validator == "additionalProperties":
            msg = f"config key {key or '<top level>'}: {e.message} (check the spelling; allowed keys are in {SCHEMA_DIR / schema_name})"
        else:
            msg = f"config key {key or '<top level>'}: {e.message}"
        raise ConfigError(msg)


def validate_config(config: dict) -> None:
    """Validate the whole workflow config (top level, then each experiment family)."""
    validate_section(config, "config.schema.yaml", "")
    for family in ("synthetic", "dislib", "imagenetx"):
        if family in config and (SCHEMA_DIR / f"{family}.schema.yaml").exists():
            validate_section(config[family], f"{family}.schema.yaml", family)


def load_config(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file not found: {path}")
    config = yaml.safe_load(path.read_text()) or {}
    validate_config(config)
    return config
