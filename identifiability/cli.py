"""Command-line helpers shared by the stage scripts: dataclass fields become flags."""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import dataclasses
import logging
import sys
import typing

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
RETAINED_ALLOCATION = 256 << 20   # blocks up to this size come from (and go back to) the heap


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


def flag_name(dest: str) -> str:
    """The command-line flag of a setting: ``max_epochs`` -> ``--max-epochs``."""
    return "--" + dest.replace("_", "-")


def validate_args(values, schema: tuple[str, str], flags: dict[str, str] | None = None) -> None:
    """Check command-line values with the config schema's rules for the same settings.

    ``values``: an argparse Namespace or a mapping, keyed like the schema (argparse's ``dest``
    names). ``schema``: ``(schema file, fragment)``, e.g. ``("synthetic.schema.yaml", "process")``
    (a ``$defs`` key) or ``("dislib.schema.yaml", "properties/train")`` (a path in the schema);
    only the keys the fragment defines are checked (see config.validate_against_def). A bad value
    raises ValueError (ConfigError) naming the flag, ``--kappa: -1.0 is less than or equal to the
    minimum of 0``; ``flags`` maps a key to its flag where it is not ``--<key with dashes>``.
    """
    from identifiability.config import validate_against_def
    if isinstance(values, argparse.Namespace):
        values = vars(values)
    flags = flags or {}
    validate_against_def(values, schema[0], schema[1], label=lambda key: flags.get(key, flag_name(key)))


def dataclass_from_args(cls, args: argparse.Namespace, schema: tuple[str, str] | None = None):
    """``cls`` from the flags of add_dataclass_arguments; with ``schema`` (see validate_args) the
    values are first checked against the config schema's rules for them."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)}
    if schema is not None:
        validate_args(values, schema)
    return cls(**values)


def render_stage_arguments(doc: str, layout_help: str, out_flag: str = "--tables-dir") -> argparse.Namespace:
    """The flags the synthetic render stages for sweeps, theory and genealogy take: their layout
    JSON, the runs' folder and where its tables and figures go; parsed from the command line."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layout", required=True, help=layout_help)
    parser.add_argument("--runs-root", required=True, help="folder holding <setting id>/seed<k>/metrics.json")
    parser.add_argument(out_flag, required=True)
    parser.add_argument("--figures-dir", required=True)
    return parser.parse_args()


def retain_freed_memory() -> bool:
    """Keep memory the process frees for its next allocations instead of handing it back to the
    operating system (glibc only; elsewhere nothing happens and False is returned).

    A training step allocates and frees tensors of a few MB (activations, gradients). glibc maps
    every block above its threshold (128 kB, rising only as far as the largest block freed so far)
    afresh and unmaps it on free, and trims the freed top of the heap beyond twice that, so a d = 5
    step paid 1,200-2,800 page faults, the kernel zeroing each page. Blocks up to
    RETAINED_ALLOCATION now come from the heap, trimmed only beyond twice that: the arithmetic is
    untouched and the peak memory the same; the step takes 0.85 of its time (the median of 6
    alternating rounds, benchmarks/freed_memory.txt).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):   # not glibc (musl has no mallopt)
        return False
    ok = mallopt(_M_MMAP_THRESHOLD, RETAINED_ALLOCATION) or mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    return bool(ok and mallopt(_M_TRIM_THRESHOLD, 2 * RETAINED_ALLOCATION))


def run_main(main: typing.Callable[[], None]) -> None:
    """Run a stage; expected errors (bad input, missing files) print one clear line and exit 2.

    stdout and stderr are line-buffered, so a job's log (``> {log} 2>&1``) shows each line as it
    is printed (``tail -f``), not in blocks when a buffer fills or the job ends; freed memory is
    kept for reuse (``retain_freed_memory``).
    """
    from identifiability.io import ArtifactError
    retain_freed_memory()
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        main()
    except (ArtifactError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
