"""Frozen settings dataclasses that refuse unknown keys when built from a dict (the config)."""

from __future__ import annotations

import dataclasses


class StrictSettings:
    """Mixin for frozen dataclasses: ``from_dict`` names every unknown key and the known ones."""

    @classmethod
    def from_dict(cls, values: dict):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            kind = cls.__name__.replace("Settings", "").lower()
            raise ValueError(f"unknown {kind} settings {sorted(unknown)}; known: {sorted(known)}")
        return cls(**values)
