"""The validation's parts (configs/validation.yaml, schema schemas/validation.schema.yaml) and the
config each part runs: configs/paper.yaml reduced to the part's rows."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from identifiability.config import ConfigError, validate_config, validate_section
from identifiability.synthetic.paper import paper_baseline

REPO = Path(__file__).resolve().parents[2]
PARTS_FILE = REPO / "configs" / "validation.yaml"
PAPER_CONFIG = REPO / "configs" / "paper.yaml"
# below the workflow's results folder: the parts' runs (each part's evidence lives in docs/)
RESULTS_SUBDIR = "validation_tables"
EVIDENCE_DIR = REPO / "docs" / "validation"


def load_parts(path: str | Path = PARTS_FILE) -> dict:
    """Every part by name, validated (schema defaults filled in); ConfigError naming the key."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"validation parts file not found: {path}")
    data = yaml.safe_load(path.read_text()) or {}
    validate_section(data, "validation.schema.yaml", "")
    parts = data["parts"]
    for name, spec in parts.items():
        for key in ("supersedes", "extends"):
            named = spec.get(key) or []
            for other in [named] if isinstance(named, str) else named:
                if other not in parts:
                    raise ConfigError(f"config key parts.{name}.{key}: {other!r} is not a part of {path}")
        base = parts.get(spec.get("extends"), {})
        if base and any(base.get(k) != spec.get(k) for k in ("where", "sweep", "axes", "dislib", "tables", "columns", "train", "investigation")):
            raise ConfigError(f"config key parts.{name}.extends: {spec['extends']!r} runs other rows or another "
                              f"budget; a part that extends another differs from it in its seeds alone")
    return parts


def in_part(process: dict, where: dict) -> bool:
    """Whether a row's process (its changes over the config's base; keys it leaves unset are the
    paper's baseline's) has, for every key of ``where``, one of its values."""
    full = {**paper_baseline(), **process}
    return all(full.get(k) in values for k, values in where.items())


def part_config(spec: dict, results: str, paper_config: dict | None = None, threads: int | None = None,
                stack: str | None = None) -> dict:
    """configs/paper.yaml with only the part's table rows (and their training changed by the
    part's ``train``), its seeds, no sweeps, theory or genealogy, the other families off.

    threads: CPU threads per training job instead of the paper config's (on a 2-core CPU, two
    one-thread jobs side by side train faster than one two-thread job; the numbers do not depend
    on it). stack: "seeds" trains each setting in its own job (its seeds stacked) instead of the
    paper config's stacking by settings: more, smaller jobs, which keep 2 cores busy to the end."""
    cfg = copy.deepcopy(paper_config if paper_config is not None else yaml.safe_load(PAPER_CONFIG.read_text()))
    cfg["results"] = results
    if threads is not None:
        cfg["threads"] = threads
    if stack is not None:
        cfg["synthetic"]["stack"] = {"by": stack}
    cfg["imagenetx"] = {"enabled": False}
    if "dislib" in spec:   # Table 4's row: the DisLib family alone, at the paper config's training rule
        cfg["dislib"] = {**cfg["dislib"], **spec["dislib"], "enabled": True}
        if "seeds" in spec:
            cfg["dislib"]["seeds"] = spec["seeds"]
        cfg["synthetic"] = {"enabled": False, "seeds": [0]}
        return cfg
    cfg["dislib"] = {"enabled": False}
    syn = cfg["synthetic"]
    for key in ("theory", "genealogy"):
        syn.pop(key, None)
    sweeps = syn.pop("sweeps", None) or {}
    if "sweep" in spec:
        syn["tables"] = {}
        syn["sweeps"] = {spec["sweep"]: _part_sweep(spec, sweeps)}
        if "seeds" in spec:
            syn["seeds"] = spec["seeds"]
        return cfg
    base = syn["process"]
    tables = {}
    for name, table in syn["tables"].items():
        if "tables" in spec and name not in spec["tables"]:
            continue
        rows = [r for r in table["rows"] if in_part({**base, **r.get("process", {})}, spec["where"])]
        if spec.get("train"):
            rows = [{**r, "train": {**r.get("train", {}), **spec["train"]}} for r in rows]
        columns = table["columns"]
        if name in spec.get("columns", {}):
            columns = {c: v for c, v in columns.items() if c in spec["columns"][name]}
        if rows:
            tables[name] = {**table, "columns": columns, "rows": rows}
    syn["tables"] = tables
    if "seeds" in spec:
        syn["seeds"] = spec["seeds"]
    return cfg


def _part_sweep(spec: dict, sweeps: dict) -> dict:
    """The paper config's sweep ``spec["sweep"]`` with the part's axis values and training over
    its own; its stated findings only about the values run."""
    name = spec["sweep"]
    if name not in sweeps:
        raise ConfigError(f"config key parts.<part>.sweep: {name!r} is not a sweep of the paper config "
                          f"(sweeps: {', '.join(sweeps) or 'none'})")
    sweep = copy.deepcopy(sweeps[name])
    for axis, values in spec.get("axes", {}).items():
        if axis not in sweep["axes"]:
            raise ConfigError(f"config key parts.<part>.axes: {axis!r} is not an axis of sweep {name!r} "
                              f"(axes: {', '.join(sweep['axes'])})")
        sweep["axes"][axis] = values
    if spec.get("train"):
        base = sweep.setdefault("base", {})
        base["train"] = {**base.get("train", {}), **spec["train"]}
    claims = []
    for claim in sweep.get("claims", []):
        where = {k: [v for v in vals if v in sweep["axes"].get(k, vals)] for k, vals in claim["where"].items()}
        if all(where.values()):
            claims.append({**claim, "where": where})
    sweep["claims"] = claims
    return sweep


def requested_part_config(request: dict, results_root: str, parts_file: str | Path = PARTS_FILE,
                          paper_file: str | Path = PAPER_CONFIG) -> dict:
    """The workflow config of the top-level config key ``validation_part`` ({name, threads,
    stack}): the paper config (``paper_file``) reduced to the part's rows (``part_config``), results
    in <results_root>/validation_tables, with the request kept under ``validation_part``; checked
    against the schemas (a copy: the defaults are not filled in). ConfigError naming the key."""
    parts = load_parts(parts_file)
    name = request["name"]
    if name not in parts:
        raise ConfigError(f"config key validation_part.name: {name!r} is not a part of {parts_file} "
                          f"(parts: {', '.join(parts)})")
    paper_file = Path(paper_file)
    if not paper_file.exists():
        raise ConfigError(f"paper config not found: {paper_file} (the validation's parts reduce it)")
    cfg = part_config(parts[name], f"{results_root}/{RESULTS_SUBDIR}", yaml.safe_load(paper_file.read_text()),
                      threads=request.get("threads"), stack=request.get("stack"))
    cfg["validation_part"] = dict(request)
    validate_config(copy.deepcopy(cfg))
    return cfg


def named_part_inputs(request: dict, inputs: list[str]) -> list[str]:
    """The inputs of target validation_part, once config key validation_part names a part; else a
    ValueError saying how to name one."""
    if not request:
        raise ValueError("target validation_part runs one part of configs/validation.yaml: name it, e.g. "
                         "snakemake --cores all validation_part --config validation_part='{name: <part>}' "
                         "(parts: python scripts/validation_part.py --list)")
    return inputs
