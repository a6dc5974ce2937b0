"""Lesson 1: why share state between callbacks.

One callback with several outputs runs its expensive step once and fills every output: right when
all outputs depend on the same inputs. When inputs are independent (a date that needs a download,
a unit that only needs a conversion), it re-runs the download when only the unit changes. The fix
is two callbacks: one downloads and writes a dcc.Store, the other converts units from the store.
"""

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html, no_update

from components.code_view import create_code_view
from components.lesson import explain, lesson_layout, side_by_side, toggle
from components.workshop import Answer, Question
from components.meters import MeterPanel
from components.timeline import Timeline
from lab.datasets import WEATHER_CITY
from lab.i18n import N_, _, day, later
from lab.schema import accepts, list_of, nullable, number, one_of, record, whole
from lab.why_share_state import DAYS, PATTERN, UNITS, download_weather, summary, weather_figure

dash.register_page(
    __name__, path="/why-share-state", name=N_("Why share state"), order=1, lesson=1, nav_label=N_("Why share"),
    pattern=PATTERN, title=later("Why share state between callbacks"),
    description=N_("One callback with several outputs downloads again when only the unit changes; "
                   "a download callback and a display callback don't."),
)


class ids:
    day = f"{PATTERN}-day"
    unit = f"{PATTERN}-unit"
    left_graph = f"{PATTERN}-left-graph"
    left_summary = f"{PATTERN}-left-summary"
    right_store = f"{PATTERN}-right-store"
    right_graph = f"{PATTERN}-right-graph"
    right_summary = f"{PATTERN}-right-summary"


accepts({
    (ids.day, "value"): one_of(*(d.isoformat() for d in DAYS)),
    (ids.unit, "value"): one_of(*UNITS),
    (ids.right_store, "data"): nullable(record(hour=list_of(whole(0, 23), 24, 24),
                                               temp_c=list_of(number(-100, 100), 24, 24))),
})


def layout(**_kwargs):
    return lesson_layout(
        __name__,
        question=_("One expensive step, several outputs: one callback or two?"),
        lead=_("The %(city)s temperature for a date needs a slow download; the unit only needs a conversion. Both "
               "versions below show the same chart. Count the downloads.", city=WEATHER_CITY),
        why=_("a callback runs all of its work whenever any of its inputs changes, so work that only some "
              "inputs need belongs in a callback of its own."),
        cards=[explain(_("Several outputs, one callback"),
                       _("A callback with several outputs runs its expensive step once and fills them all: a graph "
                         "and a table from one query, for instance. That is right when every output needs the step "
                         "every time.")),
               explain(_("Independent inputs, separate callbacks"),
                       _("Here the inputs are independent: the date needs a download, the unit does not. Split the "
                         "work: one callback downloads and keeps the result in a dcc.Store; another converts units "
                         "from the store, for free."))],
        try_steps=[(_("Switch the unit between °C and °F, twice."),
                    _("“Downloads” goes up on the left every time, and stays put on the right.")),
                   (_("Pick another date."),
                    _("both sides download once; the timeline shows each side's callbacks on the workers.")),
                   (_("Open the per-callback table under each meter."),
                    _("the right side's display callback answers in milliseconds: it never downloads."))],
        demo=[
            html.Div([
                html.Div([html.Label(_("Date"), htmlFor=ids.day),
                          dbc.Select(id=ids.day, options=[{"label": day(d), "value": d.isoformat()} for d in DAYS],
                                     value=DAYS[0].isoformat(), style={"minWidth": "15rem"})]),
                html.Div([html.Div(_("Unit"), id=f"{ids.unit}-label", className="lab-label"),
                          html.Div(toggle(ids.unit, UNITS, "C"), role="group", **{"aria-labelledby": f"{ids.unit}-label"})]),
                html.Div([_("Now change only the unit and watch the two download counters.")],
                         className="lab-figure-note"),
            ], className="lab-card lab-controls"),
            html.Div(dcc.Store(id=ids.right_store)),
            html.Div(side_by_side(
                _side("left", ids.left_graph, ids.left_summary, _("Meters: one callback")),
                _side("right", ids.right_graph, ids.right_summary, _("Meters: download + display")),
                _("One callback, two outputs: downloads on every change"),
                _("Download callback + display callback: downloads only for a new date"),
            ), className="mt-3"),
        ],
        timeline=Timeline(PATTERN),
        code=create_code_view(left_update, right_download, right_display, download_weather, open=True),
        takeaways=[
            _("Several outputs in one callback are right when they all need the expensive step every time."),
            _("When inputs are independent, split the callbacks: the expensive one writes a dcc.Store, cheap ones "
              "read it."),
            _("The store lives in the browser: its JSON goes down once, and up again with every callback that "
              "reads it. Lesson 3 measures that cost."),
        ],
        check=[
            Question(_("A callback has two outputs and two inputs, date and unit. You change only the unit. What "
                       "runs?"), (
                Answer(_("The whole callback, its download included."), True,
                       _("Dash calls the function whenever any input changes; it cannot run half of it.")),
                Answer(_("Only the part that uses the unit."), False,
                       _("Dash has no idea which lines use which input: it calls the whole function.")),
                Answer(_("Nothing: Dash remembers the last result."), False,
                       _("Dash keeps no results between calls; that is exactly the lab's topic.")))),
            Question(_("After the split, where does the downloaded data wait for the display callback?"), (
                Answer(_("In a dcc.Store, in the user's browser."), True,
                       _("The download callback returns it into the store; the display callback reads it as an "
                         "input, sent up with the request.")),
                Answer(_("In the worker that downloaded it."), False,
                       _("The display callback may run on any worker: nothing stays behind in a worker's memory.")),
                Answer(_("In a global variable of the page module."), False,
                       _("A global would be one copy per worker, shared by every user: lesson 2 shows the result.")))),
            Question(_("When is one callback with several outputs the right choice?"), (
                Answer(_("When every output needs the expensive step every time an input changes."), True,
                       _("Then one run fills everything, and splitting would only add requests.")),
                Answer(_("Always: fewer callbacks are always faster."), False,
                       _("Not when an input needs only part of the work: lesson 1's unit change downloads for "
                         "nothing.")),
                Answer(_("Never: each output deserves its own callback."), False,
                       _("Several callbacks that each redo the same expensive step cost more, not less.")))),
        ],
    )


def _side(side: str, graph_id: str, summary_id: str, title: str):
    return [
        MeterPanel(PATTERN, scope=f"{PATTERN}-{side}", steps=[f"{side}-download"], title=title,
                   step_label=_("Downloads")),
        html.Div([dcc.Graph(id=graph_id, config={"displayModeBar": False}),
                  html.Div(id=summary_id, className="lab-figure-note px-2 pb-2")], className="lab-graph"),
    ]


# -- left: one callback with several outputs --------------------------------------------------------


@callback(
    Output(ids.left_graph, "figure"),
    Output(ids.left_summary, "children"),
    Input(ids.day, "value"),
    Input(ids.unit, "value"),
)
def left_update(day, unit):
    weather = download_weather(day, "left")  # runs on every change, even a unit-only one
    return weather_figure(weather, unit), summary(weather, unit)


# -- right: a download callback and a display callback sharing a dcc.Store -----------------------


@callback(Output(ids.right_store, "data"), Input(ids.day, "value"))
def right_download(day):
    return download_weather(day, "right").to_dict("list")  # only when the date changes


@callback(
    Output(ids.right_graph, "figure"),
    Output(ids.right_summary, "children"),
    Input(ids.right_store, "data"),
    Input(ids.unit, "value"),
)
def right_display(data, unit):
    if data is None:
        return no_update, no_update
    weather = pd.DataFrame(data)  # no download: the data comes from the store
    return weather_figure(weather, unit), summary(weather, unit)
