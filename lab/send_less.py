"""Lesson 7's engine: the data its three comparisons move, and what each side sends.

1. A series that grows: `points(start, stop)` is a closed-form function of the index, so any
   worker computes the same points without keeping the series; `series_figure` is the whole
   figure, `extension` only the points a `dash.Patch` appends.
2. A display-only change: the same figure built on the server for a unit (`unit_figure`), which
   assets/send-less.js rebuilds in the browser from the °C readings (`readings`).
3. A large table read by a callback: `sales_table` (the same for every worker), `region_summary`
   what the callback answers from it, and `table_from_cache` the server-side copy kept by key.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lab.datasets import REGIONS, to_unit, weather_for
from lab.i18n import N_, _, decimal
from lab.instrument import expensive_step
from lab.sales import cents, clean_sales
from lab.style import TEMPLATE

PATTERN = "send-less"

# -- 1. a figure that grows ------------------------------------------------------------------------

BASE_POINTS = 100_000  # the series every visit starts from
MAX_POINTS = 200_000  # past this the series starts again from BASE_POINTS
APPEND_CHOICES = (10, 100, 1000)
DEFAULT_APPEND = 100
SIDES = ("whole", "patch")


def points(start: int, stop: int) -> tuple[list[int], list[float]]:
    """Readings `start` to `stop - 1` of a sensor: x is the reading's number, y a closed-form
    function of it (two slow waves and a fast wobble), rounded to two decimals. Plain lists, as a
    Patch's `extend` needs (numpy arrays would reach the browser as typed arrays)."""
    if not 0 <= start <= stop:
        raise ValueError(f"points({start}, {stop}): need 0 <= start <= stop")
    i = np.arange(start, stop, dtype=np.float64)
    y = 20 + 5 * np.sin(2 * np.pi * i / 20_000) + 2 * np.sin(2 * np.pi * i / 1_300) + 0.8 * np.sin(i * 12.9898)
    return list(range(start, stop)), np.round(y, 2).tolist()


def next_length(length: int | None, append: int) -> tuple[int, str]:
    """How long the series is after a click, and what the click does: `load` (the page opened, or
    the series is full and starts again) or `append`."""
    if length is None or length + append > MAX_POINTS:
        return BASE_POINTS, "load"
    return length + append, "append"


def series_figure(length: int) -> dict:
    """The whole figure: every reading so far. A plain dict: plotly's validation of 100,000-point
    lists would take most of a second, and the figure's JSON is what this lesson measures."""
    x, y = points(0, length)
    figure = go.Figure(go.Scatter(mode="lines", line={"width": 1}, hoverinfo="skip"))
    figure.update_layout(template=TEMPLATE, height=240, margin={"l": 44, "r": 10, "t": 10, "b": 36},
                         xaxis={"title": {"text": _("reading")}}, yaxis={"title": {"text": "°C"}},
                         uirevision="series")
    figure = figure.to_plotly_json()
    figure["data"][0].update(x=x, y=y)
    return figure


def extension(old_length: int, new_length: int) -> tuple[list[int], list[float]]:
    """Only the readings a click adds."""
    return points(old_length, new_length)


def grow_receipt(side: str, kind: str, length: int, append: int) -> dict:
    """What one side's callback did, and when (the page finds its call among the recorded ones by `t`)."""
    return {"side": side, "kind": kind, "length": length, "append": append, "t": time.time()}


def count_update(side: str) -> None:
    """Count one update computed on the server (the meters' "updates computed", across workers)."""
    with expensive_step(PATTERN, f"grow-{side}"):
        pass


# -- 2. a display-only change --------------------------------------------------------------------

DAY = dt.date(2026, 6, 1)
UNITS = {"C": "°C", "F": "°F"}


def readings() -> dict:
    """The day's hourly temperatures in °C: what the browser-side conversion starts from."""
    weather = weather_for(DAY)
    return {"hour": weather["hour"].tolist(), "temp_c": weather["temp_c"].tolist()}


def unit_figure(data: dict, unit: str) -> go.Figure:
    """The temperatures in `unit`. The symbol is the trace's `meta` and the axis title, so the
    browser's conversion changes exactly three things: y, meta and the title."""
    temps = [round(float(v), 2) for v in to_unit(np.asarray(data["temp_c"], dtype=float), unit)]
    figure = go.Figure(go.Scatter(x=data["hour"], y=temps, mode="lines+markers", meta=UNITS[unit],
                                  hovertemplate="%{x}:00 · %{y:.1f}%{meta}<extra></extra>"))
    figure.update_layout(template=TEMPLATE, height=230, margin={"l": 50, "r": 10, "t": 10, "b": 40},
                         xaxis={"title": _("hour"), "dtick": 3}, yaxis={"title": {"text": UNITS[unit]}})
    return figure


def convert_on_server(unit: str) -> go.Figure:
    """The server's side of the conversion: counted, so the meters show a worker took it."""
    with expensive_step(PATTERN, "unit-server"):
        return unit_figure(readings(), unit)


# -- 3. a large store, or a key ------------------------------------------------------------------

TABLE_ROWS = (10_000, 50_000)
DEFAULT_TABLE_ROWS = 10_000
READ_SIDES = ("store", "key")
CACHE_PREFIX = "send-less:sales:"
QUESTION = N_("Revenue in %(region)s")


def sales_table(rows: int, side: str) -> pd.DataFrame:
    """The large table both sides start from (the same rows for every worker), counted per side."""
    if rows not in TABLE_ROWS:
        raise ValueError(f"rows must be one of {TABLE_ROWS}")
    with expensive_step(PATTERN, f"table-{side}"):
        return clean_sales(rows)


def cache_key(rows: int) -> str:
    return f"{CACHE_PREFIX}{rows}"


def table_from_cache(cache, rows: int) -> pd.DataFrame:
    """The table the server keeps under `cache_key(rows)`; built again (and kept) on a miss, so the
    answer is right on any worker, whether or not the entry expired."""
    key = cache_key(rows)
    table = cache.get(key)
    if table is None:
        table = sales_table(rows, "key")
        cache.set(key, table)
    return table


def region_summary(table: pd.DataFrame, region: str) -> dict:
    """What the reading callback answers: the region's sales and revenue (whole cents: exact after JSON)."""
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}")
    mine = table[table["region"] == region]
    return {"region": region, "rows": int(len(table)), "sales": int(len(mine)),
            "revenue_cents": int(cents(mine["revenue"]).sum())}


def read_receipt(side: str, summary: dict) -> dict:
    """What one reading callback answered, and when (the page pairs it with its recorded call)."""
    return {"side": side, "rows": summary["rows"], "region": summary["region"], "summary": summary, "t": time.time()}


def summary_text(summary: dict) -> str:
    return _("%(question)s: %(revenue)s from %(sales)s of %(rows)s sales",
             question=_(QUESTION, region=_(summary["region"])), revenue=decimal(summary["revenue_cents"] / 100, 2),
             sales=decimal(summary["sales"]), rows=decimal(summary["rows"]))
