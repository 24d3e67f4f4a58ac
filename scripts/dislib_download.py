#!/usr/bin/env python
"""Download the public DisLib files into --data-dir (needs internet; never run by `all`).

Fetches each data set's documented URLs (see docs/dislib.md), unpacks Cars3D's archive and
gunzips smallNORB, so the layout matches what the loaders expect. --dry-run only prints what it
would fetch. Already present files are skipped.
"""

import argparse
import gzip
import shutil
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from identifiability.cli import run_main
from identifiability.dislib.datasets import REAL_DATASETS, get_spec, missing_files


def fetch(url: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    print(f"downloading {url} -> {dest}", flush=True)
    with urllib.request.urlopen(url) as response, open(tmp, "wb") as out:
        shutil.copyfileobj(response, out, length=1 << 20)
    tmp.replace(dest)


def download(name: str, data_dir: Path, dry_run: bool) -> None:
    spec = get_spec(name)
    if not missing_files(name, data_dir):
        print(f"{spec.label}: all files present under {data_dir}")
        return
    for rel, url in zip(spec.files, spec.urls):
        target = data_dir / rel
        if dry_run:
            print(f"would fetch {url} -> {target}")
            continue
        if name == "cars3d":
            with tempfile.TemporaryDirectory(dir=data_dir) as tmp:
                archive = Path(tmp) / "cars.tar.gz"
                fetch(url, archive)
                with tarfile.open(archive) as tar:
                    tar.extractall(tmp, filter="data")
                found = next(Path(tmp).rglob("car_*_mesh.mat")).parent
                target.mkdir(parents=True, exist_ok=True)
                for mat in found.glob("car_*_mesh.mat"):
                    shutil.move(str(mat), target / mat.name)
        elif url.endswith(".gz") and not rel.endswith(".gz"):
            gz = target.with_name(target.name + ".gz")
            fetch(url, gz)
            with gzip.open(gz, "rb") as src, open(target.with_name(target.name + ".partial"), "wb") as dst:
                shutil.copyfileobj(src, dst, length=1 << 20)
            target.with_name(target.name + ".partial").replace(target)
            gz.unlink()
        elif not target.exists():
            fetch(url, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", required=True, choices=REAL_DATASETS)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--done", help="flag file written when every data set is complete")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    for name in args.datasets:
        download(name, data_dir, args.dry_run)
    if args.done and not args.dry_run:
        Path(args.done).parent.mkdir(parents=True, exist_ok=True)
        Path(args.done).write_text("\n".join(args.datasets) + "\n")


if __name__ == "__main__":
    run_main(main)
