"""Write a table as CSV, Markdown and LaTeX side by side (one call, three files, atomically)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from identifiability.io import atomic_path


def write_table(df: pd.DataFrame, stem: str | Path, caption: str = "") -> list[Path]:
    """Write ``stem``.csv (full precision), ``stem``.md and ``stem``.tex (rounded for reading)."""
    stem = Path(stem)
    paths = [stem.with_suffix(".csv"), stem.with_suffix(".md"), stem.with_suffix(".tex")]
    with atomic_path(paths[0]) as tmp:
        df.to_csv(tmp, index=False)
    with atomic_path(paths[1]) as tmp:
        text = (f"{caption}\n\n" if caption else "") + df.to_markdown(index=False, floatfmt=".3f") + "\n"
        tmp.write_text(text)
    with atomic_path(paths[2]) as tmp:
        tmp.write_text(df.to_latex(index=False, float_format="%.3f", caption=caption or None,
                                   na_rep="--", escape=True))
    return paths


def save_figure(fig, stem: str | Path) -> list[Path]:
    """Save a matplotlib figure as PDF and PNG (atomically); the PDF carries no creation date, so
    the same figure gives the same bytes."""
    stem = Path(stem)
    out = []
    for ext in (".pdf", ".png"):
        path = stem.with_suffix(ext)
        with atomic_path(path) as tmp:
            metadata = {"CreationDate": None} if ext == ".pdf" else None
            fig.savefig(tmp, format=ext[1:], dpi=150, bbox_inches="tight", metadata=metadata)
        out.append(path)
    return out
