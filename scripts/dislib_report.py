#!/usr/bin/env python
"""DisLib stage 5: Table 4 (CSV, Markdown, LaTeX) with the paper's values beside ours, and a figure.

Reads the per-run decoding JSONs, aggregates mean ± std over seeds, writes <out>.csv/.md/.tex
(readable table), <out>_long.csv (full precision, one row per data set x factor x model) and
<figure>.pdf/.png.
"""

import argparse

from identifiability.cli import run_main
from identifiability.dislib.report import (caption, display_table, figure, load_paper, runs_frame,
                                           summary_frame)
from identifiability.io import atomic_path, read_json
from identifiability.tables import save_figure, write_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", nargs="+", required=True, help="decoding JSON per run")
    parser.add_argument("--paper", required=True, help="paper_results.yaml (table4_dislib)")
    parser.add_argument("--out", required=True, help="table stem (writes .csv .md .tex and _long.csv)")
    parser.add_argument("--figure", required=True, help="figure stem (writes .pdf .png)")
    args = parser.parse_args()
    records = [read_json(p, "decoding result", "Run scripts/dislib_decode.py.") for p in args.runs]
    summary = summary_frame(runs_frame(records), load_paper(args.paper))
    with atomic_path(args.out + "_long.csv") as tmp:
        summary.to_csv(tmp, index=False)
    table = display_table(summary)
    write_table(table, args.out, caption(summary))
    save_figure(figure(summary), args.figure)
    print(table.to_string(index=False))


if __name__ == "__main__":
    run_main(main)
