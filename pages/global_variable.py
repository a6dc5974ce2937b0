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
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import MATCH, Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from components import ids as shell_ids
from components.code_view import create_code_view
from components.lesson import explain, lesson_header, section, side_by_side, takeaways
from components.meters import MeterPanel
from components.timeline import Timeline
from lab.datasets import FRUITS
from lab.instrument import current_session, expensive_step, simulate_work
from lab.metrics import store_for
from lab.sales import clean_sales, monthly_sales
from lab.settings import get_settings
from lab.workers import server_info

PATTERN = "global-variable"

dash.register_page(
    __name__, path="/global-variable", name="The global-variable trap", order=2, lesson=2, nav_label="Globals",
    pattern=PATTERN, title="Why global variables break a Dash app",
    description="A module-level variable is one copy per worker, shared by every user it serves: another "
                "user's choice leaks into your view, and answers jump between copies. A dcc.Store doesn't.",
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


YOU, OTHER = "you", "other"
ROWS = 20_000  # the sales table a load reads (its monthly totals are what the callbacks share)
MEASURES = {"revenue": "Revenue", "units": "Units"}
FRUIT_COLORS = {"apples": "#dc2626", "oranges": "#ea580c", "figs": "#7c3aed", "pineapples": "#a16207"}
PALETTE = ["#4f46e5", "#0891b2", "#16a34a", "#d97706", "#db2777", "#7c3aed", "#0d9488", "#ea580c",
           "#2563eb", "#65a30d", "#be123c", "#0369a1"]  # the worker strip's colours (assets/lab.js)
COPIES_REFRESH_MS = 2000


# -- plain functions (unit-tested) ---------------------------------------------------------------


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
        return "nobody"
    if by.get("session") == viewer:
        return "you" if by.get("user") == YOU else "the other learner (the button)"
    return "someone in another tab or browser"


def judge(picked: str | None, kept: dict | None) -> bool:
    """A reader's answer is right when it was drawn from the fruit you picked."""
    return bool(kept) and kept.get("fruit") == picked


def copy_name() -> str:
    """The shared-store key under which workers publish their copy of the global.

    Keyed by the gunicorn master, so a restarted lab never shows the previous run's copies."""
    return f"{PATTERN}:selection:{server_info()['master_pid'] or 'single'}"


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


def worker_color(pid: int, live: list[int]) -> str:
    return PALETTE[live.index(pid) % len(PALETTE)] if pid in live else "#9ca3af"


def fruit_chip(fruit: str | None) -> html.Span:
    if not fruit:
        return html.Span("empty", className="gv-fruit gv-fruit-empty")
    return html.Span(fruit, className=f"gv-fruit gv-fruit-{fruit}")


def pid_chip(pid: int, live: list[int]) -> html.Span:
    return html.Span(str(pid), className="lab-chip", style={"background": worker_color(pid, live)},
                     title=f"worker process {pid}")


def got_line(what: str, picked: str | None, kept: dict | None, source: str) -> html.Div:
    """One row of "what you expected, what you got": the fruit a reader drew and where it came from."""
    pid, live = os.getpid(), server_info()["workers"]
    right = judge(picked, kept)
    fruit = kept.get("fruit") if kept else None
    chip = pid_chip(pid, live)
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
        [html.Span(what, className="gv-got-label"), fruit_chip(fruit),
         html.Span(where, className="gv-got-where"),
         html.Span("✓" if right else "✗", className=f"gv-mark {'gv-mark-good' if right else 'gv-mark-bad'}")],
        className=f"gv-got {'gv-got-right' if right else 'gv-got-wrong'}",
        **{"data-fruit": fruit or "", "data-pid": str(pid), "data-right": "yes" if right else "no"},
    )


def sales_figure(kept: dict | None, measure: str) -> go.Figure:
    """Monthly bars of the kept fruit, or an empty chart saying the copy is empty."""
    figure = go.Figure()
    if kept:
        sales = kept["sales"]
        figure.add_bar(x=list(sales["month"]), y=list(sales[measure]), marker_color=FRUIT_COLORS[kept["fruit"]],
                       hovertemplate="%{x}: %{y:,}<extra></extra>")
        title = f"{kept['fruit']} · {MEASURES[measure].lower()} per month"
    else:
        figure.add_annotation(text="This worker's copy is empty", showarrow=False, xref="paper", yref="paper",
                              x=0.5, y=0.5, font={"size": 16, "color": "#5b6477"})
        title = ""
    figure.update_layout(template="none", height=230, margin={"l": 60, "r": 10, "t": 34, "b": 30},
                         title={"text": title, "font": {"size": 15}, "x": 0.01},
                         plot_bgcolor="#fbfcfe", paper_bgcolor="rgba(0,0,0,0)",
                         font={"family": "system-ui, sans-serif", "color": "#1d2433"},
                         xaxis={"showgrid": False, "visible": bool(kept)},
                         yaxis={"gridcolor": "#e3e7f0", "visible": bool(kept), "tickformat": ","})
    return figure


def totals_text(kept: dict | None, measure: str) -> str:
    if not kept:
        return "Nothing to add up: this worker's copy is empty."
    sales = kept["sales"]
    values = list(sales[measure])
    best = max(range(len(values)), key=values.__getitem__)
    return (f"{kept['fruit']}: {MEASURES[measure].lower()} for the year {sum(values):,.0f} · "
            f"best month {sales['month'][best]} ({values[best]:,.0f})")


def publish_copy() -> None:
    """Tell the page what this worker's copy of the global holds (the table of copies reads it)."""
    held = {"fruit": selection["fruit"], "by": selection["by"]} if selection else {"fruit": None, "by": None}
    store_for(get_settings()).set_worker_value(copy_name(), os.getpid(), {**held, "at": time.time()})


# -- ✗ the anti-pattern: a module-level variable that one callback writes and others read ----------

selection = None  # {"fruit", "sales", "by"}: one copy per worker process, shared by all its users


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
    return [fruit_chip(fruit), " went into worker ", pid_chip(os.getpid(), server_info()["workers"]),
            "'s global variable"]


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
    return got_line("Chart", picked, kept, "global"), sales_figure(kept, measure)


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
    return got_line("Totals", picked, kept, "global"), totals_text(kept, measure)


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
    whose = "your" if picker["user"] == YOU else "their"
    return kept, [fruit_chip(fruit), f" went into {whose} own dcc.Store, in {whose} browser"]


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
    return got_line("Chart", picked, kept, "store"), sales_figure(kept, measure)


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
    return got_line("Totals", picked, kept, "store"), totals_text(kept, measure)


# -- every worker's own copy (its refresh is not part of either demo: no meter counts it) ---------


def copies_view(rows: list[dict], live: list[int]) -> html.Div:
    body = []
    for row in rows:
        if not row["reported"]:
            held, owner, age = html.Span("not reported yet", className="lab-muted"), "", ""
        else:
            held = fruit_chip(row["fruit"])
            owner = row["owner"] or "nobody has loaded a fruit on this worker"
            age = f"{row['age']:.0f} s ago"
        body.append(html.Tr([html.Td(pid_chip(row["pid"], live)), html.Td(held), html.Td(owner),
                             html.Td(age, className="lab-muted")]))
    reported = [row for row in rows if row["reported"]]
    distinct = distinct_values(rows)
    if len(live) == 1:
        summary = "One worker, one copy: every user of this app reads and overwrites the same value."
    elif len(reported) < 2:
        summary = "Waiting for more workers to serve this page and report their copy…"
    elif distinct > 1:
        summary = f"{distinct} different values across {len(reported)} workers: which one you get depends on " \
                  "which worker answers."
    else:
        summary = "Every reporting worker holds the same value right now: pick another fruit and look again."
    return html.Div([
        html.Table([html.Thead(html.Tr([html.Th("Worker"), html.Th("Its copy holds"), html.Th("Put there by"),
                                        html.Th("Reported")])), html.Tbody(body)],
                   className="table table-sm gv-copies-table"),
        html.Div(summary, className=f"gv-copies-summary {'gv-copies-split' if distinct > 1 else ''}"),
    ])


@callback(Output(ids.copies_table, "children"), Input(ids.copies_tick, "n_intervals"))
def refresh_copies(_n):
    publish_copy()  # the worker answering this refresh reports its own copy too
    live = server_info()["workers"]
    copies = store_for(get_settings()).worker_values(copy_name())
    return copies_view(copy_rows(live, copies, current_session(), time.time()), live)


# Browser-side only (no request): the worker count and which experiment fits it, from the
# snapshot the shell already fetches once a second.
clientside_callback(
    """function (snapshot) {
        var health = (snapshot && snapshot.health) || {};
        var n = (health.workers || []).length;
        var text = health.server === "gunicorn"
            ? n + (n === 1 ? " worker is" : " workers are") + " live now."
            : "One process (dev server): start with python app.py --workers 4 to see several copies.";
        var on = "lab-card gv-experiment gv-experiment-on", off = "lab-card gv-experiment";
        return [text, n === 1 ? on : off, n > 1 ? on : off];
    }""",
    Output(ids.copies_workers, "children"),
    Output(ids.experiment_one, "className"),
    Output(ids.experiment_many, "className"),
    Input(shell_ids.SNAPSHOT, "data"),
)

clientside_callback(
    """function (fruit) {
        var chip = function () {
            return fruit ? {type: "Span", namespace: "dash_html_components",
                            props: {children: fruit, className: "gv-fruit gv-fruit-" + fruit}} : null;
        };
        return [chip(), chip()];
    }""",
    Output(ids.picked_bad, "children"),
    Output(ids.picked_good, "children"),
    Input({"type": ids.pick, "user": YOU}, "value"),
)


# -- layout -------------------------------------------------------------------------------------------


def _fruit_picker(user: str, value: str | None) -> dbc.RadioItems:
    return dbc.RadioItems(
        id={"type": ids.pick, "user": user}, value=value,
        options=[{"label": fruit, "value": fruit} for fruit in FRUITS],
        inline=True, className="btn-group lab-toggle gv-picker", inputClassName="btn-check",
        labelClassName="btn btn-outline-primary", labelCheckedClassName="active",
    )


def _controls():
    you = html.Div(
        [
            html.Div("You", className="gv-user-title"),
            html.Label("Pick a fruit (a slow load: both versions run it)"),
            _fruit_picker(YOU, FRUITS[0]),
            html.Label("Then show", className="mt-2"),
            dbc.RadioItems(id=ids.measure, value="revenue",
                           options=[{"label": label, "value": value} for value, label in MEASURES.items()],
                           inline=True, className="btn-group lab-toggle", inputClassName="btn-check",
                           labelClassName="btn btn-outline-primary", labelCheckedClassName="active"),
            html.Div("Switching what to show only re-runs the readers: they read what the load kept.",
                     className="lab-figure-note mt-1"),
        ],
        className="lab-card gv-user",
    )
    other = html.Div(
        [
            html.Div("Act as another learner", className="gv-user-title gv-user-other"),
            html.Label("They pick a fruit in their own browser (the same callbacks, another user)"),
            _fruit_picker(OTHER, None),
            html.Div([html.Div([html.Span("✗", className="gv-mark gv-mark-bad"),
                                html.Span("Global variable: they have not picked yet.",
                                          id={"type": ids.bad_loaded, "user": OTHER})], className="gv-loaded"),
                      html.Div([html.Span("✓", className="gv-mark gv-mark-good"),
                                html.Span("dcc.Store: they have not picked yet.",
                                          id={"type": ids.good_loaded, "user": OTHER})], className="gv-loaded")],
                     className="mt-2"),
            dcc.Store(id={"type": ids.good_store, "user": OTHER}),
        ],
        className="lab-card gv-user",
    )
    return dbc.Row([dbc.Col(you, lg=6), dbc.Col(other, lg=6)], className="g-3")


def _experiments():
    return html.Div(
        [
            html.Div([html.Span("Workers", className="gv-workers-label"), html.Span(id=ids.copies_workers)],
                     className="gv-workers"),
            dbc.Row([
                dbc.Col(html.Div([
                    html.H3("With 1 worker: another user's choice leaks into yours"),
                    html.Ol([html.Li(["Press ", html.Strong("−"), " in the strip under the navbar until 1 worker "
                                      "is live (on a shared lab, the instructor does it)."]),
                             html.Li("As the other learner, pick a different fruit."),
                             html.Li("Now switch your own Revenue / Units: the global side draws their fruit.")]),
                ], id=ids.experiment_one, className="lab-card gv-experiment"), md=6),
                dbc.Col(html.Div([
                    html.H3("With several workers: answers jump between copies"),
                    html.Ol([html.Li(["Press ", html.Strong("+"), " until 4 workers are live."]),
                             html.Li("Switch Revenue / Units a few times, or pick again."),
                             html.Li("Watch which worker answers each reader: its copy, not yours, decides "
                                     "what you see. Some copies are empty.")]),
                ], id=ids.experiment_many, className="lab-card gv-experiment"), md=6),
            ], className="g-3"),
        ],
        className="gv-experiments",
    )


def _side(side: str, title: str):
    chart, chart_got, totals, totals_got, loaded = (
        (ids.bad_chart, ids.bad_chart_got, ids.bad_totals, ids.bad_totals_got, ids.bad_loaded) if side == "bad"
        else (ids.good_chart, ids.good_chart_got, ids.good_totals, ids.good_totals_got, ids.good_loaded))
    return [
        MeterPanel(PATTERN, scope=f"{PATTERN}-demo-{side}", steps=[f"{side}-load"], title=title,
                   step_label="Loads ran"),
        html.Div(
            [
                html.Div([html.Span("Your last load", className="gv-got-label"),
                          html.Span("loading…", id={"type": loaded, "user": YOU})],
                         className="gv-loaded gv-loaded-you"),
                html.Div([html.Span("You picked", className="gv-got-label"),
                          html.Span(id=ids.picked_bad if side == "bad" else ids.picked_good),
                          html.Span("what you expect every reader to show", className="gv-got-where")],
                         className="gv-got gv-got-expected"),
                html.Div(id=chart_got, className="gv-got-slot"),
                html.Div(id=totals_got, className="gv-got-slot"),
                dcc.Graph(id=chart, config={"displayModeBar": False}, className="gv-chart"),
                html.Div(id=totals, className="lab-figure-note gv-totals"),
            ],
            className="lab-card gv-screen",
        ),
    ]


def layout(**_kwargs):
    return html.Div(
        [
            lesson_header(__name__, "A global variable works on your laptop. Then two people use it.",
                          ["A load callback keeps a fruit's sales for two reader callbacks, a chart and the totals. "
                           "On the left it keeps them in a module-level variable; on the right, in a ",
                           html.Code("dcc.Store"), ". Pick, act as another learner, and compare what each "
                           "side shows with what you picked."]),
            dbc.Row([
                dbc.Col(explain("Each process has its own memory",
                                ["gunicorn runs your app as several worker processes. A module-level variable "
                                 "exists once per process: when a callback reassigns it, only the copy inside "
                                 "the worker that ran the callback changes. And every user served by that worker "
                                 "shares that copy."]), md=6),
                dbc.Col(explain("Any worker may serve any request",
                                ["Dash is stateless: there is no link between a user and a worker. Your load can "
                                 "run on one worker and your chart on another, whose copy you never wrote. Data "
                                 "that callbacks share must live where every worker can reach it: in the browser "
                                 "(", html.Code("dcc.Store"), ") or in a shared server store keyed by user."]),
                        md=6),
            ], className="g-3"),
            section("Try both: one worker, then several"),
            _experiments(),
            html.Div(_controls(), className="mt-3"),
            html.Div(side_by_side(
                _side("bad", "Meters: global variable"),
                _side("good", "Meters: dcc.Store per user"),
                "A module-level variable: one copy per worker, shared by all its users",
                "A dcc.Store per user: your data travels with your requests",
            ), className="mt-3"),
            dcc.Store(id={"type": ids.good_store, "user": YOU}),
            section("Every worker's own copy of the global"),
            html.Div(
                [
                    html.P(["Each worker publishes what its copy of ", html.Code("selection"), " holds whenever it "
                            "serves this page (through the lab's shared store, which is how a page can see "
                            "inside other processes at all). A worker that has not served this page yet has "
                            "not reported."], className="lab-muted"),
                    html.Div(id=ids.copies_table),
                    dcc.Interval(id=ids.copies_tick, interval=COPIES_REFRESH_MS),
                ],
                className="lab-card",
            ),
            html.Div(Timeline(PATTERN, scope=f"{PATTERN}-demo"), className="mt-3"),
            section("The code"),
            create_code_view(bad_load, bad_chart, good_load, good_chart, load_sales, open=True),
            html.Div(takeaways(
                "A module-level variable lives in one worker process. Reassigning it changes that worker's copy "
                "only, and every user served by that worker sees the change.",
                "With one worker, users overwrite each other's data. With several, each request reads whatever "
                "copy its worker happens to hold, including an empty one.",
                ["Keep per-user data with the user: return it into a ", html.Code("dcc.Store"), " and read it "
                 "as an Input or State (lesson 3 measures what that costs), or keep it in a shared server store "
                 "keyed by session (lessons 5 and 6)."],
                "Module-level data is safe only when nobody writes it after start-up: read-only lookup tables, "
                "constants, configuration.",
            ), className="mt-3"),
        ],
        id=PATTERN,
    )
