"""Small labels the lessons put inside their own views: a worker's PID in its colour (the same
colour as in the worker strip and the timeline, from `lab.style`), and a fruit."""

from __future__ import annotations

from dash import html

from lab.i18n import N_, _
from lab.style import worker_color
from lab.workers import server_info

# The dataset's fruits and regions (lab/datasets.py keeps them as plain data), marked here for the
# catalog: the views show them as `_(name)`. tests/unit/test_translations.py checks none is missing.
DATA_NAMES = (N_("apples"), N_("oranges"), N_("figs"), N_("pineapples"),
              N_("north"), N_("south"), N_("east"), N_("west"))


def worker_chip(pid: int, live: list[int] | None = None) -> html.Span:
    """Worker `pid`, coloured by its place among the `live` workers (default: the live ones now)."""
    live = server_info()["workers"] if live is None else live
    return html.Span(str(pid), className="lab-chip", style={"background": worker_color(pid, live)},
                     title=_("worker process %(pid)s", pid=pid))


def fruit_chip(fruit: str | None) -> html.Span:
    """A fruit in its colour (assets/global-variable.css), or "empty"."""
    if not fruit:
        return html.Span(_("empty"), className="gv-fruit gv-fruit-empty")
    return html.Span(_(fruit), className=f"gv-fruit gv-fruit-{fruit}")
