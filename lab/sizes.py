"""Byte counts and durations as the lab prints them, the same way the browser does
(`formatBytes` and `formatDuration` in assets/lab.js; tests/unit/test_formats.py runs both on the
same numbers), so a size printed by a page and the same size in a meter read alike.

Bytes in decimal units (1 KB = 1,000 bytes): two decimals under 10, one under 100, none above.
Durations in ms with one decimal under 10 ms, whole ms under a second, then seconds (two decimals
under 10 s, one above). Halves round up, as JavaScript's `toFixed` and `Math.round` do. The
decimal mark is the language's (`lab.i18n`: 1.23 KB in English, 1,23 KB in Spanish).
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

from lab.i18n import localize

UNITS = ("KB", "MB", "GB")


def _fixed(value: float, decimals: int, lang: str | None = None) -> str:
    """`value.toFixed(decimals)` as JavaScript writes it (Python's format rounds halves to even),
    with the language's decimal mark."""
    return localize(str(Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)), lang)


def human_bytes(n: int | None, lang: str | None = None) -> str:
    """`1234` → `1.23 KB`, `4558204` → `4.56 MB`."""
    if n is None:
        return "—"
    if n < 1000:
        return f"{n} B"
    value, unit = n / 1000, 0
    while value >= 1000 and unit < len(UNITS) - 1:
        value /= 1000
        unit += 1
    decimals = 2 if value < 10 else 1 if value < 100 else 0
    return f"{_fixed(value, decimals, lang)} {UNITS[unit]}"


def human_duration(ms: float, lang: str | None = None) -> str:
    """`4.23` → `4.2 ms`, `321.4` → `321 ms`, `3012` → `3.01 s`, `12345` → `12.3 s`."""
    if ms < 10:
        return f"{_fixed(ms, 1, lang)} ms"
    if ms < 1000:
        return f"{_fixed(ms, 0, lang)} ms"
    return f"{_fixed(ms / 1000, 2 if ms < 10_000 else 1, lang)} s"


def json_size(value) -> int:
    """Characters of `value` as compact JSON: what a dcc.Store writes into the browser's storage
    (`JSON.stringify`) and, for ASCII data, the bytes it weighs in a request body."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def ratio(big: float, small: float) -> float | None:
    """How many times `small` fits in `big` (None when there is nothing to compare)."""
    return big / small if big and small else None
