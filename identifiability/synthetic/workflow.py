"""File paths of the synthetic family, for the workflow's rules (rules/synthetic.smk): where each job
reads and writes. ("Layout" means something else: a table's cells and their runs, Plan.table_layout.)

The rules only wire stages; what a job reads and writes is computed here from the plan
(``plan.py``), so the rule file holds rules alone. No torch and no Snakemake imports: every
``snakemake`` call builds this while parsing the rules.

    processes/<process id>/seed<k>.h5                 one job per process (all seeds)
    models/<stack>/<setting id>/seed<k>/model.pt          one job per stack of runs
    checkpoints/<stack>/<setting id>/seed<k>/checkpoint.pt
    runs/<setting id>/seed<k>/{representations.h5, metrics.json}   written by the training job when
                                                      stacked by seeds, else one job per setting
    tables/, sweeps/, figures/
    <logs>/<stage>/<job>.{log, bench.tsv}             each job's log and Snakemake benchmark file
"""

from __future__ import annotations

import json
import os
import re
import shlex

from identifiability.synthetic.plan import Plan, build_plan, cli_args
from identifiability.synthetic.settings import PER_RUN_FIELDS


class SyntheticPaths:
    def __init__(self, section: dict, out: str, threads: int | None = None, logs: str | None = None):
        self.out = out
        self.logs = logs or f"{os.path.dirname(out) or '.'}/logs/synthetic"
        self.plan: Plan | None = build_plan(section, threads) if section["enabled"] else None
        self.seeds = self.plan.seeds if self.plan else []

    # ------------------------------------------------------------------ files of one run or process

    def process_file(self, process_id: str, seed) -> str:
        return f"{self.out}/processes/{process_id}/seed{seed}.h5"

    def process_files(self, process_id: str) -> list[str]:
        return [self.process_file(process_id, s) for s in self.seeds]

    def run_file(self, setting_id: str, seed, name: str) -> str:
        return f"{self.out}/runs/{setting_id}/seed{seed}/{name}"

    def setting_process_files(self, setting_id: str) -> list[str]:
        return self.process_files(self.plan.settings[setting_id].process_id)

    def model_files(self, setting_id: str, stack_dir: str) -> list[str]:
        """The run's model files inside its stack's folder ``stack_dir`` (the train job's output)."""
        return [f"{stack_dir}/{setting_id}/seed{s}/model.pt" for s in self.seeds]

    def train_log(self, setting_id: str, seed) -> str:
        """The run's training curve (loss, beta, probe R² over steps), beside its model."""
        return f"{self.out}/models/{self.plan.stack_of(setting_id)}/{setting_id}/seed{seed}/train_log.csv"

    def log_file(self, stage: str, job: str) -> str:
        """A job's log (stage: generate, train, evaluate, table, ...; job: its wildcard's value)."""
        return f"{self.logs}/{stage}/{job}.log"

    def benchmark_file(self, stage: str, job: str) -> str:
        """A job's Snakemake benchmark file (its wall time, memory and CPU time)."""
        return f"{self.logs}/{stage}/{job}.bench.tsv"

    # ------------------------------------------------------------------ a training job (a stack)

    def stack_files(self, stack_id: str, kind: str, stack_dir: str | None = None) -> list[str]:
        """Per run of a stack (settings x seeds, in the order the train script gets them): its
        process files, or its model files inside ``stack_dir`` (the train job's output folder,
        models/<stack>), or its resume checkpoints in checkpoints/<stack> beside models/ (outside
        the output folder, which Snakemake clears before a retry)."""
        out = []
        if kind == "checkpoint":
            stack_dir = f"{os.path.dirname(os.path.dirname(stack_dir))}/checkpoints/{stack_id}"
        for setting_id in self.plan.stacks[stack_id]:
            for s in self.seeds:
                if kind == "process":
                    out.append(self.process_file(self.plan.settings[setting_id].process_id, s))
                else:
                    out.append(f"{stack_dir}/{setting_id}/seed{s}/{'model' if kind == 'model' else 'checkpoint'}.pt")
        return out

    @staticmethod
    def runs_root(metrics_files) -> str:
        """runs/ from the metrics files a stage reads (runs/<setting id>/seed<k>/metrics.json)."""
        return os.path.dirname(os.path.dirname(os.path.dirname(list(metrics_files)[0])))

    @staticmethod
    def folder(path: str) -> str:
        return os.path.dirname(path)

    def evaluation_outputs(self, wildcard: str) -> dict[str, list[str]]:
        """The files the evaluation of one setting writes, every seed, as output patterns named
        by ``wildcard`` (the setting id): the training job's when stacked by seeds, else synthetic_evaluate's."""
        return {name: [self.run_file(f"{{{wildcard}}}", s, file) for s in self.seeds]
                for name, file in (("representations", "representations.h5"), ("metrics", "metrics.json"))}

    @property
    def evaluates_in_training(self) -> bool:
        """Whether each training job also extracts and fits its runs: when stacked by seeds (a
        job's runs are one setting's seeds, written to runs/<setting id>/, the job's id), else a job
        per setting (synthetic_evaluate) does."""
        return bool(self.plan) and all(stack == [setting_id] for setting_id, stack in self.plan.stacks.items())

    @staticmethod
    def evaluate_args(output) -> str:
        """The train script's --representations/--metrics flags for the job's outputs (or none)."""
        if "representations" not in output.keys():
            return ""
        return " ".join(["--representations", *map(shlex.quote, output.representations),
                         "--metrics", *map(shlex.quote, output.metrics)])

    def run_overrides(self, stack_id: str) -> str:
        """The per-run training switches of every run of a stack, one quoted JSON object each."""
        return " ".join(
            shlex.quote(json.dumps({k: getattr(self.plan.settings[setting_id].train, k) for k in PER_RUN_FIELDS}))
            for setting_id in self.plan.stacks[stack_id] for _ in self.seeds)

    def train_args(self, stack_id: str) -> str:
        """The training flags of a stack's runs and the products the plan resolved for them."""
        setting = self.plan.settings[self.plan.stacks[stack_id][0]]
        return f"{cli_args(setting.train)} --products {setting.products}"

    def process_args(self, process_id: str) -> str:
        return cli_args(self.plan.processes[process_id])

    def stack_work(self, stack_id: str, what: str) -> int:
        """Memory (MB) or runtime (min) estimate of a stack: scales with runs x (W rows or steps)."""
        runs = [self.plan.settings[setting_id] for setting_id in self.plan.stacks[stack_id]] * len(self.seeds)
        if what == "mem":
            return sum(4 * r.process.N // 1000 + 20 for r in runs)
        return sum(r.train.steps * max(r.process.d // 5, 1) ** 2 for r in runs) // 1000

    # ------------------------------------------------------------------ tables, sweeps, theory, genealogy

    def metrics_files(self, kind: str, name: str | None = None) -> list[str]:
        return [self.run_file(setting_id, s, "metrics.json") for setting_id in self.plan.setting_ids(kind, name) for s in self.seeds]

    def layout(self, kind: str, name: str | None = None) -> str:
        plan = self.plan
        data = {"table": lambda: plan.table_layout(name), "sweep": lambda: plan.sweep_layout(name),
                "theory": plan.theory_layout, "genealogy": plan.genealogy_layout}[kind]()
        return json.dumps(data)

    @property
    def tables(self) -> list[str]:
        return list(self.plan.tables) if self.plan else []

    @property
    def sweeps(self) -> list[str]:
        return list(self.plan.sweeps) if self.plan else []


    def targets(self) -> list[str]:
        if not self.plan:
            return []
        out = [f"{self.out}/tables/{t}.{ext}" for t in self.tables for ext in ("csv", "md", "tex")]
        out += [f"{self.out}/tables/{t}_vs_paper.csv" for t in self.tables]
        out += [f"{self.out}/sweeps/{s}.{ext}" for s in self.sweeps for ext in ("csv", "md", "tex")]
        out += [f"{self.out}/figures/{n}.{ext}" for n in [*self.tables, *self.sweeps] for ext in ("pdf", "png")]
        if self.plan.theory:
            out += [f"{self.out}/tables/theory.{ext}" for ext in ("csv", "md", "tex")]
            out += [f"{self.out}/figures/theory_{n}.{ext}" for n in ("kappa", "diversity") for ext in ("pdf", "png")]
        if self.plan.genealogy:
            out += [f"{self.out}/tables/genealogy.{ext}" for ext in ("csv", "md", "tex")]
            out += [f"{self.out}/figures/genealogy.{ext}" for ext in ("pdf", "png")]
        return out

    @staticmethod
    def names_pattern(names) -> str:
        """A wildcard pattern matching exactly these names (tables and sweeps share figures/)."""
        return "|".join(re.escape(n) for n in names) or "(?!)"
