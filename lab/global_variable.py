"""Lesson 2's engine: the slow load both versions run, and how the page judges what a reader drew.

Nothing here holds state: the lesson's module-level variable (the anti-pattern) lives in the page
module itself, where its code is shown; each worker's copy of it is published through
`lab.worker_copies`.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from lab.i18n import N_, _, decimal, month
from lab.instrument import current_session, expensive_step, simulate_work
from lab.sales import clean_sales, monthly_sales
from lab.style import FRUITS, GRID, MUTED, TEMPLATE

PATTERN = "global-variable"
YOU, OTHER = "you", "other"
ROWS = 20_000  # the sales table a load reads (its monthly totals are what the callbacks share)
MEASURES = {"revenue": N_("Revenue"), "units": N_("Units")}
COPIES = f"{PATTERN}:selection"  # the name under which workers publish their copy of the global


def load_sales(fruit: str, side: str) -> pd.DataFrame:
    """The slow step both versions share: one fruit's monthly units and revenue, counted per side."""
    with expensive_step(PATTERN, f"{side}-load"):
        simulate_work()
        return monthly_sales(clean_sales(ROWS, fruit))


def visitor(user: str) -> dict:
    """Who made a choice: this visit's session and which of the page's two users clicked."""
    return {"session": current_session(), "user": user}


def owner_label(by: dict | None, viewer: str | None) -> str:
    """Who put a value there, as the person looking at the page would say it."""
    if not by:
        return N_("nobody")
    if by.get("session") == viewer:
        return N_("you") if by.get("user") == YOU else N_("the other learner (the button)")
    return N_("someone in another tab or browser")


def judge(picked: str | None, kept: dict | None) -> bool:
    """A reader's answer is right when it was drawn from the fruit you picked."""
    return bool(kept) and kept.get("fruit") == picked


def held(selection: dict | None, now: float) -> dict:
    """What a worker publishes about its copy of the global (never the data itself)."""
    if not selection:
        return {"fruit": None, "by": None, "at": now}
    return {"fruit": selection["fruit"], "by": selection["by"], "at": now}


def copy_rows(live: list[int], copies: dict[int, dict], viewer: str | None, now: float) -> list[dict]:
    """One row per live worker: what its copy of the global holds, or that it has not reported."""
    rows = []
    for pid in live:
        copy = copies.get(pid)
        row = {"pid": pid, "reported": copy is not None, "fruit": None, "owner": None, "age": None}
        if copy is not None:
            row.update(fruit=copy.get("fruit"), age=max(0.0, now - copy.get("at", now)),
                       owner=owner_label(copy.get("by"), viewer) if copy.get("fruit") else None)
        rows.append(row)
    return rows


def distinct_values(rows: list[dict]) -> int:
    """How many different values the workers that reported hold (an empty copy counts as one)."""
    return len({row["fruit"] for row in rows if row["reported"]})


def copies_summary(rows: list[dict], live: list[int]) -> str:
    """The line under the table of copies."""
    reported, distinct = [row for row in rows if row["reported"]], distinct_values(rows)
    if len(live) == 1:
        return _("One worker, one copy: every user of this app reads and overwrites the same value.")
    if len(reported) < 2:
        return _("Waiting for more workers to serve this page and report their copy…")
    if distinct > 1:
        return _("%(distinct)s different values across %(workers)s workers: which one you get depends on which "
                 "worker answers.", distinct=distinct, workers=len(reported))
    return _("Every reporting worker holds the same value right now: pick another fruit and look again.")


def sales_figure(kept: dict | None, measure: str) -> go.Figure:
    """Monthly bars of the kept fruit, or an empty chart saying the copy is empty."""
    figure = go.Figure()
    if kept:
        sales = kept["sales"]
        figure.add_bar(x=[month(m) for m in sales["month"]], y=list(sales[measure]), marker_color=FRUITS[kept["fruit"]],
                       hovertemplate="%{x}: %{y:,}<extra></extra>")
        title = _("%(fruit)s · %(measure)s per month", fruit=_(kept["fruit"]), measure=_(MEASURES[measure]).lower())
    else:
        figure.add_annotation(text=_("This worker's copy is empty"), showarrow=False, xref="paper", yref="paper",
                              x=0.5, y=0.5, font={"size": 16, "color": MUTED})
        title = ""
    figure.update_layout(template=TEMPLATE, height=230, margin={"l": 60, "r": 10, "t": 34, "b": 30},
                         title={"text": title},
                         xaxis={"showgrid": False, "visible": bool(kept)},
                         yaxis={"gridcolor": GRID, "visible": bool(kept), "tickformat": ","})
    return figure


def totals_text(kept: dict | None, measure: str) -> str:
    if not kept:
        return _("Nothing to add up: this worker's copy is empty.")
    sales = kept["sales"]
    values = list(sales[measure])
    best = max(range(len(values)), key=values.__getitem__)
    return _("%(fruit)s: %(measure)s for the year %(total)s · best month %(month)s (%(best)s)",
             fruit=_(kept["fruit"]), measure=_(MEASURES[measure]).lower(), total=decimal(sum(values)),
             month=month(sales["month"][best]), best=decimal(values[best]))
