"""Lesson 4: compute aggregations upfront (the reference's Example 2, done right).

Three graphs each draw 48 numbers: one fruit's revenue per month and region. Feeding them the
whole cleaned table through a dcc.Store means every graph callback uploads every row. The
reference's own variant filters a subset per graph upfront, but packs all the subsets into one
store that every graph still receives, as JSON inside JSON: it barely helps. Computing what each
graph draws in the expensive callback, and sending only that, gives the same figures for a
thousandth of the bytes. Every number on the page is measured on the wire.
"""

from __future__ import annotations

import hashlib
import io
import json
import time

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import MATCH, Input, Output, State, callback, clientside_callback, dcc, html

from components import ids as shell_ids
from components.code_view import create_code_view
from components.lesson import explain, lesson_header, section, takeaways, verdict
from components.meters import MeterPanel
from components.timeline import Timeline
from lab.datasets import REGIONS
from lab.instrument import expensive_step, simulate_work, timed
from lab.sales import MONTHS, clean_sales, from_records, monthly_revenue_by_region, to_records
from lab.sizes import json_size

PATTERN = "aggregations"

dash.register_page(
    __name__, path="/aggregations", name="Compute aggregations upfront", order=4, lesson=4, nav_label="Aggregate",
    pattern=PATTERN, title="Compute aggregations upfront",
    description="Same three figures, fed the whole table, the reference's filtered subsets, or only the numbers "
                "they draw: the bytes differ by three orders of magnitude.",
)

MODES = ("full", "subsets", "aggregates")
MODE_LABELS = {"full": "Send the data", "subsets": "Filtered subsets (the reference)",
               "aggregates": "Send aggregates"}
GRAPH_FRUITS = ["apples", "oranges", "figs"]  # the reference's three graphs
SIZES = [5_000, 20_000, 50_000, 100_000]
DEFAULT_ROWS = 100_000
REGION_COLORS = {"north": "#4f46e5", "south": "#0891b2", "east": "#16a34a", "west": "#d97706"}


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


# -- plain functions (unit-tested) ---------------------------------------------------------------


def clean_step(rows: int, mode: str) -> pd.DataFrame:
    """The expensive step every mode starts with: the cleaned sales table, slow on purpose, counted."""
    with expensive_step(PATTERN, mode):
        simulate_work()
        return clean_sales(rows)


def fingerprint(numbers: dict) -> str:
    """A short digest of what a graph drew: equal fingerprints, equal figures."""
    return hashlib.blake2b(json.dumps(numbers, sort_keys=True).encode(), digest_size=4).hexdigest()


def drawn(numbers: dict) -> dict:
    """What a reader reports about its graph: how many numbers it drew, and their fingerprint."""
    return {"values": sum(len(v) for v in numbers.values()), "fingerprint": fingerprint(numbers)}


def receipt(trigger: dict, mode: str, rows_kept: int, stored: dict) -> dict:
    """What a step sent: the size of each store it filled (JSON characters), and when it ran (the
    page finds this step's calls among the recorded ones by that time)."""
    return {"mode": mode, "rows": trigger["rows"], "rows_kept": rows_kept, "t": time.time(),
            "stores": {name: json_size(value) for name, value in stored.items()}}


def revenue_figure(fruit: str, numbers: dict[str, list[int]]) -> go.Figure:
    """Stacked monthly bars, one colour per region. Lean on purpose: no template, no legend (the page
    draws one), so the figure itself weighs little next to the data that fed it."""
    figure = go.Figure([go.Bar(name=region, x=MONTHS, y=numbers[region], marker_color=REGION_COLORS[region],
                               hovertemplate=region + " · %{x}: %{y:,}<extra></extra>") for region in REGIONS])
    figure.update_layout(template="none", barmode="stack", showlegend=False, height=260,
                         margin={"l": 52, "r": 8, "t": 36, "b": 28}, plot_bgcolor="#fbfcfe",
                         paper_bgcolor="rgba(0,0,0,0)", font={"family": "system-ui, sans-serif", "color": "#1d2433"},
                         title={"text": f"{fruit} · revenue per month", "x": 0.02, "font": {"size": 15}},
                         yaxis={"gridcolor": "#e3e7f0", "tickformat": "~s"})
    return figure


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
        records = to_records(cleaned)  # every row, every column
    return receipt(trigger, "full", len(cleaned), {"store": records}), records


@callback(
    Output({"type": ids.drawn["full"], "fruit": MATCH}, "data"),
    Output({"type": ids.graph, "fruit": MATCH}, "figure", allow_duplicate=True),
    Input(ids.full_store, "data"),
    State({"type": ids.graph, "fruit": MATCH}, "id"),
    prevent_initial_call=True,
)
def draw_from_rows(records, me):
    with timed("parse"):
        sales = from_records(records)  # the whole table came up with this request
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
    with timed("parse"):
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


# -- browser-side: which step runs, and the comparison of the recorded bytes ------------------------

clientside_callback(
    """function (mode, rows) {
        var later = window.dash_clientside.no_update, go = {rows: rows, at: Date.now()};
        return ["full", "subsets", "aggregates"].map(function (m) { return m === mode ? go : later; });
    }""",
    [Output(ids.trigger[m], "data") for m in MODES],
    Input(ids.mode, "value"),
    Input(ids.rows, "value"),
)

# For each mode: the step call its receipt names, and the three graph calls after it, read from
# this visit's recorded calls (the shell's snapshot). Bytes are the meters' own: the HTTP bodies.
COMPARE = """function (snapshot, full, subsets, aggregates, dFull, dSubsets, dAggregates) {
    var el = window.labHelpers.el, formatBytes = window.labHelpers.formatBytes,
        ownerOf = window.labHelpers.ownerOf;  // assets/lab.js, the meters' own helpers
    var LABELS = {full: "Send the data", subsets: "Filtered subsets (the reference)", aggregates: "Send aggregates"};
    var receipts = {full: full, subsets: subsets, aggregates: aggregates};
    var prints = {full: dFull, subsets: dSubsets, aggregates: dAggregates};
    var calls = (((snapshot || {}).meters || {}).calls || []).filter(function (c) { return c.p === "aggregations"; });
    function round(mode) {
        var r = receipts[mode];
        if (!r) { return null; }
        var stepOwner = "aggregations-" + mode + "-receipt", drawOwner = "aggregations-" + mode + "-drawn";
        var step = calls.filter(function (c) {
            return ownerOf(c.cb) === stepOwner && c.t0 <= r.t + 0.001 && r.t <= c.t1 + 0.001;
        })[0];
        if (!step) { return {mode: mode, rows: r.rows, pending: true}; }
        var later = calls.filter(function (c) { return ownerOf(c.cb) === stepOwner && c.t0 > step.t1; })
                         .map(function (c) { return c.t0; });
        var until = later.length ? Math.min.apply(null, later) : Infinity;
        var graphs = calls.filter(function (c) {
            return ownerOf(c.cb) === drawOwner && c.st === 200 && c.t0 >= step.t1 - 0.001 && c.t0 < until;
        });
        var up = step.up, down = step.down, graphUp = 0;
        graphs.forEach(function (c) { up += c.up; down += c.down; graphUp += c.up; });
        var fp = (prints[mode] || []).map(function (d) { return d ? d.fingerprint : ""; }).join("·");
        return {mode: mode, rows: r.rows, pending: graphs.length < 3, step: step, graphs: graphs.length,
                up: up, down: down, total: up + down, graphUp: graphUp, fingerprint: fp, receipt: r};
    }
    var rounds = ["full", "subsets", "aggregates"].map(round);
    var agg = rounds[2] && !rounds[2].pending ? rounds[2] : null;
    var rows = rounds.map(function (r, i) {
        var mode = ["full", "subsets", "aggregates"][i];
        if (!r) {
            return el("Tr", {className: "ag-row-empty"}, [el("Td", {}, LABELS[mode]),
                el("Td", {colSpan: 6, className: "lab-muted ag-wide"}, "not run yet on this visit: choose it above")]);
        }
        if (r.pending) {
            return el("Tr", {}, [el("Td", {}, LABELS[mode]), el("Td", {}, r.rows.toLocaleString("en-US")),
                el("Td", {colSpan: 5, className: "lab-muted ag-wide"},
                   "measuring… (the meters update once a second)")]);
        }
        var times = agg && r.rows === agg.rows ? r.total / agg.total : null;
        var same = agg && r.rows === agg.rows && r.fingerprint === agg.fingerprint;
        return el("Tr", {className: "ag-row-" + mode}, [
            el("Td", {}, LABELS[mode]),
            el("Td", {}, r.rows.toLocaleString("en-US")),
            el("Td", {}, formatBytes(r.down)),
            el("Td", {}, formatBytes(r.up)),
            el("Td", {className: "ag-total"}, formatBytes(r.total)),
            el("Td", {className: "ag-times"}, times === null ? "—" :
               (mode === "aggregates" ? "1×" : Math.round(times).toLocaleString("en-US") + "×")),
            el("Td", {title: "fingerprints of the numbers each graph drew: " + r.fingerprint},
               !agg || r.rows !== agg.rows ? "—" : same ? "✓ identical" : "✗ different")
        ]);
    });
    var table = el("Table", {className: "table ag-compare-table"}, [
        el("Thead", {}, el("Tr", {}, ["Mode", "Rows", "Down", "Up", "Total", "× aggregates", "Figures"]
            .map(function (h) { return el("Th", {}, h); }))),
        el("Tbody", {}, rows)
    ]);
    var full_ = rounds[0] && !rounds[0].pending ? rounds[0] : null;
    var headline;
    if (full_ && agg && full_.rows === agg.rows) {
        headline = el("Div", {className: "ag-headline"}, [
            el("Div", {className: "ag-headline-number"},
               Math.round(full_.total / agg.total).toLocaleString("en-US") + "×"),
            el("Div", {className: "ag-headline-text"}, [
                "fewer bytes for the same three figures at " + agg.rows.toLocaleString("en-US") + " rows: ",
                el("Strong", {}, formatBytes(full_.total)), " with the data, ",
                el("Strong", {}, formatBytes(agg.total)), " with aggregates (up and down, measured on the wire)."])
        ]);
    } else if (full_ && !agg) {
        headline = el("Div", {className: "ag-headline ag-headline-todo"},
            "Now choose “Send aggregates” above: watch the figures stay the same and the bytes drop.");
    } else if (agg && !full_) {
        headline = el("Div", {className: "ag-headline ag-headline-todo"},
            "Now choose “Send the data” above to compare with the bytes of the whole table.");
    } else {
        headline = el("Div", {className: "ag-headline ag-headline-todo"},
            "Run “Send the data” and “Send aggregates” at the same data size to see the ratio.");
    }
    var sub = rounds[1] && !rounds[1].pending ? rounds[1] : null;
    var why = null;
    if (sub) {
        var s = sub.receipt.stores, perGraph = Math.round(sub.graphUp / sub.graphs);
        why = el("Div", {className: "ag-why-numbers"}, [
            "Measured here: each graph uploaded ", el("Strong", {}, formatBytes(perGraph)),
            " to use one subset of ", el("Strong", {}, formatBytes(s.apples) + " / " + formatBytes(s.oranges) + " / " +
            formatBytes(s.figs)), " (apples / oranges / figs)."]);
    }
    return [headline, table, why];
}"""

clientside_callback(
    COMPARE,
    Output(ids.compare, "children"),
    Input(shell_ids.SNAPSHOT, "data"),
    *[Input(ids.receipt[m], "data") for m in MODES],
    *[Input({"type": ids.drawn[m], "fruit": dash.ALL}, "data") for m in MODES],
)


# -- layout -------------------------------------------------------------------------------------------


def _controls():
    return html.Div(
        [
            html.Div([html.Label("What the expensive callback sends"),
                      dbc.RadioItems(id=ids.mode, value="full",
                                     options=[{"label": MODE_LABELS[m], "value": m} for m in MODES],
                                     inline=True, className="btn-group lab-toggle ag-mode",
                                     inputClassName="btn-check", labelClassName="btn btn-outline-primary",
                                     labelCheckedClassName="active")]),
            html.Div([html.Label("Rows in the cleaned table"),
                      dbc.RadioItems(id=ids.rows, value=DEFAULT_ROWS,
                                     options=[{"label": f"{n:,}", "value": n} for n in SIZES],
                                     inline=True, className="btn-group lab-toggle ag-rows",
                                     inputClassName="btn-check", labelClassName="btn btn-outline-primary",
                                     labelCheckedClassName="active")]),
        ],
        className="lab-card lab-controls",
    )


def _graphs():
    legend = html.Div([html.Span("Regions", className="ag-legend-title")] +
                      [html.Span([html.Span(className="ag-swatch", style={"background": color}), region],
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
    hints = {"full": "every row goes down once, and up to each of the three graphs",
             "subsets": "a subset per graph, but every graph still receives all of them",
             "aggregates": "each graph receives only the 48 numbers it draws"}
    return dbc.Row([dbc.Col(html.Div([verdict(good[m], MODE_LABELS[m]),
                                      html.Div(hints[m], className="lab-figure-note px-1"),
                                      MeterPanel(PATTERN, scope=f"{PATTERN}-{m}", steps=[m],
                                                 title=f"Meters: {MODE_LABELS[m].lower()}",
                                                 step_label="Clean step ran")], className="lab-side"), lg=4)
                    for m in MODES], className="g-3")


def layout(**_kwargs):
    return html.Div(
        [
            lesson_header(__name__, "Send what the graphs draw, not the data they were drawn from.",
                          "Three graphs, each of one fruit's revenue per month and region: 48 numbers each. "
                          "The expensive callback can send them the whole table, the reference's filtered subsets, "
                          "or just those numbers. Switch, and compare the figures and the bytes."),
            dbc.Row([
                dbc.Col(explain("The graphs need little; the data is big",
                                "A chart of 12 months × 4 regions needs 48 numbers, whether it summarises 5,000 rows "
                                "or 100,000. Sending the rows means every graph callback uploads all of them and adds "
                                "them up again."), md=4),
                dbc.Col(explain("The reference's variant barely helps",
                                ["It filters a subset per graph upfront, then packs every subset into one store as ",
                                 "JSON text inside JSON. Each graph still receives all the subsets, which together "
                                 "are most of the rows, and the text is escaped again on every trip."]), md=4),
                dbc.Col(explain("Aggregate upfront",
                                ["Let the expensive callback compute what each graph draws, and send only that, "
                                 "one small store per graph. Same figures, a thousandth of the traffic, and the "
                                 "graph callbacks have nothing left to compute."]), md=4),
            ], className="g-3"),
            section("Try it"),
            _controls(),
            html.Div(_graphs(), className="mt-3"),
            section("What travelled (measured on the wire)"),
            html.Div(html.Div(id=ids.compare), className="lab-card ag-compare"),
            html.Div(_meters(), className="mt-3"),
            html.Div(Timeline(PATTERN), className="mt-3"),
            section("The code"),
            create_code_view(send_full, draw_from_rows, send_subsets, draw_from_subsets, send_aggregates,
                             draw_from_aggregates, open=True),
            html.Div(create_code_view(monthly_revenue_by_region, title="The aggregation every mode computes"),
                     className="mt-2"),
            html.Div(takeaways(
                "If a callback only shows a summary, compute the summary in the expensive callback and send that: "
                "the bytes depend on what is drawn, not on the size of the data.",
                "Filtering upfront is not enough when every graph still receives every subset; and JSON text "
                "stored inside JSON is escaped again on every trip.",
                "Give each graph its own small store: a callback uploads only the inputs it declares.",
                "Same figures in every mode: compare the fingerprints in the table above.",
            ), className="mt-3"),
        ],
        id=PATTERN,
    )
