#!/usr/bin/env python
"""Table 4's dSprites row on the procedural stand-in, at the paper's training rule, through the workflow.

The paper trains with Adam (lr 1e-3, batch 4096) until the validation accuracy of the shape
classifier exceeds 0.999, for at most 100 epochs, keeping the best epoch, and decodes with least
squares. This runs the workflow's DisLib family on the procedural dSprites stand-in at that rule
for the input baseline and the MLP, and for ResNet18 up to --resnet-epochs epochs (a ResNet18
epoch is ~100x an MLP epoch on this 2-core CPU), 3 seeds (results in results/validation_dislib/),
and writes docs/validation/dislib_dsprites.csv (one line per factor and model, columns and
verdicts as docs/validation/paper_tables.csv, with Pearson r in place of R²: the band is 0.01
or 2 paper std) and docs/validation/dislib_dsprites.md (included in docs/validation.md).

    python benchmarks/validate_dislib_dsprites.py [--n-samples 20000] [--resnet-epochs 5] [--cores all]
    python benchmarks/validate_dislib_dsprites.py --report-only   # rebuild the csv/md from results/

The run's record (wall time, commit, arguments) goes to docs/validation/dislib_dsprites.json;
--report-only rebuilds the csv and md from results/validation_dislib/ and that record.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parent.parent
EVIDENCE = REPO / "docs" / "validation"
RESULTS = "results/validation_dislib"
NAME = "dislib_dsprites"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-samples", type=int, default=20000)
    parser.add_argument("--resnet-epochs", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=["input", "mlp", "resnet18"],
                        choices=["input", "mlp", "resnet18"])
    parser.add_argument("--name", default=NAME,
                        help=f"the evidence's file stem under docs/validation/ (default {NAME}: Table 4's row; "
                             "another name for an investigation, with its own results folder)")
    parser.add_argument("--cores", default="all")
    parser.add_argument("--report-only", action="store_true",
                        help="no training: rebuild the csv/md from results/ and the last run's record")
    args = parser.parse_args()
    results = RESULTS if args.name == NAME else f"results/validation_{args.name}"
    record_file = EVIDENCE / f"{args.name}.json"
    if args.report_only:
        if not record_file.exists():
            raise SystemExit(f"{record_file.relative_to(REPO)} is missing: run without --report-only first")
        record = json.loads(record_file.read_text())
        for key in ("n_samples", "resnet_epochs", "seeds", "models"):
            setattr(args, key, record[key])
    cfg = {"results": results, "threads": 2, "synthetic": {"enabled": False, "seeds": [0]},
           "imagenetx": {"enabled": False},
           "dislib": {"enabled": True, "datasets": ["dsprites_procedural"],
                      "procedural": {"n_samples": args.n_samples, "seed": 0},
                      "models": args.models, "seeds": args.seeds,
                      "train": {"batch_size": 4096, "lr": 0.001, "max_epochs": 100, "early_stop_acc": 0.999},
                      "max_epochs": {"resnet18": args.resnet_epochs}}}
    EVIDENCE.mkdir(parents=True, exist_ok=True)
    cfg_file = EVIDENCE / f"{args.name}.config.yaml"
    cfg_file.write_text("# written by benchmarks/validate_dislib_dsprites.py\n" + yaml.safe_dump(cfg, sort_keys=False))
    if not args.report_only:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip()
        t0 = time.time()
        subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(args.cores), "--configfile", str(cfg_file)],
                       cwd=REPO, check=True)
        record = {"n_samples": args.n_samples, "resnet_epochs": args.resnet_epochs, "seeds": args.seeds,
                  "models": args.models,
                  "commit": commit, "date": time.strftime("%Y-%m-%d"), "wall_s": round(time.time() - t0, 1),
                  "machine": "2-core CPU, no GPU"}
        record_file.write_text(json.dumps(record, indent=1) + "\n")
    wall = record["wall_s"]
    out = REPO / results / "dislib"
    long = pd.read_csv(out / "table4_long.csv")
    histories = {}
    for hist in out.glob(f"dsprites_procedural_n{args.n_samples}_s0/*/*/seed*/train.json"):
        h = json.loads(hist.read_text())
        model, seed = hist.parts[-4], int(hist.parts[-2][4:])
        if seed in args.seeds:
            histories[(model, seed)] = h
    lines = []
    for _, r in long.iterrows():
        runs = [h for (m, _), h in histories.items() if m == r["model"]]
        epochs = [len(h["epoch"]) for h in runs]
        acc = [h["best_val_acc"] for h in runs]
        loss = [h["train_loss"][-1] for h in runs]
        minutes = [h["seconds"][-1] / 60 for h in runs]
        difference, v = r["mean"] - r["paper_mean"], r["verdict"]   # identifiability.verdicts
        lines.append({"table": "table4", "setting": json.dumps({"dataset": "dsprites_procedural", "model": r["model"],
                                                                "n_samples": args.n_samples}),
                      "metric": f"pearson_r_{r['factor']}", "ours_mean": r["mean"], "ours_std": r["std"],
                      "seeds": int(r["n_seeds"]), "steps": f"{min(epochs)}-{max(epochs)} epochs" if epochs else "no training",
                      "paper_mean": r["paper_mean"], "paper_std": r["paper_std"], "difference": difference,
                      "verdict": v, "best_val_acc": f"{min(acc):.4f}-{max(acc):.4f}" if acc else "",
                      "final_train_loss": f"{min(loss):.4f}-{max(loss):.4f}" if loss else "",
                      "train_minutes": f"{min(minutes):.1f}-{max(minutes):.1f}" if minutes else ""})
    table = pd.DataFrame(lines)
    cell = {(json.loads(r.setting)["model"], r.metric[10:]): r for r in table.itertuples()}
    batch = cfg["dislib"]["train"]["batch_size"]
    train_images = next(iter(histories.values()))["train_images"] if histories else 0
    steps_per_epoch = -(-train_images // batch)
    reading = []
    if ("input", "category") in cell:
        c, s_ = cell[("input", "category")], cell[("input", "scale")]
        reading.append(f"the input baseline is not trained, so its gap to the paper (category {c.ours_mean:.2f} against "
                       f"{c.paper_mean:.2f}, scale {s_.ours_mean:.2f} against {s_.paper_mean:.2f}) comes from the images "
                       "and how many there are alone.")
    if ("mlp", "category") in cell:
        c = cell[("mlp", "category")]
        reading.append(f"The MLP trains the rule's 100 epochs ({steps_per_epoch} Adam steps each at batch {batch}) and "
                       f"fits its {train_images} training images (final training loss {c.final_train_loss}) while "
                       f"classifying held-out shapes at {c.best_val_acc}: it never reaches the 0.999 stop. A training "
                       "set fitted and held-out shapes missed point at the number of images (the paper trains on 80 % "
                       "of 737,280) more than at the epochs; a run at a larger --n-samples measures it (its epochs "
                       "cost in proportion).")
    if ("resnet18", "category") in cell:
        c = cell[("resnet18", "category")]
        reading.append(f"ResNet18 gets {args.resnet_epochs} epochs ({args.resnet_epochs * steps_per_epoch} Adam steps) "
                       f"here; where its validation accuracy ({c.best_val_acc}) is near chance for 3 shapes (0.33), "
                       "its scale and position cells are those of a barely trained network (a random-init ResNet18 "
                       "already decodes position at r ≈ 0.99 on the stand-in, `docs/dislib.md`), not evidence of "
                       "what training does.")
    table.to_csv(EVIDENCE / f"{args.name}.csv", index=False)
    extra_flags = "" if args.name == NAME else (f" --seeds {' '.join(map(str, args.seeds))} --models "
                                                f"{' '.join(args.models)} --name {args.name}")
    resnet_rule = (f" (ResNet18: at most {args.resnet_epochs} epochs, what this CPU allows)"
                   if "resnet18" in args.models else "")
    text = [
        "## DisLib: the dSprites row of Table 4 on the procedural stand-in" if args.name == NAME else
        f"### DisLib investigation `{args.name}`: the same row from {args.n_samples} images",
        "",
        f"`python benchmarks/validate_dislib_dsprites.py --n-samples {args.n_samples} --resnet-epochs "
        f"{args.resnet_epochs}{extra_flags}` on {record['date']} (commit {record['commit']}, 2-core CPU): {args.n_samples} images of the "
        f"procedural stand-in (80/10/10 split), {len(args.seeds)} seed{'s' if len(args.seeds) > 1 else ''}, Adam lr 1e-3, batch 4096, the best "
        "validation epoch kept, training stopped once the validation accuracy exceeds 0.999 or after 100 "
        f"epochs{resnet_rule}. One line per factor and "
        f"model in `docs/validation/{args.name}.csv`; verdicts as for the synthetic tables with Pearson r "
        "(band: 0.01, or 2 paper std when wider). Workflow wall time: "
        f"{wall / 60:.1f} min.",
        "",
        "| model | factor | ours (mean ± std) | paper | verdict | epochs trained | best validation accuracy "
        "| final training loss | training min per seed |",
        "|---|---|---|---|---|---|---|---|---|",
        *[f"| {json.loads(r.setting)['model']} | {r.metric[10:]} | {r.ours_mean:.2f} ± {r.ours_std:.2f} | "
          f"{r.paper_mean:.2f} ± {r.paper_std:.2f} | {r.verdict} | {r.steps} | {r.best_val_acc} | {r.final_train_loss} | {r.train_minutes} |"
          for r in table.itertuples()],
        "",
        "Reading it (seed ranges from the table): " + " ".join(reading),
        "",
        "How a stand-in limits the comparison: the images are re-rendered from the dSprites factor grid "
        "(`identifiability/dislib/dsprites_render.py`): the same factors, sizes and positions as the public "
        "file, but not its exact rasterisation (anti-aliasing, the heart's outline, the sub-pixel placement), "
        f"and {args.n_samples} of the 737,280 combinations rather than all of them. The paper's numbers are "
        "the real dSprites'; a difference can come from the images as well as from the training.",
    ]
    (EVIDENCE / f"{args.name}.md").write_text("\n".join(text) + "\n")
    print("\n".join(text))


if __name__ == "__main__":
    main()
