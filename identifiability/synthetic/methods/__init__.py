"""Training objectives as plug-ins: the registry.

A method says what a training step draws from the process (labels, or positive pairs), which
head it trains (rows of W per instance label, per class, or none; with or without a per-row bias)
and its loss. Each lives in its own module of this package, as a subclass of ``base.Method``;
``METHODS`` registers it by name, with what the plan and the config checks need to know without
importing torch. Adding a method: one file here, one line in ``METHODS``; ``method: <name>`` in the
config (or ``--method`` of scripts/synthetic_train.py) then trains it, and the config schema
accepts the name.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class MethodInfo:
    module: str              # module of this package holding the method's class, named METHOD
    head: str | None         # rows of W: "instances" (N), "classes" (|C|) or None (no head)
    head_bias: bool          # a learned bias per row of W
    needs_labels: bool       # trains on instance labels or classes (the cluster-centric process)
    summary: str             # one line, for docs and error messages


METHODS: dict[str, MethodInfo] = {
    "diet": MethodInfo("diet", "instances", False, True,
                       "cross-entropy of the instance label over N rows of W (Ibrahim et al. 2024)"),
    "supervised": MethodInfo("supervised", "classes", False, True,
                             "cross-entropy of the class over |C| rows of W (paper Theorem 2)"),
    "infonce": MethodInfo("infonce", None, False, False,
                          "InfoNCE over the batch, positives on the diagonal (van den Oord et al. 2018; "
                          "Zimmermann et al. 2021)"),
    "tcl": MethodInfo("tcl", "classes", True, True,
                      "multinomial logistic regression of the class with per-class bias "
                      "(Hyvarinen & Morioka 2016)"),
    "gcl": MethodInfo("gcl", "instances", True, True,
                      "logistic discrimination of real from label-shuffled pairs (Hyvarinen et al. 2019)"),
}


def method_info(name: str) -> MethodInfo:
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; known methods: {', '.join(sorted(METHODS))}") from None


def load_method(name: str):
    """The method's object (imports its module, and torch, on first use)."""
    module = importlib.import_module(f"{__name__}.{method_info(name).module}")
    return module.METHOD


__all__ = ["METHODS", "MethodInfo", "method_info", "load_method"]
