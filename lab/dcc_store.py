"""Lesson 3's engine: the clean step, where the store may be kept in the learner's browser, and
what the two readers draw from it."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from lab.datasets import FRUITS
from lab.i18n import _
from lab.instrument import expensive_step, simulate_work
from lab.sales import clean_sales, from_records, weekly_revenue
from lab.style import FRUITS as FRUIT_COLORS
from lab.style import TEMPLATE

PATTERN = "dcc-store"
STORAGES = ("memory", "session", "local")
STORE_ID_PREFIX = f"{PATTERN}-data-"  # the three dcc.Stores, and their keys in the browser's storage
SIZES = [5_000, 10_000, 20_000, 50_000, 100_000]
DEFAULT_ROWS = 20_000
HEAVY_BYTES = 1_000_000  # from here every reader uploads a megabyte or more: slow on real networks
STORAGE_ROOM_MARGIN = 1_024  # characters for the store's bookkeeping items (timestamps, the `held` store)


def clean(fruit: str, rows: int) -> pd.DataFrame:
    """The expensive step: clean `rows` sales (one fruit, or all), slow on purpose and counted."""
    with expensive_step(PATTERN, "clean"):
        simulate_work()
        return clean_sales(rows, fruit)


def room_in(storage: str, quota: dict | None) -> int | None:
    """Characters this page may write into `storage` (None: no limit the page knows of, i.e. memory).

    The browser measured it (`quota` in assets/dcc-store.js): the free space plus what this page's
    own items use, since writing the store replaces them. 0 when the storage is unavailable."""
    if storage == "memory":
        return None
    measured = (quota or {}).get(storage)
    if not measured:
        return 0
    return max(0, measured["free"] + measured["ours"] - STORAGE_ROOM_MARGIN)


def where_to_keep(storage: str, size: int, quota: dict | None) -> str:
    """The storage the store will really use: the one asked for, or memory if it would overflow."""
    room = room_in(storage, quota)
    return storage if room is None or size + len(STORE_ID_PREFIX + storage) <= room else "memory"


def already_held(held: dict | None, fruit: str, rows: int) -> bool:
    """True when the store of the chosen storage already holds this choice (session and local
    survive a reload, so the expensive step need not run again)."""
    return bool(held) and held.get("fruit") == fruit and held.get("rows") == rows


def stored_sales(*stores) -> pd.DataFrame | None:
    """The table from whichever of the three stores holds it (the others are empty)."""
    data = next((store for store in stores if store), None)
    return None if data is None else from_records(data)


def revenue_figure(sales: pd.DataFrame) -> go.Figure:
    weekly = weekly_revenue(sales)
    figure = go.Figure()
    for fruit in FRUITS:
        mine = weekly[weekly["fruit"] == fruit]
        if len(mine):
            figure.add_scatter(x=mine["week"].tolist(), y=mine["revenue"].tolist(), name=_(fruit), mode="lines",
                               line={"color": FRUIT_COLORS[fruit], "width": 2.5},
                               hovertemplate=_("%(fruit)s · week", fruit=_(fruit)) + " %{x}: %{y:,}<extra></extra>")
    figure.update_layout(template=TEMPLATE, height=300, margin={"l": 60, "r": 10, "t": 10, "b": 40},
                         legend={"orientation": "h", "y": 1.08, "x": 0},
                         xaxis={"title": {"text": _("week of 2026")}},
                         yaxis={"title": {"text": _("revenue")}, "tickformat": ","})
    return figure
