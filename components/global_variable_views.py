"""Lesson 2's views: what a reader drew against what you picked, and every worker's copy of the
global. Plain functions of what the callbacks found; `pages/global_variable.py` places them."""

from __future__ import annotations

import os

from dash import html

from components.chips import fruit_chip, worker_chip
from lab.global_variable import copies_summary, judge, owner_label
from lab.instrument import current_session


def got_line(what: str, picked: str | None, kept: dict | None, source: str) -> html.Div:
    """One row of "what you expected, what you got": the fruit a reader drew and where it came from."""
    pid, right, fruit = os.getpid(), judge(picked, kept), kept.get("fruit") if kept else None
    chip = worker_chip(pid)
    if source == "global" and not kept:
        where = ["worker ", chip, "'s copy is empty: your load ran on another worker"]
    elif source == "global":
        owner = owner_label(kept.get("by"), current_session())
        if right:
            stale = "" if owner == "you" else " (the same fruit as yours, by chance)"
        else:
            stale = ": an earlier pick of yours" if owner == "you" else ", not by you"
        where = ["from worker ", chip, "'s copy, put there by ", html.Strong(owner), stale]
    else:
        where = ["from your own dcc.Store, sent up with the request · worker ", chip, " answered"]
    return html.Div(
        [html.Span(what, className="gv-got-label"), fruit_chip(fruit), html.Span(where, className="gv-got-where"),
         html.Span("✓" if right else "✗", className=f"gv-mark {'gv-mark-good' if right else 'gv-mark-bad'}")],
        className=f"gv-got {'gv-got-right' if right else 'gv-got-wrong'}",
        **{"data-fruit": fruit or "", "data-pid": str(pid), "data-right": "yes" if right else "no"},
    )


def copies_view(rows: list[dict], live: list[int]) -> html.Div:
    body = [html.Tr([html.Td(worker_chip(row["pid"], live)),
                     html.Td(fruit_chip(row["fruit"]) if row["reported"]
                             else html.Span("not reported yet", className="lab-muted")),
                     html.Td(row["owner"] or "nobody has loaded a fruit on this worker" if row["reported"] else ""),
                     html.Td(f"{row['age']:.0f} s ago" if row["reported"] else "", className="lab-muted")])
            for row in rows]
    split = len({row["fruit"] for row in rows if row["reported"]}) > 1
    return html.Div([
        html.Table([html.Thead(html.Tr([html.Th(h) for h in ("Worker", "Its copy holds", "Put there by", "Reported")])),
                    html.Tbody(body)], className="table table-sm gv-copies-table"),
        html.Div(copies_summary(rows, live), className=f"gv-copies-summary {'gv-copies-split' if split else ''}"),
    ])
