"""Lesson 2: why a global variable breaks a Dash app.

A callback that keeps its result in a module-level variable, for other callbacks to read, works
while one person uses one process. But every gunicorn worker is a separate process with its own
copy of that variable, and every user a worker serves shares that worker's copy. With one worker,
another user's choice leaks into your view; with several, your next callback may land on a worker
whose copy you never wrote. The fix keeps each user's data with the user (here a dcc.Store), so
any worker can answer any request correctly.
"""

from __future__ import annotations

import os
import time

import dash
import pandas as pd
from dash import MATCH, ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from components import ids as shell_ids
from components.chips import fruit_chip, worker_chip
from components.global_variable_views import controls, copies_view, experiments, got_line, self_check_questions
from components.code_view import create_code_view
from components.lesson import explain, lesson_layout, side_by_side
from components.meters import MeterPanel
from components.timeline import Timeline
from lab.datasets import FRUITS
from lab.global_variable import (COPIES, MEASURES, OTHER, PATTERN, YOU, copy_rows, held, load_sales, sales_figure,
                                 totals_text, visitor)
from lab.i18n import N_, _, later
from lab.instrument import current_session
from lab.sales import MONTHS
from lab.schema import accepts, anything, clicks, list_of, nullable, number, one_of, record, whole
from lab.settings import get_settings
from lab.worker_copies import copies_for
from lab.workers import server_info

dash.register_page(
    __name__, path="/global-variable", name=N_("The global-variable trap"), order=2, lesson=2,
    nav_label=N_("Globals"), pattern=PATTERN, title=later("Why global variables break a Dash app"),
    description=N_("A module-level variable is one copy per worker, shared by every user it serves: another "
                   "user's choice leaks into your view, and answers jump between copies. A dcc.Store doesn't."),
)


class ids:
    pick = f"{PATTERN}-pick"  # {"type": pick, "user": "you" | "other"}
    measure = f"{PATTERN}-measure"
    picked_bad = f"{PATTERN}-picked-bad"  # "You picked", drawn in the browser (no request)
    picked_good = f"{PATTERN}-picked-good"
    # ✗ a module-level variable (the meters' scope: `global-variable-demo-bad`)
    bad_loaded = f"{PATTERN}-demo-bad-loaded"  # {"type": ..., "user": ...}
    bad_chart_got = f"{PATTERN}-demo-bad-chart-got"
    bad_chart = f"{PATTERN}-demo-bad-chart"
    bad_totals_got = f"{PATTERN}-demo-bad-totals-got"
    bad_totals = f"{PATTERN}-demo-bad-totals"
    # ✓ a dcc.Store per user (the meters' scope: `global-variable-demo-good`)
    good_store = f"{PATTERN}-demo-good-store"  # {"type": ..., "user": ...}
    good_loaded = f"{PATTERN}-demo-good-loaded"  # {"type": ..., "user": ...}
    good_chart_got = f"{PATTERN}-demo-good-chart-got"
    good_chart = f"{PATTERN}-demo-good-chart"
    good_totals_got = f"{PATTERN}-demo-good-totals-got"
    good_totals = f"{PATTERN}-demo-good-totals"
    # every worker's copy of the global: outside both meter scopes
    copies_tick = f"{PATTERN}-copies-tick"
    copies_table = f"{PATTERN}-copies-table"
    copies_workers = f"{PATTERN}-copies-workers"
    experiment_one = f"{PATTERN}-copies-experiment-one"
    experiment_many = f"{PATTERN}-copies-experiment-many"


COPIES_REFRESH_MS = 2000

accepts({
    (ids.pick, "value"): nullable(one_of(*FRUITS)),
    (ids.pick, "id"): record(type=one_of(ids.pick), user=one_of(YOU, OTHER)),
    (ids.bad_loaded, "children"): anything(max_depth=12),  # only a trigger: the readers never look inside
    (ids.measure, "value"): one_of(*MEASURES),
    (ids.good_store, "data"): nullable(record(fruit=one_of(*FRUITS), sales=record(
        month=list_of(one_of(*MONTHS), 12, 12), units=list_of(whole(0, 10**12), 12, 12),
        revenue=list_of(number(0, 1e13), 12, 12)))),
    (ids.copies_tick, "n_intervals"): clicks(),
})


def layout(**_kwargs):
    return lesson_layout(
        __name__,
        question=_("A global variable works on your laptop. Then two people use it."),
        lead=_("A load callback keeps a fruit's sales for two reader callbacks, a chart and the totals. On the left "
               "it keeps them in a module-level variable; on the right, in a dcc.Store. Pick, act as another "
               "learner, and compare what each side shows with what you picked."),
        why=_("a module-level variable lives in one process's memory: each gunicorn worker has its own copy, "
              "shared by every user that worker serves."),
        cards=[explain(_("Each process has its own memory"),
                       _("gunicorn runs your app as several worker processes. A module-level variable exists once "
                         "per process: when a callback reassigns it, only the copy inside the worker that ran the "
                         "callback changes. And every user served by that worker shares that copy.")),
               explain(_("Any worker may serve any request"),
                       _("Dash is stateless: there is no link between a user and a worker. Your load can run on one "
                         "worker and your chart on another, whose copy you never wrote. Data that callbacks share "
                         "must live where every worker can reach it: in the browser (dcc.Store) or in a shared "
                         "server store keyed by user."))],
        try_title=_("Try both: one worker, then several"),
        try_steps=[(_("With 1 worker live, pick a fruit as the other learner, then switch your Revenue / Units."),
                    _("the global side draws their fruit, marked ✗; the dcc.Store side keeps yours, ✓.")),
                   (_("Press + until 4 workers are live and switch Revenue / Units a few times."),
                    _("the worker chips change from reader to reader, and so does what the global side draws.")),
                   (_("Look at the table of every worker's copy."),
                    _("several different values, or empty copies: one global, many copies."))],
        demo=[experiments(ids), html.Div(controls(ids), className="mt-3"),
              html.Div(side_by_side(_side("bad", _("Meters: global variable")),
                                    _side("good", _("Meters: dcc.Store per user")),
                                    _("A module-level variable: one copy per worker, shared by all its users"),
                                    _("A dcc.Store per user: your data travels with your requests")), className="mt-3"),
              dcc.Store(id={"type": ids.good_store, "user": YOU})],
        timeline=Timeline(PATTERN, scope=f"{PATTERN}-demo"),
        sections=[(_("Every worker's own copy of the global"), html.Div([
            html.P(_("Each worker publishes what its copy of selection holds whenever it serves this page (through "
                     "the lab's shared store, which is how a page can see inside other processes at all). A worker "
                     "that has not served this page yet has not reported."), className="lab-muted"),
            html.Div(id=ids.copies_table),
            dcc.Interval(id=ids.copies_tick, interval=COPIES_REFRESH_MS),
        ], className="lab-card"))],
        code=create_code_view(bad_load, bad_chart, good_load, good_chart, load_sales, open=True),
        takeaways=[
            _("A module-level variable lives in one worker process. Reassigning it changes that worker's copy only, "
              "and every user served by that worker sees the change."),
            _("With one worker, users overwrite each other's data. With several, each request reads whatever copy "
              "its worker happens to hold, including an empty one."),
            _("Keep per-user data with the user: return it into a dcc.Store and read it as an Input or State "
              "(lesson 3 measures what that costs), or keep it in a shared server store keyed by session "
              "(lessons 5 and 6)."),
            _("Module-level data is safe only when nobody writes it after start-up: read-only lookup tables, "
              "constants, configuration."),
        ],
        check=self_check_questions(),
    )


def _side(side: str, title: str):
    bad = side == "bad"
    return [
        MeterPanel(PATTERN, scope=f"{PATTERN}-demo-{side}", steps=[f"{side}-load"], title=title,
                   step_label=_("Loads ran")),
        html.Div([
            html.Div([html.Span(_("Your last load"), className="gv-got-label"),
                      html.Span(_("loading…"), id={"type": ids.bad_loaded if bad else ids.good_loaded, "user": YOU})],
                     className="gv-loaded gv-loaded-you"),
            html.Div([html.Span(_("You picked"), className="gv-got-label"),
                      html.Span(id=ids.picked_bad if bad else ids.picked_good),
                      html.Span(_("what you expect every reader to show"), className="gv-got-where")],
                     className="gv-got gv-got-expected"),
            html.Div(id=ids.bad_chart_got if bad else ids.good_chart_got, className="gv-got-slot"),
            html.Div(id=ids.bad_totals_got if bad else ids.good_totals_got, className="gv-got-slot"),
            dcc.Graph(id=ids.bad_chart if bad else ids.good_chart, config={"displayModeBar": False}, className="gv-chart"),
            html.Div(id=ids.bad_totals if bad else ids.good_totals, className="lab-figure-note gv-totals"),
        ], className="lab-card gv-screen"),
    ]


# -- ✗ the anti-pattern: a module-level variable that one callback writes and others read ----------

selection = None  # {"fruit", "sales", "by"}: one copy per worker process, shared by all its users


def publish_copy() -> None:
    """Tell the page what this worker's copy of the global holds (the table of copies reads it)."""
    copies_for(get_settings()).publish(COPIES, os.getpid(), held(selection, time.time()))


@callback(
    Output({"type": ids.bad_loaded, "user": MATCH}, "children"),
    Input({"type": ids.pick, "user": MATCH}, "value"),
    State({"type": ids.pick, "user": MATCH}, "id"),
)
def bad_load(fruit, picker):
    global selection  # the module-level variable above: `selection = None` at import
    if fruit is None:
        raise PreventUpdate  # the other learner has not picked yet
    selection = {"fruit": fruit, "sales": load_sales(fruit, "bad"), "by": visitor(picker["user"])}
    publish_copy()
    return [fruit_chip(fruit), " ", _("went into the global variable of worker"), " ", worker_chip(os.getpid())]


@callback(
    Output(ids.bad_chart_got, "children"),
    Output(ids.bad_chart, "figure"),
    Input({"type": ids.bad_loaded, "user": YOU}, "children"),
    Input(ids.measure, "value"),
    State({"type": ids.pick, "user": YOU}, "value"),
)
def bad_chart(_loaded, measure, picked):
    kept = selection  # whatever this worker's copy holds right now
    publish_copy()
    return got_line(N_("Chart"), picked, kept, "global"), sales_figure(kept, measure)


@callback(
    Output(ids.bad_totals_got, "children"),
    Output(ids.bad_totals, "children"),
    Input({"type": ids.bad_loaded, "user": YOU}, "children"),
    Input(ids.measure, "value"),
    State({"type": ids.pick, "user": YOU}, "value"),
)
def bad_totals(_loaded, measure, picked):
    kept = selection
    publish_copy()
    return got_line(N_("Totals"), picked, kept, "global"), totals_text(kept, measure)


# -- ✓ the fix: each user's data stays with that user, in a dcc.Store ------------------------------


@callback(
    Output({"type": ids.good_store, "user": MATCH}, "data"),
    Output({"type": ids.good_loaded, "user": MATCH}, "children"),
    Input({"type": ids.pick, "user": MATCH}, "value"),
    State({"type": ids.pick, "user": MATCH}, "id"),
)
def good_load(fruit, picker):
    if fruit is None:
        raise PreventUpdate
    kept = {"fruit": fruit, "sales": load_sales(fruit, "good").to_dict("list")}
    where = (_("went into your own dcc.Store, in your browser") if picker["user"] == YOU
             else _("went into their own dcc.Store, in their browser"))
    return kept, [fruit_chip(fruit), " ", where]


@callback(
    Output(ids.good_chart_got, "children"),
    Output(ids.good_chart, "figure"),
    Input({"type": ids.good_store, "user": YOU}, "data"),
    Input(ids.measure, "value"),
    State({"type": ids.pick, "user": YOU}, "value"),
)
def good_chart(kept, measure, picked):
    if kept is None:
        raise PreventUpdate
    kept = {**kept, "sales": pd.DataFrame(kept["sales"])}  # sent by your browser with this request
    return got_line(N_("Chart"), picked, kept, "store"), sales_figure(kept, measure)


@callback(
    Output(ids.good_totals_got, "children"),
    Output(ids.good_totals, "children"),
    Input({"type": ids.good_store, "user": YOU}, "data"),
    Input(ids.measure, "value"),
    State({"type": ids.pick, "user": YOU}, "value"),
)
def good_totals(kept, measure, picked):
    if kept is None:
        raise PreventUpdate
    kept = {**kept, "sales": pd.DataFrame(kept["sales"])}
    return got_line(N_("Totals"), picked, kept, "store"), totals_text(kept, measure)


# -- every worker's own copy (its refresh is not part of either demo: no meter counts it) ---------


@callback(Output(ids.copies_table, "children"), Input(ids.copies_tick, "n_intervals"))
def refresh_copies(_n):
    publish_copy()  # the worker answering this refresh reports its own copy too
    live = server_info()["workers"]
    rows = copy_rows(live, copies_for(get_settings()).read(COPIES, live), current_session(), time.time())
    return copies_view(rows, live)


clientside_callback(  # the worker count, and which experiment fits it (assets/global-variable.js)
    ClientsideFunction("global_variable", "experiments"),
    Output(ids.copies_workers, "children"),
    Output(ids.experiment_one, "className"),
    Output(ids.experiment_many, "className"),
    Input(shell_ids.SNAPSHOT, "data"),
)

clientside_callback(
    ClientsideFunction("global_variable", "picked"),
    Output(ids.picked_bad, "children"),
    Output(ids.picked_good, "children"),
    Input({"type": ids.pick, "user": YOU}, "value"),
)
