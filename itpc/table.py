"""Plain-text tables for the terminal (pure: rows in, lines out; colour is applied by the caller's echo)."""
from __future__ import annotations

from typing import Sequence

import click


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, max_widths: Sequence[int] | None = None,
                 styles: Sequence[dict | None] | None = None, right: Sequence[int] = ()) -> list[str]:
    """Columns as wide as their widest cell (up to ``max_widths``), two blanks apart; a header line and a
    rule first. ``styles[i]`` (click.style keywords) colours row ``i``; ``right`` lists right-aligned columns."""
    limits = list(max_widths or [10**6] * len(headers))
    cells = [[clip(str(c), limits[j]) for j, c in enumerate(row)] for row in rows]
    widths = [max([len(h)] + [len(r[j]) for r in cells]) for j, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(widths[j]) if j in right else v.ljust(widths[j]) for j, v in enumerate(values)]
        return "  ".join(parts).rstrip()

    out = [click.style(line(headers), bold=True), "  ".join("-" * w for w in widths)]
    for i, row in enumerate(cells):
        style = styles[i] if styles else None
        out.append(click.style(line(row), **style) if style else line(row))
    return out
