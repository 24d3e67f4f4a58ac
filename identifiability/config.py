"""Config validation against the JSON schemas in ``schemas/`` with messages that name the key."""

from __future__ import annotations

import copy
import functools
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


def _filling_defaults(validator_class):
    """The validator class, extended to fill in each property's ``default`` where it is missing
    (the schema is the one source of the config's defaults; rules read the filled config)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if isinstance(instance, dict):
            for name, sub in props.items():
                if isinstance(sub, dict) and "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, props, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": properties})


FillingValidator = _filling_defaults(jsonschema.Draft202012Validator)


def validate_section(values: dict, schema_name: str, where: str) -> None:
    """Validate ``values`` against ``schemas/<schema_name>``, filling in the schema's defaults in
    place; raise ConfigError naming the offending key."""
    schema = load_schema(schema_name)
    validator = FillingValidator(schema)
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
    """Validate the whole workflow config (top level, then each experiment family) and fill in
    the defaults of its schemas."""
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


def typed_overrides(overrides) -> dict:
    """Command-line config overrides with every string inside a mapping read again as YAML
    ('0.5' -> 0.5, 'true' -> True); top-level strings stay as Snakemake typed them."""
    def typed(value, nested):
        if isinstance(value, dict):
            return {k: typed(v, True) for k, v in value.items()}
        if isinstance(value, list):
            return [typed(v, True) for v in value]
        if nested and isinstance(value, str):
            try:
                return yaml.safe_load(value)
            except yaml.YAMLError:
                return value
        return value
    return {k: typed(v, False) for k, v in dict(overrides or {}).items()}


def typed_from_outer_overrides(config: dict, overrides) -> dict:
    """``config`` (a module's, passed by an outer workflow) with each string that came from the
    outer command line's ``--config`` read again as YAML, as ``typed_overrides`` does for this
    workflow's own: a string leaf of ``config`` at path P is retyped where the overrides hold the
    same string at a path ending in P (the outer workflow passed part of its config). Other
    strings, from config files, are left as they are."""
    leaves = set()

    def walk(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, str):
            leaves.update((path[i:], value) for i in range(len(path)))

    walk(dict(overrides or {}), ())

    def typed(value, path):
        if isinstance(value, dict):
            return {k: typed(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, str) and (path, value) in leaves:
            try:
                return yaml.safe_load(value)
            except yaml.YAMLError:
                return value
        return value

    return typed(config, ())


@functools.cache
def _fragment_validator(schema_name: str, def_name: str):
    """A validator of one fragment of a schema (see validate_against_def) and the keys it defines;
    built once per process (the settings dataclasses check every instance with it)."""
    schema = load_schema(schema_name)
    fragment = schema
    parts = [p for p in def_name.split("/") if p] if "/" in def_name or not def_name else ["$defs", def_name]
    for part in parts:
        if not isinstance(fragment, dict) or part not in fragment:
            raise KeyError(f"{schema_name} has no fragment {def_name!r}")
        fragment = fragment[part]
    fragment = {k: v for k, v in fragment.items() if k != "required"}
    return jsonschema.Draft202012Validator(schema).evolve(schema=fragment), frozenset(fragment.get("properties", {}))


def validate_against_def(values, schema_name: str, def_name: str, where: str = "", label=None) -> None:
    """Validate ``values`` (a mapping) against one fragment of ``schemas/<schema_name>``: the
    rules a config section obeys, applied to the same settings given some other way (a stage
    script's flags), so both are checked by the one schema.

    ``def_name`` is a key of the schema's ``$defs`` (``"process"``), or a '/'-separated path from
    the schema's root (``"properties/train"``; ``""`` is the root itself); ``$ref`` inside it
    resolve against the whole schema. Only the keys the fragment's ``properties`` name are checked
    (other keys belong to the caller), None means "not given" and is skipped, tuples count as
    arrays, and ``required`` is not enforced (a subset may be given); ``values`` is not changed.
    Raises ConfigError naming the key: ``label(key)`` when given (e.g. the flag ``--kappa``),
    else ``config key <where>.<key>``.
    """
    validator, known = _fragment_validator(schema_name, def_name)

    def plain(value):
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    instance = {k: plain(v) for k, v in dict(values).items() if k in known and v is not None}
    errors = list(validator.iter_errors(instance))
    if not errors:
        return
    e = jsonschema.exceptions.best_match(errors)
    path = list(e.absolute_path)
    if label is not None and path:
        name = label(str(path[0])) + "".join(f"[{p}]" for p in path[1:])
    else:
        name = "config key " + (".".join([where] + [str(p) for p in path]) if where else
                                ".".join(map(str, path)) or "<top level>")
    raise ConfigError(f"{name}: {e.message}")
