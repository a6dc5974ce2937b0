"""Lesson 4's engine: the clean step every mode starts with, what a graph reports about what it drew,
what a step sent, and the figure (the same in every mode)."""

from __future__ import annotations

import time

import pandas as pd
import plotly.graph_objects as go

from lab import fingerprints
from lab.datasets import REGIONS
from lab.i18n import N_, _, month
from lab.instrument import expensive_step, simulate_work
from lab.sales import MONTHS, clean_sales
from lab.sizes import json_size
from lab.style import REGIONS as REGION_COLORS
from lab.style import TEMPLATE

PATTERN = "aggregations"
MODES = ("full", "subsets", "aggregates")
MODE_LABELS = {"full": N_("Send the data"), "subsets": N_("Filtered subsets (the reference)"),
               "aggregates": N_("Send aggregates")}
GRAPH_FRUITS = ["apples", "oranges", "figs"]  # the reference's three graphs
SIZES = [5_000, 20_000, 50_000, 100_000]
DEFAULT_ROWS = 100_000


def clean_step(rows: int, mode: str) -> pd.DataFrame:
    """The expensive step every mode starts with: the cleaned sales table, slow on purpose, counted."""
    with expensive_step(PATTERN, mode):
        simulate_work()
        return clean_sales(rows)


def drawn(numbers: dict) -> dict:
    """What a reader reports about its graph: how many numbers it drew, and their fingerprint."""
    return {"values": sum(len(v) for v in numbers.values()), "fingerprint": fingerprints.of_json(numbers)}


def receipt(trigger: dict, mode: str, rows_kept: int, stored: dict) -> dict:
    """What a step sent: the size of each store it filled (JSON characters), and when it ran (the
    page finds this step's calls among the recorded ones by that time)."""
    return {"mode": mode, "rows": trigger["rows"], "rows_kept": rows_kept, "t": time.time(),
            "stores": {name: json_size(value) for name, value in stored.items()}}


def revenue_figure(fruit: str, numbers: dict[str, list[int]]) -> go.Figure:
    """Stacked monthly bars, one colour per region. Lean on purpose: the lab's small template, no
    legend (the page draws one), so the figure itself weighs little next to the data that fed it."""
    months = [month(m) for m in MONTHS]
    figure = go.Figure([go.Bar(name=_(region), x=months, y=numbers[region], marker_color=REGION_COLORS[region],
                               hovertemplate=_(region) + " · %{x}: %{y:,}<extra></extra>") for region in REGIONS])
    figure.update_layout(template=TEMPLATE, barmode="stack", showlegend=False, height=260,
                         margin={"l": 52, "r": 8, "t": 36, "b": 28},
                         title={"text": _("%(fruit)s · revenue per month", fruit=_(fruit)), "x": 0.02},
                         yaxis={"tickformat": "~s"})
    return figure
