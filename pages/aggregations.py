"""Lesson 4: compute aggregations upfront (the reference's Example 2, done right).

Three graphs each draw 48 numbers: one fruit's revenue per month and region. Feeding them the
whole cleaned table through a dcc.Store means every graph callback uploads every row. The
reference's own variant filters a subset per graph upfront, but packs all the subsets into one
store that every graph still receives, as JSON inside JSON: it barely helps. Computing what each
graph draws in the expensive callback, and sending only that, gives the same figures for a
thousandth of the bytes. Every number on the page is measured on the wire.
"""

from __future__ import annotations

import io
import json

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html

from components import ids as shell_ids
from components.code_view import create_code_view
from components.aggregations_views import self_check_questions
from components.lesson import explain, lesson_layout, section, toggle, verdict
from components.meters import MeterPanel
from components.timeline import Timeline
from lab.aggregations import (DEFAULT_ROWS, GRAPH_FRUITS, MODE_LABELS, MODES, PATTERN, SIZES, clean_step, drawn,
                              receipt, revenue_figure)
from lab.datasets import REGIONS
from lab.i18n import N_, _, decimal, later
from lab.instrument import MAX_BODY_BYTES, timed
from lab.sales import COLUMNS, from_records, monthly_revenue_by_region, to_records
from lab.schema import accepts, list_of, number, one_of, record, records, refusing, text, whole
from lab.style import REGIONS as REGION_COLORS

dash.register_page(
    __name__, path="/aggregations", name=N_("Compute aggregations upfront"), order=4, lesson=4,
    nav_label=N_("Aggregate"), pattern=PATTERN, title=later("Compute aggregations upfront"),
    description=N_("Same three figures, fed the whole table, the reference's filtered subsets, or only the numbers "
                   "they draw: the bytes differ by three orders of magnitude."),
)


class ids:
    mode = f"{PATTERN}-mode"
    rows = f"{PATTERN}-rows"
    trigger = {m: f"{PATTERN}-{m}-trigger" for m in MODES}  # set in the browser: only the chosen mode runs
    receipt = {m: f"{PATTERN}-{m}-receipt" for m in MODES}  # each step's first output: its meters' scope
    full_store = f"{PATTERN}-full-store"
    subsets_store = f"{PATTERN}-subsets-store"
    aggregates_store = f"{PATTERN}-aggregates-store"  # {"type": ..., "fruit": f}: one small store per graph
    drawn = {m: f"{PATTERN}-{m}-drawn" for m in MODES}  # {"type": ..., "fruit": f}: what each reader drew
    graph = f"{PATTERN}-graph"  # {"type": ..., "fruit": f}: the same three graphs in every mode
    compare = f"{PATTERN}-compare"


_TRIGGER = record(rows=one_of(*SIZES), at=number(0, 1e14))
accepts({
    **{(ids.trigger[m], "data"): _TRIGGER for m in MODES},
    # The stores fire their readers only once a step has filled them: never empty.
    (ids.full_store, "data"): records(COLUMNS, max(SIZES)),
    (ids.subsets_store, "data"): text(MAX_BODY_BYTES),  # JSON text inside JSON: read in the callback
    (ids.aggregates_store, "data"): record(**{r: list_of(whole(0, 10**12), 12, 12) for r in REGIONS}),
    (ids.graph, "id"): record(type=one_of(ids.graph), fruit=one_of(*GRAPH_FRUITS)),
})


def layout(**_kwargs):
    return lesson_layout(
        __name__,
        question=_("Send what the graphs draw, not the data they were drawn from."),
        lead=_("Three graphs, each of one fruit's revenue per month and region: 48 numbers each. The expensive "
               "callback can send them the whole table, the reference's filtered subsets, or just those numbers. "
               "Switch, and compare the figures and the bytes."),
        why=_("the bytes a callback moves depend on what you send, not on what the graph shows: send the numbers "
              "it draws and the table never travels."),
        cards=[explain(_("The graphs need little; the data is big"),
                       _("A chart of 12 months × 4 regions needs 48 numbers, whether it summarises 5,000 rows or "
                         "100,000. Sending the rows means every graph callback uploads all of them and adds them up "
                         "again.")),
               explain(_("The reference's variant barely helps"),
                       _("It filters a subset per graph upfront, then packs every subset into one store as JSON text "
                         "inside JSON. Each graph still receives all the subsets, which together are most of the "
                         "rows, and the text is escaped again on every trip.")),
               explain(_("Aggregate upfront"),
                       _("Let the expensive callback compute what each graph draws, and send only that, one small "
                         "store per graph. Same figures, a thousandth of the traffic, and the graph callbacks have "
                         "nothing left to compute."))],
        try_steps=[(_("With 100,000 rows, choose “Send the data”, then “Send aggregates”."),
                    _("the table shows the same figures (✓ identical) for about a thousand times fewer bytes.")),
                   (_("Choose “Filtered subsets (the reference)”."),
                    _("it sends more than the data: every graph still receives every subset.")),
                   (_("Change the number of rows with aggregates chosen."),
                    _("the bytes barely move: 48 numbers per graph whatever the size."))],
        demo=[
            html.Div([html.Div([html.Div(_("What the expensive callback sends"), id=f"{ids.mode}-label",
                                         className="lab-label"),
                                html.Div(toggle(ids.mode, {m: _(label) for m, label in MODE_LABELS.items()}, "full",
                                                "ag-mode"), role="group", **{"aria-labelledby": f"{ids.mode}-label"})]),
                      html.Div([html.Div(_("Rows in the cleaned table"), id=f"{ids.rows}-label", className="lab-label"),
                                html.Div(toggle(ids.rows, {n: decimal(n) for n in SIZES}, DEFAULT_ROWS, "ag-rows"),
                                         role="group", **{"aria-labelledby": f"{ids.rows}-label"})])],
                     className="lab-card lab-controls"),
            html.Div(_graphs(), className="mt-3"),
            section(_("What travelled (measured on the wire)")),
            html.Div(html.Div(id=ids.compare), className="lab-card ag-compare"),
            html.Div(_meters(), className="mt-3"),
        ],
        timeline=Timeline(PATTERN),
        code=[create_code_view(send_full, draw_from_rows, send_subsets, draw_from_subsets, send_aggregates,
                               draw_from_aggregates, open=True),
              html.Div(create_code_view(monthly_revenue_by_region, title=_("The aggregation every mode computes")),
                       className="mt-2")],
        takeaways=[
            _("If a callback only shows a summary, compute the summary in the expensive callback and send that: the "
              "bytes depend on what is drawn, not on the size of the data."),
            _("Filtering upfront is not enough when every graph still receives every subset; and JSON text stored "
              "inside JSON is escaped again on every trip."),
            _("Give each graph its own small store: a callback uploads only the inputs it declares."),
            _("Same figures in every mode: compare the fingerprints in the table above."),
        ],
        check=self_check_questions(),
    )


def _graphs():
    legend = html.Div([html.Span(_("Regions"), className="ag-legend-title")] +
                      [html.Span([html.Span(className="ag-swatch", style={"background": color}), _(region)],
                                 className="ag-legend-item") for region, color in REGION_COLORS.items()],
                      className="ag-legend")
    graphs = dbc.Row([dbc.Col(html.Div(dcc.Graph(id={"type": ids.graph, "fruit": fruit},
                                                 config={"displayModeBar": False}), className="lab-graph"), md=4)
                      for fruit in GRAPH_FRUITS], className="g-3")
    stores = ([dcc.Store(id=ids.trigger[m]) for m in MODES] + [dcc.Store(id=ids.receipt[m]) for m in MODES]
              + [dcc.Store(id=ids.full_store), dcc.Store(id=ids.subsets_store)]
              + [dcc.Store(id={"type": ids.aggregates_store, "fruit": f}) for f in GRAPH_FRUITS]
              + [dcc.Store(id={"type": ids.drawn[m], "fruit": f}) for m in MODES for f in GRAPH_FRUITS])
    return html.Div([legend, graphs, html.Div(stores)])


def _meters():
    good = {"full": False, "subsets": False, "aggregates": True}
    hints = {"full": _("every row goes down once, and up to each of the three graphs"),
             "subsets": _("a subset per graph, but every graph still receives all of them"),
             "aggregates": _("each graph receives only the 48 numbers it draws")}
    return dbc.Row([dbc.Col(html.Div([verdict(good[m], _(MODE_LABELS[m])),
                                      html.Div(hints[m], className="lab-figure-note px-1"),
                                      MeterPanel(PATTERN, scope=f"{PATTERN}-{m}", steps=[m],
                                                 title=_("Meters: %(mode)s", mode=_(MODE_LABELS[m]).lower()),
                                                 step_label=_("Clean step ran"))], className="lab-side"), lg=4)
                    for m in MODES], className="g-3")


# -- 1. send the data: the whole cleaned table goes to the browser, and up to every graph ----------


@callback(
    Output(ids.receipt["full"], "data"),
    Output(ids.full_store, "data"),
    Input(ids.trigger["full"], "data"),
    prevent_initial_call=True,
)
def send_full(trigger):
    cleaned = clean_step(trigger["rows"], "full")
    with timed("serialize"):
        table = to_records(cleaned)  # every row, every column
    return receipt(trigger, "full", len(cleaned), {"store": table}), table


@callback(
    Output({"type": ids.drawn["full"], "fruit": MATCH}, "data"),
    Output({"type": ids.graph, "fruit": MATCH}, "figure", allow_duplicate=True),
    Input(ids.full_store, "data"),
    State({"type": ids.graph, "fruit": MATCH}, "id"),
    prevent_initial_call=True,
)
def draw_from_rows(table, me):
    with timed("parse"), refusing(ValueError, TypeError, what="the table"):
        sales = from_records(table)  # the whole table came up with this request
        numbers = monthly_revenue_by_region(sales, me["fruit"])
    return drawn(numbers), revenue_figure(me["fruit"], numbers)


# -- 2. the reference's variant: a filtered subset per graph, all packed into one store -----------


@callback(
    Output(ids.receipt["subsets"], "data"),
    Output(ids.subsets_store, "data"),
    Input(ids.trigger["subsets"], "data"),
    prevent_initial_call=True,
)
def send_subsets(trigger):
    cleaned = clean_step(trigger["rows"], "subsets")
    with timed("serialize"):
        datasets = {fruit: cleaned[cleaned["fruit"] == fruit].to_json(orient="split", date_format="iso")
                    for fruit in GRAPH_FRUITS}
        packed = json.dumps(datasets)  # JSON text inside JSON text, as in the reference
    return receipt(trigger, "subsets", len(cleaned), {"store": packed, **datasets}), packed


@callback(
    Output({"type": ids.drawn["subsets"], "fruit": MATCH}, "data"),
    Output({"type": ids.graph, "fruit": MATCH}, "figure", allow_duplicate=True),
    Input(ids.subsets_store, "data"),
    State({"type": ids.graph, "fruit": MATCH}, "id"),
    prevent_initial_call=True,
)
def draw_from_subsets(packed, me):
    with timed("parse"), refusing(ValueError, TypeError, KeyError, RecursionError, what="the subsets"):
        datasets = json.loads(packed)  # every subset came up, this graph uses one
        subset = pd.read_json(io.StringIO(datasets[me["fruit"]]), orient="split")
        numbers = monthly_revenue_by_region(subset, me["fruit"])
    return drawn(numbers), revenue_figure(me["fruit"], numbers)


# -- 3. send aggregates: compute what each graph draws, send only that ----------------------------


@callback(
    Output(ids.receipt["aggregates"], "data"),
    *[Output({"type": ids.aggregates_store, "fruit": fruit}, "data") for fruit in GRAPH_FRUITS],
    Input(ids.trigger["aggregates"], "data"),
    prevent_initial_call=True,
)
def send_aggregates(trigger):
    cleaned = clean_step(trigger["rows"], "aggregates")
    numbers = [monthly_revenue_by_region(cleaned, fruit) for fruit in GRAPH_FRUITS]  # 48 numbers each
    return receipt(trigger, "aggregates", len(cleaned), dict(zip(GRAPH_FRUITS, numbers, strict=True))), *numbers


@callback(
    Output({"type": ids.drawn["aggregates"], "fruit": MATCH}, "data"),
    Output({"type": ids.graph, "fruit": MATCH}, "figure", allow_duplicate=True),
    Input({"type": ids.aggregates_store, "fruit": MATCH}, "data"),
    State({"type": ids.graph, "fruit": MATCH}, "id"),
    prevent_initial_call=True,
)
def draw_from_aggregates(numbers, me):
    return drawn(numbers), revenue_figure(me["fruit"], numbers)  # nothing to parse or add up


# -- in the browser (assets/aggregations.js): which step runs, and what each mode sent -------------

clientside_callback(
    ClientsideFunction("aggregations", "trigger"),
    [Output(ids.trigger[m], "data") for m in MODES],
    Input(ids.mode, "value"),
    Input(ids.rows, "value"),
)

clientside_callback(
    ClientsideFunction("aggregations", "compare"),
    Output(ids.compare, "children"),
    Input(shell_ids.SNAPSHOT, "data"),
    *[Input(ids.receipt[m], "data") for m in MODES],
    *[Input({"type": ids.drawn[m], "fruit": dash.ALL}, "data") for m in MODES],
)
