"""Lesson 2's views: what a reader drew against what you picked, and every worker's copy of the
global. Plain functions of what the callbacks found; `pages/global_variable.py` places them."""

from __future__ import annotations

import os

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.chips import fruit_chip, worker_chip
from components.lesson import toggle
from components.workshop import Answer, Question
from lab.datasets import FRUITS
from lab.global_variable import MEASURES, OTHER, YOU
from lab.global_variable import copies_summary, judge, owner_label
from lab.i18n import _, ago
from lab.instrument import current_session


def got_line(what: str, picked: str | None, kept: dict | None, source: str) -> html.Div:
    """One row of "what you expected, what you got": the fruit a reader drew and where it came from."""
    pid, right, fruit = os.getpid(), judge(picked, kept), kept.get("fruit") if kept else None
    chip = worker_chip(pid)
    if source == "global" and not kept:
        where = [_("worker"), " ", chip, ": ", _("its copy is empty: your load ran on another worker")]
    elif source == "global":
        owner = owner_label(kept.get("by"), current_session())
        if right:
            stale = "" if owner == "you" else " " + _("(the same fruit as yours, by chance)")
        else:
            stale = ": " + _("an earlier pick of yours") if owner == "you" else ", " + _("not by you")
        where = [_("from worker"), " ", chip, ", ", _("put there by"), " ", html.Strong(_(owner)), stale]
    else:
        where = [_("from your own dcc.Store, sent up with the request · worker"), " ", chip, " ", _("answered")]
    return html.Div(
        [html.Span(_(what), className="gv-got-label"), fruit_chip(fruit), html.Span(where, className="gv-got-where"),
         html.Span("✓" if right else "✗", className=f"gv-mark {'gv-mark-good' if right else 'gv-mark-bad'}",
                   title=_("right") if right else _("wrong"), **{"aria-hidden": "true"}),
         html.Span(_("right") if right else _("wrong"), className="visually-hidden")],
        className=f"gv-got {'gv-got-right' if right else 'gv-got-wrong'}",
        **{"data-fruit": fruit or "", "data-pid": str(pid), "data-right": "yes" if right else "no"},
    )


def copies_view(rows: list[dict], live: list[int]) -> html.Div:
    body = [html.Tr([html.Td(worker_chip(row["pid"], live)),
                     html.Td(fruit_chip(row["fruit"]) if row["reported"]
                             else html.Span(_("not reported yet"), className="lab-muted")),
                     html.Td((_(row["owner"]) if row["owner"] else _("nobody has loaded a fruit on this worker"))
                             if row["reported"] else ""),
                     html.Td(ago(row["age"]) if row["reported"] else "", className="lab-muted")])
            for row in rows]
    split = len({row["fruit"] for row in rows if row["reported"]}) > 1
    return html.Div([
        html.Table([html.Thead(html.Tr([html.Th(h) for h in (_("Worker"), _("Its copy holds"), _("Put there by"),
                                                             _("Reported"))])),
                    html.Tbody(body)], className="table table-sm gv-copies-table"),
        html.Div(copies_summary(rows, live), className=f"gv-copies-summary {'gv-copies-split' if split else ''}"),
    ])


def experiments(ids) -> html.Div:
    """The two experiments to run with the room, one lit up by the live worker count."""
    steps_one = [[_("Press − in the strip under the navbar until 1 worker is live (on a shared lab, the instructor "
                    "does it).")], _("As the other learner, pick a different fruit."),
                 _("Now switch your own Revenue / Units: the global side draws their fruit.")]
    steps_many = [[_("Press + until 4 workers are live.")],
                  _("Switch Revenue / Units a few times, or pick again."),
                  _("Watch which worker answers each reader: its copy, not yours, decides what you see. Some copies "
                    "are empty.")]
    return html.Div([
        html.Div([html.Span(_("Workers"), className="gv-workers-label"), html.Span(id=ids.copies_workers)],
                 className="gv-workers"),
        dbc.Row([dbc.Col(html.Div([html.H3(title), html.Ol([html.Li(step) for step in steps])], id=id_,
                                  className="lab-card gv-experiment"), md=6)
                 for id_, title, steps in [
                     (ids.experiment_one, _("With 1 worker: another user's choice leaks into yours"), steps_one),
                     (ids.experiment_many, _("With several workers: answers jump between copies"), steps_many)]],
                className="g-3"),
    ], className="gv-experiments")


def controls(ids) -> dbc.Row:
    """You, and the other learner you act as: the same callbacks, two users."""
    fruits = {fruit: _(fruit) for fruit in FRUITS}
    you = html.Div([
        html.Div(_("You"), className="gv-user-title"),
        html.Div(_("Pick a fruit (a slow load: both versions run it)"), id="gv-you-pick-label", className="lab-label"),
        html.Div(toggle({"type": ids.pick, "user": YOU}, fruits, FRUITS[0], "gv-picker"), role="group",
                 **{"aria-labelledby": "gv-you-pick-label"}),
        html.Div(_("Then show"), id="gv-measure-label", className="lab-label mt-2"),
        html.Div(toggle(ids.measure, {k: _(v) for k, v in MEASURES.items()}, "revenue"), role="group",
                 **{"aria-labelledby": "gv-measure-label"}),
        html.Div(_("Switching what to show only re-runs the readers: they read what the load kept."),
                 className="lab-figure-note mt-1"),
    ], className="lab-card gv-user")
    other = html.Div([
        html.Div(_("Act as another learner"), className="gv-user-title gv-user-other"),
        html.Div(_("They pick a fruit in their own browser (the same callbacks, another user)"), id="gv-other-pick-label",
                 className="lab-label"),
        html.Div(toggle({"type": ids.pick, "user": OTHER}, fruits, None, "gv-picker"), role="group",
                 **{"aria-labelledby": "gv-other-pick-label"}),
        html.Div([html.Div([html.Span(mark, className=f"gv-mark gv-mark-{kind}", **{"aria-hidden": "true"}),
                            html.Span(_("%(side)s: they have not picked yet.", side=what),
                                      id={"type": loaded, "user": OTHER})],
                           className="gv-loaded")
                  for mark, kind, what, loaded in [("✗", "bad", _("Global variable"), ids.bad_loaded),
                                                   ("✓", "good", "dcc.Store", ids.good_loaded)]], className="mt-2"),
        dcc.Store(id={"type": ids.good_store, "user": OTHER}),
    ], className="lab-card gv-user")
    return dbc.Row([dbc.Col(you, lg=6), dbc.Col(other, lg=6)], className="g-3")


def self_check_questions() -> list[Question]:
    return [
        Question(_("Your app runs with 4 gunicorn workers. A callback sets a module-level variable. How many "
                   "copies of that variable now hold the new value?"), (
            Answer(_("One: the copy in the worker that ran the callback."), True,
                   _("Each worker is a process with its own memory; the other three copies are unchanged.")),
            Answer(_("Four: gunicorn keeps the workers in sync."), False,
                   _("gunicorn shares nothing between workers: it only hands each request to a free one.")),
            Answer(_("None until the app restarts."), False,
                   _("The assignment takes effect at once, but only inside that one process.")))),
        Question(_("With a single worker, why does another user's choice show up in your chart?"), (
            Answer(_("Because both users' callbacks run in that one process and share its only copy."), True,
                   _("One worker, one copy: whoever wrote last wins, for everybody.")),
            Answer(_("Because the browser caches the other user's chart."), False,
                   _("Browsers never see other users' data unless the server sends it: here the server does.")),
            Answer(_("It cannot: one worker means one user at a time."), False,
                   _("A worker serves many users in turn; the global outlives each request.")))),
        Question(_("When is a module-level variable safe in a Dash app?"), (
            Answer(_("When it is only read after start-up: constants, lookup tables, configuration."), True,
                   _("Every worker then holds the same, unchanging copy.")),
            Answer(_("When the app runs with one worker."), False,
                   _("One worker still serves many users, who then overwrite each other.")),
            Answer(_("When it is protected by a threading lock."), False,
                   _("A lock orders writes inside one process; it neither shares the value across workers nor "
                     "keeps users apart.")))),
    ]
