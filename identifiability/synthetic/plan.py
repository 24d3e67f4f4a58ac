"""From the ``synthetic`` section of the config to the set of processes, runs and table rows.

A run is (process settings, training settings, seed). Its folder name encodes the settings in
readable form plus a hash of the full resolved settings, so any change of any setting gives a
new folder and never overwrites another run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from identifiability.synthetic.latents import CONDITIONAL_PARAMS
from identifiability.synthetic.process import ProcessSettings
from identifiability.synthetic.train import TrainSettings


def _short_hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:8]


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def process_id(p: ProcessSettings) -> str:
    cond = p.conditional + "".join(f"-{k[0]}{_fmt(v)}" for k, v in p.conditional_params().items())
    marg = p.cluster_marginal if p.cluster_marginal == "uniform" else f"{p.cluster_marginal}{_fmt(p.cluster_scale)}"
    return f"d{p.d}_C{p.clusters}_N{p.N}_{cond}_{marg}_{_short_hash(asdict(p))}"


def run_id(p: ProcessSettings, t: TrainSettings) -> str:
    flags = f"fn{int(t.feature_norm)}wn{int(t.w_norm)}_beta-{t.beta}"
    noise = f"_noise{_fmt(t.label_noise)}" if t.label_noise else ""
    return f"{t.method}_{flags}{noise}_{process_id(p)}_{_short_hash([asdict(p), asdict(t)])}"


@dataclass
class Setting:
    """One (process, training) combination; its seeds are the config's seeds."""
    process: ProcessSettings
    train: TrainSettings

    @property
    def process_id(self) -> str:
        return process_id(self.process)

    @property
    def run_id(self) -> str:
        return run_id(self.process, self.train)


@dataclass
class TableRow:
    label: str
    process_overrides: dict
    train_overrides: dict
    runs: dict[str, str] = field(default_factory=dict)   # column prefix -> run id


@dataclass
class Plan:
    seeds: list[int]
    settings: dict[str, Setting]                          # run id -> setting
    processes: dict[str, ProcessSettings]                 # process id -> settings
    tables: dict[str, dict]                               # table name -> spec with resolved rows

    def run_dirs(self, results: str) -> list[str]:
        return [f"{results}/synthetic/runs/{rid}/seed{s}" for rid in self.settings for s in self.seeds]

    def table_layout(self, name: str) -> dict:
        """What the table stage needs: rows, their settings and the run folder of every cell."""
        spec = self.tables[name]
        return {
            "table": name,
            "title": spec.get("title", name),
            "paper": spec.get("paper"),
            "seeds": self.seeds,
            "columns": [{"prefix": prefix, "variant": v,
                         "w_norm": self.settings[spec["rows"][0].runs[prefix]].train.w_norm}
                        for prefix, v in spec["columns"].items()],
            "rows": [{"label": r.label, "process": r.process_overrides, "train": r.train_overrides,
                      "runs": r.runs} for r in spec["rows"]],
        }


def _row_label(overrides: dict) -> str:
    if not overrides:
        return "baseline"
    return ", ".join(f"{k}={_fmt(v)}" for k, v in overrides.items())


def build_plan(section: dict) -> Plan:
    """Resolve every table row x column variant into settings; identical settings are shared."""
    base_p = section.get("process", {})
    base_t = section.get("train", {})
    variants = section.get("variants", {})
    settings: dict[str, Setting] = {}
    processes: dict[str, ProcessSettings] = {}
    tables: dict[str, dict] = {}
    for name, spec in section.get("tables", {}).items():
        rows = []
        for row in spec["rows"]:
            p_over = row.get("process", {})
            t_over = row.get("train", {})
            trow = TableRow(row.get("label") or _row_label({**p_over, **t_over}), p_over, t_over)
            for prefix, variant in spec["columns"].items():
                if variant not in variants:
                    raise ValueError(f"synthetic.tables.{name}.columns.{prefix}: unknown variant "
                                     f"{variant!r}; defined variants: {sorted(variants)}")
                try:
                    p = ProcessSettings.from_dict({**base_p, **p_over})
                    t = TrainSettings.from_dict({**base_t, **variants[variant], **t_over})
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"synthetic.tables.{name}, row {trow.label!r}: {exc}") from None
                s = Setting(p, t)
                settings[s.run_id] = s
                processes[s.process_id] = p
                trow.runs[prefix] = s.run_id
            rows.append(trow)
        tables[name] = {**spec, "rows": rows}
    return Plan(list(section.get("seeds", [0])), settings, processes, tables)


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


__all__ = ["Plan", "Setting", "TableRow", "build_plan", "cli_args", "process_id", "run_id",
           "CONDITIONAL_PARAMS"]
