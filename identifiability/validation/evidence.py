"""A finished validation part's evidence, docs/validation/parts/<part>/, from the workflow's results:

    config.yaml           the config the part ran (configs/paper.yaml reduced to its rows)
    <table>.layout.json   per table (or sweep) its rows, columns and the setting of every cell
    <table>.runs.csv      every run's metrics, one line per row, column and seed
    curves.csv            every run's training curve (loss, beta, probe R² of z over steps;
                          column ``table``: the table's or the sweep's name)
    part.json             commit, machine, steps, seeds, and the training jobs' and the part's
                          wall times, read from the jobs' Snakemake benchmark files

Nothing later needs results/: the report (identifiability.validation.report) is rebuilt from
these files alone.
"""

from __future__ import annotations

import copy
import csv
import datetime
import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import yaml

from identifiability.config import validate_config
from identifiability.synthetic.report import collect
from identifiability.synthetic.workflow import SyntheticPaths
from identifiability.validation.parts import REPO

# a job whose benchmark file ended this long before the part's first training job started ran for
# an earlier part (a process file two parts share) and is not counted in this part's wall time
_EARLIER = 60.0


def benchmark_span(path: str | Path) -> tuple[float, float] | None:
    """(start, end) in seconds since the epoch of the job behind a Snakemake benchmark file: its
    end is the file's modification time, its start that minus the wall time it records (the
    last line's, the latest try's). None where the job has none (it never ran here)."""
    path = Path(path)
    if not path.exists():
        return None
    rows = list(csv.DictReader(path.open(), delimiter="\t"))
    if not rows:
        return None
    end = path.stat().st_mtime
    return end - float(rows[-1]["s"]), end


def jobs_timing(training: dict[str, tuple[int, str]], others: list[str]) -> dict:
    """Training jobs (name -> (runs, benchmark file)) with their seconds, and the wall time from the
    first training job's start to the last job's end, counting the other jobs (``others``, their
    benchmark files) that ran for the part: those that ended after that start, or just before it."""
    jobs, spans = [], []
    for name, (runs, bench) in training.items():
        span = benchmark_span(bench)
        jobs.append({"stack": name, "runs": runs, "train_s": round(span[1] - span[0], 2) if span else None})
        spans += [span] if span else []
    if not spans:
        return {"jobs": jobs, "started_utc": None, "wall_s": None}
    first = min(s for s, _ in spans)
    spans += [s for s in map(benchmark_span, others) if s and s[1] >= first - _EARLIER]
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    started = datetime.datetime.fromtimestamp(start, datetime.timezone.utc).isoformat(timespec="seconds")
    return {"jobs": jobs, "started_utc": started, "wall_s": round(end - start, 1)}


def part_timing(paths: SyntheticPaths) -> dict:
    """A synthetic part's training jobs (stacks) and wall time, from its jobs' benchmark files."""
    plan = paths.plan
    training = {sid: (len(members) * len(plan.seeds), paths.benchmark_file("train", sid))
                for sid, members in plan.stacks.items()}
    others = [paths.benchmark_file("generate", p) for p in plan.processes]
    others += [paths.benchmark_file("evaluate", r) for r in plan.settings]
    others += [paths.benchmark_file("table", t) for t in plan.tables]
    others += [paths.benchmark_file("sweep", t) for t in plan.sweeps]
    return jobs_timing(training, others)


def commit() -> str:
    """This checkout's commit, +uncommitted where tracked files differ from it; unknown outside git."""
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + ("+uncommitted" if dirty else "")


def machine() -> str:
    from identifiability.device import cpu_summary   # imports torch: only when evidence is written
    return f"{os.cpu_count()} CPUs: {cpu_summary()}"


def write_part_evidence(part: str, spec: dict, cfg: dict, results: str, out: str | Path) -> dict:
    """Write the evidence of part ``part`` (its spec in configs/validation.yaml, ``cfg`` the config
    it ran, ``results`` that config's results folder) to ``out``; returns part.json's content.
    Raises FileNotFoundError naming the first run whose metrics or curve is missing."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    filled = copy.deepcopy(cfg)
    validate_config(filled)   # the schemas' defaults filled in, as the workflow ran it
    paths = SyntheticPaths(filled["synthetic"], f"{results}/synthetic", filled["threads"])
    plan = paths.plan
    curves = []
    layouts = [(n, plan.table_layout(n)) for n in plan.tables] + [(n, plan.sweep_layout(n)) for n in plan.sweeps]
    for name, cells in layouts:
        (out / f"{name}.layout.json").write_text(json.dumps(cells, indent=1) + "\n")
        collect(cells, Path(paths.out) / "runs").to_csv(out / f"{name}.runs.csv", index=False)
        for row in cells["rows"]:
            for column, setting_id in row["runs"].items():
                for seed in plan.seeds:
                    log = Path(paths.train_log(setting_id, seed))
                    if not log.exists():
                        raise FileNotFoundError(f"training curve of {setting_id} seed {seed} not found: {log} "
                                                f"(run the part's training first: target validation_part)")
                    curves += [{"table": name, "row": row["label"], "column": column, "seed": seed, **rec}
                               for rec in csv.DictReader(log.open())]
    pd.DataFrame(curves).to_csv(out / "curves.csv", index=False)
    timing = part_timing(paths)
    return _write_record(part, spec, cfg, out, timing, {
        "steps": sorted({s.train.steps for s in plan.settings.values()}), "seeds": plan.seeds,
        "settings": len(plan.settings)})


def _write_record(part: str, spec: dict, cfg: dict, out: Path, timing: dict, extra: dict) -> dict:
    """config.yaml (what the part ran) and part.json (commit, machine, dates, wall times)."""
    (out / "config.yaml").write_text(f"# configs/paper.yaml reduced to part {part} "
                                     "(identifiability.validation.parts.part_config)\n"
                                     + yaml.safe_dump(cfg, sort_keys=False))
    info = {"part": part, "investigation": spec["investigation"], "commit": commit(),
            "started_utc": timing["started_utc"], "date": (timing["started_utc"] or "")[:10] or None,
            "wall_s": timing["wall_s"], **extra, "machine": machine(), "jobs": timing["jobs"]}
    (out / "part.json").write_text(json.dumps(info, indent=1) + "\n")
    return info


def write_dislib_evidence(part: str, spec: dict, cfg: dict, results: str, out: str | Path,
                          run_dirs: list[str]) -> dict:
    """The evidence of a DisLib part (Table 4's row): table4.cells.csv from the workflow's
    table4_long.csv and each run's training record (``run_dirs``: the rules' run folders,
    <results>/dislib/<data>/<model>/<training>/seed<k>), config.yaml and part.json, its wall times
    from the jobs' benchmark files (<results>/logs/dislib/..., beside each run's folder)."""
    from identifiability.validation.dislib import CELLS_FILE, dislib_cells
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    long_file = Path(results) / "dislib" / "table4_long.csv"
    if not long_file.exists():
        raise FileNotFoundError(f"Table 4 of the part not found: {long_file} (run the part first: target validation_part)")
    histories, training, others = {}, {}, []
    for run in map(Path, run_dirs):
        model, seed = run.parts[-3], int(run.name.removeprefix("seed"))
        logs = Path(results) / "logs" / run.relative_to(results)
        others += [str(logs / f"{job}.bench.tsv") for job in ("extract", "decode")]
        if (run / "train.json").exists():
            histories[(model, seed)] = json.loads((run / "train.json").read_text())
            training[f"{model}/seed{seed}"] = (1, str(logs / "train.bench.tsv"))
    others += [str(p) for p in (Path(results) / "logs" / "dislib").glob("prepare/*.bench.tsv")]
    others.append(str(Path(results) / "logs" / "dislib" / "report.bench.tsv"))
    dislib = cfg["dislib"]
    dislib_cells(pd.read_csv(long_file), histories, dislib["procedural"]["n_samples"]).to_csv(
        out / CELLS_FILE, index=False)
    timing = jobs_timing(training, others)
    return _write_record(part, spec, cfg, out, timing, {"seeds": dislib["seeds"], "models": dislib["models"]})
