#!/usr/bin/env python
"""Stage 1 (synthetic): draw a data generating process (one file per seed) and write it to HDF5.

The file holds the cluster vectors, the frozen invertible generator, the settings (label scheme,
conditional) and held-out evaluation samples: everything needed to draw fresh samples again.
"""

import argparse
import time

from identifiability.cli import add_dataclass_arguments, dataclass_from_args, run_main
from identifiability.synthetic.process import create_process, save_process
from identifiability.synthetic.settings import ProcessSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, nargs="+", required=True, help="seed of each process draw")
    parser.add_argument("--out", nargs="+", required=True, help="output HDF5 path, one per seed")
    add_dataclass_arguments(parser, ProcessSettings, "process settings")
    args = parser.parse_args()
    if len(args.seed) != len(args.out):
        raise ValueError(f"{len(args.seed)} --seed values but {len(args.out)} --out paths; give one path per seed")
    settings = dataclass_from_args(ProcessSettings, args, schema=("synthetic.schema.yaml", "process"))
    for seed, out in zip(args.seed, args.out):
        t0 = time.perf_counter()
        process, eval_arrays = create_process(settings, seed)
        save_process(out, process, eval_arrays)
        print(f"wrote {out} (seed {seed}, {settings.kind}, {settings.eval_samples} held-out samples, d={settings.d}, "
              f"|C|={settings.clusters}, N={settings.N}) in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    run_main(main)
