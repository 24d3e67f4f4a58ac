"""From the ``synthetic`` section of the config to the set of processes, runs, table rows and
sweep cells (Appendix D figures).

A run is (process settings, training settings, seed). Its folder name encodes the settings in
readable form plus a hash of the full resolved settings, so any change of any setting gives a
new folder and never overwrites another run.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from dataclasses import asdict, dataclass, field

from identifiability.config import validate_section
from identifiability.numerics import machine_probe, resolve_products
from identifiability.synthetic.methods import method_info
from identifiability.synthetic.settings import (CONDITIONAL_PARAMS, PER_RUN_FIELDS, ProcessSettings, TrainSettings,
                                                theorem_case)

KAPPA_CASES = ("C1", "C2", "C3")      # the cases whose predictions recover kappa (docs/theory.md)
DIVERSITY_CASES = ("C3",)             # the case that needs >= 2d diverse cluster vectors


def _short_hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:8]


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def process_id(p: ProcessSettings) -> str:
    if p.kind == "infonce":
        return f"infonce_d{p.d}_k{_fmt(p.kappa)}_{_short_hash(asdict(p))}"
    cond = p.conditional + "".join(f"-{k[0]}{_fmt(v)}" for k, v in p.conditional_params().items())
    marg = p.cluster_marginal if p.cluster_marginal == "uniform" else f"{p.cluster_marginal}{_fmt(p.cluster_scale)}"
    return f"d{p.d}_C{p.clusters}_N{p.N}_{cond}_{marg}_{_short_hash(asdict(p))}"


def setting_id(p: ProcessSettings, t: TrainSettings, products: str = "float32") -> str:
    """A setting's folder name (runs/<setting id>/seed<k>/ holds its runs, one per seed): readable
    settings and a hash of every setting. The hash holds the
    run's resolved ``products`` (``identifiability.numerics``) instead of the request
    ``cpu_matmul``, so runs computed differently never share a folder and a request that resolves
    the same (auto -> float32) shares one; float32 by torch's BLAS, what every run had before
    the distinction existed, adds nothing, so those runs keep their ids."""
    flags = f"fn{int(t.feature_norm)}wn{int(t.w_norm)}_beta-{t.beta}" + (f"{_fmt(t.beta_init)}" if t.beta_init != 1 else "")
    noise = f"_noise{_fmt(t.label_noise)}" if t.label_noise else ""
    train = {k: v for k, v in asdict(t).items() if k != "cpu_matmul"}
    if products != "float32":
        train["products"] = products
    return f"{t.method}_{flags}{noise}_{process_id(p)}_{_short_hash([asdict(p), train])}"


@dataclass
class Setting:
    """One (process, training) combination; its seeds are the config's seeds."""
    process: ProcessSettings
    train: TrainSettings
    products: str = "float32"   # train.cpu_matmul resolved where the workflow plans (numerics)

    @property
    def process_id(self) -> str:
        return process_id(self.process)

    @property
    def setting_id(self) -> str:
        return setting_id(self.process, self.train, self.products)


@dataclass
class TableRow:
    label: str
    process_overrides: dict
    train_overrides: dict
    runs: dict[str, str] = field(default_factory=dict)   # column prefix -> setting id
    cell: dict = field(default_factory=dict)             # sweep axis values ('process.kappa': 5)
    resolved: dict = field(default_factory=dict)         # column prefix -> {process: {...}, train: {...}}


@dataclass
class Plan:
    seeds: list[int]
    settings: dict[str, Setting]                          # setting id -> setting
    processes: dict[str, ProcessSettings]                 # process id -> settings
    tables: dict[str, dict]                               # table name -> spec with resolved rows
    sweeps: dict[str, dict] = field(default_factory=dict)  # sweep name -> spec with resolved cells
    stacks: dict[str, list[str]] = field(default_factory=dict)  # training job -> its setting ids
    theory: dict | None = None                            # theory table and sweeps (docs/theory.md)
    genealogy: dict | None = None                         # methods side by side (docs/genealogy.md)

    def stack_of(self, setting_id: str) -> str:
        return next(sid for sid, members in self.stacks.items() if setting_id in members)

    def setting_ids(self, kind: str, name: str) -> list[str]:
        """Every setting behind a table or a sweep (each once)."""
        if kind in ("theory", "genealogy"):
            spec = getattr(self, kind)
            rows = [r for section in spec["sections"].values() for r in section] if kind == "theory" else spec["rows"]
        else:
            rows = (self.tables if kind == "table" else self.sweeps)[name]["rows"]
        return list(dict.fromkeys(setting_id for row in rows for setting_id in row.runs.values()))

    def _columns(self, spec: dict) -> list[dict]:
        return [{"prefix": prefix, "variant": v,
                 "w_norm": self.settings[spec["rows"][0].runs[prefix]].train.w_norm}
                for prefix, v in spec["columns"].items()]

    @staticmethod
    def _rows(spec: dict | list) -> list[dict]:
        rows = spec["rows"] if isinstance(spec, dict) else spec
        return [{"label": r.label, "process": r.process_overrides, "train": r.train_overrides,
                 "cell": r.cell, "runs": r.runs, "resolved": r.resolved} for r in rows]

    def table_layout(self, name: str) -> dict:
        """What the table stage needs: rows, their settings and the run folder of every cell."""
        spec = self.tables[name]
        return {"table": name, "title": spec.get("title", name), "paper": spec.get("paper"),
                "seeds": self.seeds, "columns": self._columns(spec), "rows": self._rows(spec)}

    def sweep_layout(self, name: str) -> dict:
        """What the sweep stage needs: axes, cells, the run folder of every (cell, variant), what
        to plot and the stated findings to check."""
        spec = self.sweeps[name]
        return {"sweep": name, "title": spec.get("title", name), "seeds": self.seeds,
                "axes": [{"key": k, "values": list(v)} for k, v in spec["axes"].items()],
                "columns": self._columns(spec), "rows": self._rows(spec),
                "metrics": list(spec["metrics"]), "lines": list(spec["lines"]),
                "claims": list(spec.get("claims", []))}


    def theory_layout(self) -> dict:
        """What the theory stage needs: per section (baseline, kappa, diversity) the cells and the
        run of every (cell, variant); each variant's case of the theorems comes with its settings."""
        spec = self.theory
        return {"title": spec["title"], "seeds": self.seeds, "variants": spec["variants"],
                "sections": {name: self._rows(rows) for name, rows in spec["sections"].items()}}

    def genealogy_layout(self) -> dict:
        """What the genealogy stage needs: one row per (process, method) with its run."""
        spec = self.genealogy
        return {"title": spec["title"], "seeds": self.seeds, "rows": self._rows(spec["rows"])}


def _row_label(overrides: dict) -> str:
    if not overrides:
        return "baseline"
    return ", ".join(f"{k}={_fmt(v)}" for k, v in overrides.items())


def _split_axes(cell: dict) -> tuple[dict, dict]:
    """{'process.kappa': 5, 'train.batch_size': 256} -> ({'kappa': 5}, {'batch_size': 256})."""
    out: tuple[dict, dict] = ({}, {})
    for key, value in cell.items():
        group, _, name = key.partition(".")
        out[0 if group == "process" else 1][name] = value
    return out


def build_plan(section: dict, threads: int | None = None) -> Plan:
    """Resolve every table row and sweep cell x column variant into settings; identical settings
    (e.g. a sweep cell equal to a table row) are one run, trained once. Each setting's
    ``cpu_matmul`` is resolved for ``section["device"]`` and ``threads`` CPU threads per training
    job (the config's ``threads``; None: 1) on this machine (``identifiability.numerics``)."""
    section = copy.deepcopy(section)
    validate_section(section, "synthetic.schema.yaml", "synthetic")   # fills in the schema's defaults
    device = section["device"]

    def products_of(t: TrainSettings) -> str:
        return resolve_products(t.cpu_matmul, device, threads, None if device == "cuda" else machine_probe())

    base_p = section.get("process", {})
    base_t = section.get("train", {})
    variants = section.get("variants", {})
    settings: dict[str, Setting] = {}
    processes: dict[str, ProcessSettings] = {}

    def resolve(where: str, row: TableRow, columns: dict[str, str], p_over: dict, t_over: dict) -> TableRow:
        for prefix, variant in columns.items():
            if variant not in variants:
                raise ValueError(f"{where}: unknown variant {variant!r}; defined variants: {sorted(variants)}")
            try:
                p = ProcessSettings.from_dict({**base_p, **p_over})
                t = TrainSettings.from_dict({**base_t, **variants[variant], **t_over})
                t.check_process(p)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{where}, row {row.label!r}, variant {variant!r}: {exc}") from None
            s = Setting(p, t, products_of(t))
            settings[s.setting_id] = s
            processes[s.process_id] = p
            row.runs[prefix] = s.setting_id
            row.resolved[prefix] = {"process": asdict(p), "train": asdict(t)}
        return row

    tables: dict[str, dict] = {}
    for name, spec in section.get("tables", {}).items():
        rows = []
        for row in spec["rows"]:
            p_over, t_over = row.get("process", {}), row.get("train", {})
            trow = TableRow(row.get("label") or _row_label({**p_over, **t_over}), p_over, t_over)
            rows.append(resolve(f"synthetic.tables.{name}", trow, spec["columns"], p_over, t_over))
        tables[name] = {**spec, "rows": rows}

    sweeps: dict[str, dict] = {}
    for name, spec in section.get("sweeps", {}).items():
        columns = {v: v for v in spec["variants"]}
        base = spec.get("base", {})
        rows = []
        for values in itertools.product(*spec["axes"].values()):
            cell = dict(zip(spec["axes"], values))
            p_cell, t_cell = _split_axes(cell)
            p_over = {**base.get("process", {}), **p_cell}
            t_over = {**base.get("train", {}), **t_cell}
            trow = TableRow(_row_label(cell), p_over, t_over, cell=cell)
            rows.append(resolve(f"synthetic.sweeps.{name}", trow, columns, p_over, t_over))
        sweeps[name] = {**spec, "columns": columns, "rows": rows}
        for claim in spec.get("claims", []):
            for key in [*claim.get("where", {}), *claim.get("reference", {})]:
                if key not in spec["axes"]:
                    raise ValueError(f"synthetic.sweeps.{name}.claims: {key!r} is not an axis of this "
                                     f"sweep (axes: {list(spec['axes'])})")
            for v in claim.get("variants", []):
                if v not in columns:
                    raise ValueError(f"synthetic.sweeps.{name}.claims: variant {v!r} is not in this "
                                     f"sweep's variants {spec['variants']}")
    def variant_train(where: str, v: str) -> TrainSettings:
        if v not in variants:
            raise ValueError(f"{where}: unknown variant {v!r}; defined variants: {sorted(variants)}")
        return TrainSettings.from_dict({**base_t, **variants[v]})

    theory = None
    if section.get("theory"):
        spec = section["theory"]
        where = "synthetic.theory"
        cases = {}
        for v in spec["variants"]:
            cases[v] = theorem_case(variant_train(f"{where}.variants", v))
            if cases[v] is None:
                raise ValueError(f"{where}.variants: {v!r} is no case of the paper's theorems "
                                 "(DIET in any normalisation, or supervised)")

        def theory_rows(key, values, which):
            cols = {v: v for v in spec["variants"] if cases[v] in which}
            rows = []
            for value in values:
                cell = {f"process.{key}": value}
                rows.append(resolve(where, TableRow(_row_label(cell), {key: value}, {}, cell=cell), cols, {key: value}, {}))
            return rows if cols else []

        sections = {"baseline": [resolve(where, TableRow("baseline", {}, {}), {v: v for v in spec["variants"]}, {}, {})]}
        sections["kappa"] = theory_rows("kappa", spec.get("kappa", []), KAPPA_CASES)
        sections["diversity"] = theory_rows("clusters", spec.get("clusters", []), DIVERSITY_CASES)
        theory = {"title": spec.get("title", "theory"), "variants": {v: cases[v] for v in spec["variants"]},
                  "sections": sections}
    genealogy = None
    if section.get("genealogy"):
        spec = section["genealogy"]
        where = "synthetic.genealogy"
        methods = {}
        for v in spec["methods"]:
            m = variant_train(f"{where}.methods", v).method
            if m in methods:
                raise ValueError(f"{where}.methods: variants {methods[m]!r} and {v!r} both train {m}; one per method")
            methods[m] = v
        rows = []
        for pname, p_over in spec["processes"].items():
            for m, v in methods.items():
                p = ProcessSettings.from_dict({**base_p, **p_over})
                if method_info(m).needs_labels and not p.has_labels:
                    continue   # e.g. DIET on the infonce process: no labels to train on
                rows.append(resolve(where, TableRow(f"{pname}/{m}", dict(p_over), {}, cell={"process": pname, "method": m}),
                                    {m: v}, dict(p_over), {}))
        genealogy = {"title": spec.get("title", "genealogy"), "rows": rows}
    seeds = list(section["seeds"])
    stacks = build_stacks(settings, section["stack"]["by"], section["stack"]["max_runs"], len(seeds))
    return Plan(seeds, settings, processes, tables, sweeps, stacks, theory, genealogy)


def _stack_key(s: Setting) -> str:
    """Settings with equal keys can train as one stack: same tensor shapes and same shared
    training settings; they may differ in the process (kappa, conditional, cluster vectors...)
    and in the per-run training switches (normalisations, beta, label noise)."""
    shared = {k: v for k, v in asdict(s.train).items() if k not in PER_RUN_FIELDS}
    return json.dumps([s.process.kind, s.process.d, s.process.N, s.process.clusters, shared], sort_keys=True)


def build_stacks(settings: dict[str, Setting], by: str, max_runs: int, n_seeds: int) -> dict[str, list[str]]:
    """Training jobs: ``seeds`` = one job per setting, its seeds stacked (the job's id is the run
    id); ``settings`` = every setting that can share a job with another does, up to ``max_runs``
    stacked runs (settings x seeds) per job."""
    if by == "seeds":
        return {setting_id: [setting_id] for setting_id in settings}
    if by != "settings":
        raise ValueError(f"synthetic.stack.by must be seeds or settings, got {by!r}")
    groups: dict[str, list[str]] = {}
    for setting_id in sorted(settings):
        groups.setdefault(_stack_key(settings[setting_id]), []).append(setting_id)
    per_job = max(1, max_runs // max(n_seeds, 1))
    stacks = {}
    for members in groups.values():
        for i in range(0, len(members), per_job):
            chunk = members[i:i + per_job]
            s = settings[chunk[0]]
            sid = (f"{s.train.method}_d{s.process.d}_N{s.process.N}_C{s.process.clusters}"
                   f"_b{s.train.batch_size}_x{len(chunk)}_{_short_hash(chunk)}")
            stacks[sid] = chunk
    return stacks


def cli_args(obj) -> str:
    """Dataclass -> '--key value ...' (the stage scripts accept every field as a flag)."""
    parts = []
    for k, v in asdict(obj).items():
        flag = "--" + k.replace("_", "-")
        if isinstance(v, bool):
            parts.append(flag if v else f"--no-{k.replace('_', '-')}")
        else:
            parts.append(f"{flag} {v}")
    return " ".join(parts)


__all__ = ["Plan", "Setting", "TableRow", "build_plan", "build_stacks", "cli_args", "process_id", "setting_id",
           "CONDITIONAL_PARAMS"]
