"""Command-line helpers shared by the stage scripts: dataclass fields become flags."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import typing


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls, title: str) -> None:
    """Add one flag per field of ``cls`` (booleans get --x / --no-x), defaults from the class."""
    group = parser.add_argument_group(title)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        kind = hints[f.name]
        if kind is bool:
            group.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            group.add_argument(flag, dest=f.name, type=kind, default=f.default,
                               help=f"default: {f.default}")


def dataclass_from_args(cls, args: argparse.Namespace):
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})


def run_main(main: typing.Callable[[], None]) -> None:
    """Run a stage; expected errors (bad input, missing files) print one clear line and exit 2."""
    from identifiability.io import ArtifactError
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        main()
    except (ArtifactError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
