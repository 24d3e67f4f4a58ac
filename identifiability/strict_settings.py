"""Frozen settings dataclasses that refuse unknown keys when built from a dict (the config)."""

from __future__ import annotations

import dataclasses


class StrictSettings:
    """Mixin for frozen dataclasses: ``from_dict`` names every unknown key and the known ones, and
    ``check_schema`` applies the config schema's rules for the same settings (``SCHEMA``: a schema
    file and fragment, see identifiability.config.validate_against_def), so that every rule on a
    value has one home, the schema, whether the value comes from a config, a flag or code."""

    SCHEMA: tuple[str, str] | None = None

    def check_schema(self) -> None:
        """ValueError (ConfigError) naming the field whose value the schema's rules refuse."""
        from identifiability.config import validate_against_def
        validate_against_def({f.name: getattr(self, f.name) for f in dataclasses.fields(self)}, *self.SCHEMA,
                             label=str)

    @classmethod
    def from_dict(cls, values: dict):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            kind = cls.__name__.replace("Settings", "").lower()
            raise ValueError(f"unknown {kind} settings {sorted(unknown)}; known: {sorted(known)}")
        # 10 and 10.0 are one setting (same run folder, same hash): ints become floats where the
        # field is a float
        floats = {f.name for f in dataclasses.fields(cls) if f.type in (float, "float")}
        values = {k: float(v) if k in floats and isinstance(v, int) and not isinstance(v, bool) else v
                  for k, v in values.items()}
        return cls(**values)
