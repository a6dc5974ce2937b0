"""Byte counts as the lessons print them, the same way the meters in `assets/lab.js` do: decimal
units (1 KB = 1,000 bytes), two decimals under 10, one under 100, none above, so a size printed by
a page and the same size in a meter read alike."""

from __future__ import annotations

import json

UNITS = ("KB", "MB", "GB")


def human_bytes(n: int | None) -> str:
    """`1234` → `1.23 KB`, `4558204` → `4.56 MB` (mirrors `formatBytes` in assets/lab.js)."""
    if n is None:
        return "—"
    if n < 1000:
        return f"{n} B"
    value, unit = n / 1000, 0
    while value >= 1000 and unit < len(UNITS) - 1:
        value /= 1000
        unit += 1
    decimals = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{decimals}f} {UNITS[unit]}"


def json_size(value) -> int:
    """Characters of `value` as compact JSON: what a dcc.Store writes into the browser's storage
    (`JSON.stringify`) and, for ASCII data, the bytes it weighs in a request body."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def ratio(big: float, small: float) -> float | None:
    """How many times `small` fits in `big` (None when there is nothing to compare)."""
    return big / small if big and small else None
