"""Lesson 3: keep the expensive result in the browser, with dcc.Store (the reference's Example 1).

A clean callback runs the expensive step once per choice and returns the cleaned table as JSON into
a dcc.Store; a graph callback and a table callback take the store as an Input. Nothing is computed
twice and the server keeps nothing, so any worker can answer. The price is the network: the JSON
comes down once (compressed), then goes up again, uncompressed, with every callback that reads it.
The page also shows what memory, session and local storage mean, and the browser's storage quota,
measured in the learner's own browser.
"""

from __future__ import annotations

import time

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from components import ids as shell_ids
from components.code_view import create_code_view
from components.lesson import explain, lesson_header, section, takeaways
from components.meters import MeterPanel
from components.timeline import Timeline
from lab.datasets import FRUITS
from lab.instrument import expensive_step, simulate_work, timed
from lab.sales import ALL, clean_sales, from_records, region_totals, to_records, weekly_revenue
from lab.sizes import human_bytes, json_size

PATTERN = "dcc-store"

dash.register_page(
    __name__, path="/dcc-store", name="Data in the browser: dcc.Store", order=3, lesson=3, nav_label="dcc.Store",
    pattern=PATTERN, title="Sharing data between callbacks with dcc.Store",
    description="The expensive step runs once and its JSON goes to the browser; every callback that reads "
                "the store sends all of it back up. Measured, with the storage quota.",
)

STORAGES = ("memory", "session", "local")


class ids:
    fruit = f"{PATTERN}-fruit"
    rows = f"{PATTERN}-rows"
    storage = f"{PATTERN}-storage"
    quota = f"{PATTERN}-quota"  # measured in the browser, no request
    # the clean callback (the meters' scope `dcc-store-clean`)
    receipt = f"{PATTERN}-clean-receipt"
    note = f"{PATTERN}-clean-note"
    data = {s: f"{PATTERN}-data-{s}" for s in STORAGES}  # three dcc.Stores: one holds the table
    held = {s: f"{PATTERN}-held-{s}" for s in STORAGES}  # what each of them holds: {fruit, rows, ...}
    pending = f"{PATTERN}-clean-pending"  # what `held` becomes once the browser has really saved the data
    # the two readers (the meters' scope `dcc-store-read`)
    graph = f"{PATTERN}-read-graph"
    graph_note = f"{PATTERN}-read-graph-note"
    table = f"{PATTERN}-read-table"
    # drawn in the browser from measurements the page already has
    journey = f"{PATTERN}-journey"
    tanks = f"{PATTERN}-tanks"


SIZES = [5_000, 10_000, 20_000, 50_000, 100_000]
DEFAULT_ROWS = 20_000
HEAVY_BYTES = 1_000_000  # from here every reader uploads a megabyte or more: slow on real networks
STORAGE_ROOM_MARGIN = 1_024  # characters for the store's bookkeeping items (timestamps, the `held` store)
FRUIT_COLORS = {"apples": "#dc2626", "oranges": "#ea580c", "figs": "#7c3aed", "pineapples": "#a16207"}


# -- plain functions (unit-tested) ---------------------------------------------------------------


def clean(fruit: str, rows: int) -> pd.DataFrame:
    """The expensive step: clean `rows` sales (one fruit, or all), slow on purpose and counted."""
    with expensive_step(PATTERN, "clean"):
        simulate_work()
        return clean_sales(rows, fruit)


def room_in(storage: str, quota: dict | None) -> int | None:
    """Characters this page may write into `storage` (None: no limit the page knows of, i.e. memory).

    The browser measured it (see QUOTA_PROBE): the free space plus what this page's own items use,
    since writing the store replaces them. 0 when the storage is unavailable."""
    if storage == "memory":
        return None
    measured = (quota or {}).get(storage)
    if not measured:
        return 0
    return max(0, measured["free"] + measured["ours"] - STORAGE_ROOM_MARGIN)


def where_to_keep(storage: str, size: int, quota: dict | None) -> str:
    """The storage the store will really use: the one asked for, or memory if it would overflow."""
    room = room_in(storage, quota)
    return storage if room is None or size + len(ids.data[storage]) <= room else "memory"


def already_held(held: dict | None, fruit: str, rows: int) -> bool:
    """True when the store of the chosen storage already holds this choice (session and local
    survive a reload, so the expensive step need not run again)."""
    return bool(held) and held.get("fruit") == fruit and held.get("rows") == rows


def stored_sales(*stores) -> pd.DataFrame | None:
    """The table from whichever of the three stores holds it (the others are empty)."""
    data = next((store for store in stores if store), None)
    return None if data is None else from_records(data)


def revenue_figure(sales: pd.DataFrame) -> go.Figure:
    weekly = weekly_revenue(sales)
    figure = go.Figure()
    for fruit in FRUITS:
        mine = weekly[weekly["fruit"] == fruit]
        if len(mine):
            figure.add_scatter(x=mine["week"].tolist(), y=mine["revenue"].tolist(), name=fruit, mode="lines",
                               line={"color": FRUIT_COLORS[fruit], "width": 2.5},
                               hovertemplate=f"{fruit} · week %{{x}}: %{{y:,}}<extra></extra>")
    figure.update_layout(template="none", height=300, margin={"l": 60, "r": 10, "t": 10, "b": 40},
                         plot_bgcolor="#fbfcfe", paper_bgcolor="rgba(0,0,0,0)",
                         font={"family": "system-ui, sans-serif", "color": "#1d2433"},
                         legend={"orientation": "h", "y": 1.08, "x": 0},
                         xaxis={"title": {"text": "week of 2026"}, "gridcolor": "#e3e7f0"},
                         yaxis={"title": {"text": "revenue"}, "gridcolor": "#e3e7f0", "tickformat": ","})
    return figure


def totals_table(sales: pd.DataFrame) -> html.Table:
    totals = region_totals(sales)
    return html.Table(
        [html.Thead(html.Tr([html.Th("Region"), html.Th("Rows"), html.Th("Units"), html.Th("Revenue")])),
         html.Tbody([html.Tr([html.Td(r.region), html.Td(f"{r.rows:,}"), html.Td(f"{r.units:,}"),
                              html.Td(f"{r.revenue:,.2f}")]) for r in totals.itertuples()])],
        className="table table-sm ds-totals",
    )


def clean_note(receipt: dict) -> list:
    """What the clean callback just did, with the warnings that apply."""
    what = "all fruits" if receipt["fruit"] == ALL else receipt["fruit"]
    size = human_bytes(receipt["json_bytes"])
    lines = []
    if receipt["skipped"]:
        lines.append(html.Div([html.Strong("Not cleaned again: "),
                               f"your browser still holds {receipt['kept_rows']:,} rows of {what} ({size} of JSON) "
                               f"in {receipt['kept_in']} storage from before. The readers still upload it."],
                              className="ds-note ds-note-ok"))
    else:
        cleaned = (f"Cleaned {receipt['rows']:,} rows of all fruits" if receipt["fruit"] == ALL
                   else f"Cleaned {receipt['rows']:,} rows, kept the {receipt['kept_rows']:,} of {what}")
        lines.append(html.Div([html.Strong(cleaned), f": {size} of JSON, kept in ",
                               html.Code(f"{receipt['kept_in']}"), " storage."], className="ds-note"))
    if receipt["kept_in"] != receipt["storage"]:
        lines.append(html.Div(
            [html.Strong(f"Too big for {receipt['storage']}Storage in this browser: "),
             f"it needs {receipt['json_bytes']:,} characters and has room for {receipt['room']:,}. "
             "A dcc.Store would fail here (Chromium throws QuotaExceededError and the write is lost), so this "
             "page kept the data in memory instead."],
            className="ds-note ds-note-bad"))
    if receipt["json_bytes"] >= HEAVY_BYTES:
        lines.append(html.Div(
            [html.Strong(f"Heavy store: {size}. "),
             "Every callback that reads it uploads all of it again, uncompressed, and home connections upload "
             "far slower than they download. Lesson 4 sends only what the graphs draw."],
            className="ds-note ds-note-warn"))
    return lines


# -- the callbacks: one writes the store, two read it ----------------------------------------------


@callback(
    output={
        "receipt": Output(ids.receipt, "data"),
        "note": Output(ids.note, "children"),
        "data": {s: Output(ids.data[s], "data") for s in STORAGES},
        "pending": Output(ids.pending, "data"),
    },
    inputs={
        "fruit": Input(ids.fruit, "value"),
        "rows": Input(ids.rows, "value"),
        "storage": Input(ids.storage, "value"),
        "quota": Input(ids.quota, "data"),
        "held": {s: State(ids.held[s], "data") for s in STORAGES},
    },
)
def clean_into_store(fruit, rows, storage, quota, held):
    receipt = {"fruit": fruit, "rows": rows, "storage": storage, "t": time.time(),
               "room": room_in(storage, quota)}
    if already_held(held[storage], fruit, rows):  # session / local storage survived a reload
        receipt.update(skipped=True, kept_in=storage, json_bytes=held[storage]["json_bytes"],
                       kept_rows=held[storage]["kept_rows"])
        return {"receipt": receipt, "note": clean_note(receipt),
                "data": {s: no_update for s in STORAGES}, "pending": no_update}
    cleaned = clean(fruit, rows)
    with timed("serialize"):
        data = to_records(cleaned)  # JSON-ready: Dash sends it down, the browser keeps it
    size = json_size(data)
    kept_in = where_to_keep(storage, size, quota)
    receipt.update(skipped=False, kept_in=kept_in, json_bytes=size, kept_rows=len(cleaned))
    mine = {"fruit": fruit, "rows": rows, "json_bytes": size, "kept_rows": len(cleaned)}
    return {"receipt": receipt, "note": clean_note(receipt),
            "data": {s: data if s == kept_in else None for s in STORAGES},
            "pending": {s: mine if s == kept_in else None for s in STORAGES}}


@callback(
    Output(ids.graph, "figure"),
    Output(ids.graph_note, "children"),
    Input(ids.data["memory"], "data"),
    Input(ids.data["session"], "data"),
    Input(ids.data["local"], "data"),
)
def draw_graph(memory, session, local):
    with timed("parse"):
        sales = stored_sales(memory, session, local)  # the whole table came up with this request
    if sales is None:
        raise PreventUpdate
    return revenue_figure(sales), f"Weekly revenue drawn from {len(sales):,} rows sent up by your browser."


@callback(
    Output(ids.table, "children"),
    Input(ids.data["memory"], "data"),
    Input(ids.data["session"], "data"),
    Input(ids.data["local"], "data"),
)
def draw_table(memory, session, local):
    with timed("parse"):
        sales = stored_sales(memory, session, local)  # all of it again, for four rows of totals
    if sales is None:
        raise PreventUpdate
    return totals_table(sales)


# -- browser-side views: no request, only what the page has measured -----------------------------

# The storage quota, measured in the learner's browser on every visit (it takes a few tens of
# milliseconds): fill localStorage and sessionStorage with test items, 1 M characters at a time and
# then in smaller pieces down to 1 K, until they refuse more; count what fitted; remove the test
# items. Capacity = what fitted + what was already stored. Refused writes throw inside a try, so
# nothing reaches the console. `ours` is what this page's own stores hold (writing replaces it).
QUOTA_PROBE = """function (_pathname) {
    var probe = "dcc-store-quota-probe-", out = {};
    ["local", "session"].forEach(function (kind) {
        var s;
        try { s = window[kind + "Storage"]; s.setItem(probe, ""); s.removeItem(probe); }
        catch (e) { out[kind] = null; return; }
        var used = 0, ours = 0;
        for (var i = 0; i < s.length; i++) {
            var key = s.key(i), size = key.length + (s.getItem(key) || "").length;
            used += size;
            if (key.indexOf("dcc-store-data-") === 0 || key.indexOf("dcc-store-held-") === 0) { ours += size; }
        }
        var free = 0, n = 0, chunk = 1024 * 1024, written = [];
        while (chunk >= 1024 && n < 10000) {
            var test = probe + (n++);
            try { s.setItem(test, "x".repeat(chunk)); written.push(test); free += test.length + chunk; }
            catch (e) { chunk = chunk / 4; }
        }
        written.forEach(function (test) { s.removeItem(test); });
        out[kind] = {free: free, used: used, ours: ours, quota: free + used};
    });
    return out;
}"""

clientside_callback(QUOTA_PROBE, Output(ids.quota, "data"), Input("_pages_location", "pathname"))

# A dcc.Store sets its `modified_timestamp` only once the browser has saved its data; a write that
# throws (QuotaExceededError) never does. So `held` follows what was really saved, and a reload never
# trusts a write that was lost.
for _storage in STORAGES:
    clientside_callback(
        f"""function (_saved, pending) {{
            return pending ? pending["{_storage}"] : window.dash_clientside.no_update;
        }}""",
        Output(ids.held[_storage], "data"),
        Input(ids.data[_storage], "modified_timestamp"),
        State(ids.pending, "data"),
        prevent_initial_call=True,
    )

# Shared by the two views below: the meters' own helpers (assets/lab.js).
_JS_HELPERS = """
    var el = window.labHelpers.el, formatBytes = window.labHelpers.formatBytes,
        ownerOf = window.labHelpers.ownerOf;  // assets/lab.js, the meters' own helpers
"""

# The journey of the latest choice, from the visit's recorded calls (the shell's snapshot): the
# clean call the receipt names, then the readers' calls after it.
JOURNEY = """function (snapshot, receipt) {""" + _JS_HELPERS + """
    if (!receipt) { return el("Div", {className: "ds-journey-empty"}, "Waiting for the clean step…"); }
    var calls = (((snapshot || {}).meters || {}).calls || []).filter(function (c) { return c.p === "dcc-store"; });
    var CLEAN = "dcc-store-clean-receipt";
    var clean = calls.filter(function (c) {
        return ownerOf(c.cb) === CLEAN && c.t0 <= receipt.t + 0.001 && receipt.t <= c.t1 + 0.001;
    })[0];
    if (!clean) { return el("Div", {className: "ds-journey-empty"}, "Measuring… (the meters update once a second)"); }
    var later = calls.filter(function (c) { return ownerOf(c.cb) === CLEAN && c.t0 > clean.t1; })
                     .map(function (c) { return c.t0; });
    var until = later.length ? Math.min.apply(null, later) : Infinity;
    function reader(owner) {
        return calls.filter(function (c) {
            return ownerOf(c.cb) === owner && c.st === 200 && c.t0 >= clean.t1 - 0.001 && c.t0 < until;
        })[0];
    }
    var graph = reader("dcc-store-read-graph"), table = reader("dcc-store-read-table");
    var rows = [
        {label: "Down, once: the clean callback fills the store", bytes: clean.down, cls: "ds-bar-down",
         sub: receipt.skipped ? "skipped: the store came from the browser's storage"
              : "its " + formatBytes(receipt.json_bytes) + " of JSON, compressed " +
                (receipt.json_bytes / clean.down).toFixed(1) + "× on the wire"},
        {label: "Up: the graph callback reads the store", bytes: graph ? graph.up : null, cls: "ds-bar-up",
         sub: "the whole store, uncompressed: browsers never compress what they send"},
        {label: "Up again: the table callback reads the store", bytes: table ? table.up : null, cls: "ds-bar-up",
         sub: "the same bytes once more, for four rows of totals"}
    ];
    var max = Math.max.apply(null, rows.map(function (r) { return r.bytes || 0; }).concat([1]));
    var up = (graph ? graph.up : 0) + (table ? table.up : 0);
    var bars = rows.map(function (r) {
        var pct = r.bytes ? Math.max(0.6, 100 * r.bytes / max) : 0;
        return el("Div", {className: "ds-journey-row"}, [
            el("Div", {className: "ds-journey-label"}, [r.label, el("Div", {className: "ds-journey-sub"}, r.sub)]),
            el("Div", {className: "ds-journey-track"},
               el("Div", {className: "ds-journey-bar " + r.cls, style: {width: pct + "%"}})),
            el("Div", {className: "ds-journey-value"}, r.bytes === null ? "…" : formatBytes(r.bytes))
        ]);
    });
    var total = !(graph && table) ? "Waiting for both readers…" : receipt.skipped ? [
        el("Strong", {}, formatBytes(up) + " went up"), " to draw one chart and a four-row table, although the ",
        "data never came down this time: the browser had kept it. Storing it longer does not make it travel less."
    ] : [
        el("Strong", {}, formatBytes(up) + " went up"), " to draw one chart and a four-row table, after ",
        el("Strong", {}, formatBytes(clean.down) + " came down"), ": ",
        el("Strong", {}, (up / clean.down).toFixed(1) + "×"), " as much. A third reader would send it up a third time."
    ];
    return [el("Div", {className: "ds-journey-bars"}, bars), el("Div", {className: "ds-journey-total"}, total)];
}"""

clientside_callback(JOURNEY, Output(ids.journey, "children"),
                    Input(shell_ids.SNAPSHOT, "data"), Input(ids.receipt, "data"))

# What each kind of storage holds now, read from the browser itself, against the measured quota.
TANKS = """function (receipt, quota, _ts1, _ts2) {""" + _JS_HELPERS + """
    function stored(kind) {
        try { var v = window[kind + "Storage"].getItem("dcc-store-data-" + kind); return v === null ? 0 : v.length; }
        catch (e) { return null; }
    }
    var kinds = ["memory", "session", "local"];
    return kinds.map(function (kind) {
        var active = receipt && receipt.kept_in === kind;
        var head = el("Div", {className: "ds-tank-head"}, kind === "memory" ? "memory" : kind + "Storage");
        if (kind === "memory") {
            var held = active ? receipt.json_bytes : 0;
            return el("Div", {className: "ds-tank" + (active ? " ds-tank-active" : "")}, [head,
                el("Div", {className: "ds-tank-value"}, active ? formatBytes(held) : "empty"),
                el("Div", {className: "ds-tank-sub"},
                   "no quota of its own: the tab's memory (measured: the store's JSON)")]);
        }
        var q = (quota || {})[kind], chars = stored(kind);
        if (!q || chars === null) {
            return el("Div", {className: "ds-tank"},
                      [head, el("Div", {className: "ds-tank-sub"}, "not available in this browser")]);
        }
        var pct = Math.min(100, 100 * chars / q.quota);
        return el("Div", {className: "ds-tank" + (active ? " ds-tank-active" : "")}, [head,
            el("Div", {className: "ds-tank-value"}, chars ? (chars / 1e6).toFixed(2) + " M characters" : "empty"),
            el("Div", {className: "ds-tank-track"}, el("Div", {className: "ds-tank-fill", style: {width: pct + "%"}})),
            el("Div", {className: "ds-tank-sub"}, pct.toFixed(0) + "% of the " + (q.quota / 1e6).toFixed(2) +
               " M characters this browser allows per site (measured on this visit)")]);
    });
}"""

clientside_callback(
    TANKS, Output(ids.tanks, "children"),
    Input(ids.receipt, "data"), Input(ids.quota, "data"),
    Input(ids.data["session"], "modified_timestamp"), Input(ids.data["local"], "modified_timestamp"),
)


# -- layout -------------------------------------------------------------------------------------------


def _buttons(id_, options, value, persistence=True):
    return dbc.RadioItems(id=id_, options=options, value=value, inline=True, persistence=persistence,
                          persistence_type="local", className="btn-group lab-toggle ds-choice",
                          inputClassName="btn-check", labelClassName="btn btn-outline-primary",
                          labelCheckedClassName="active")


def _controls():
    return html.Div(
        [
            html.Div([html.Label("Category"),
                      _buttons(ids.fruit, [{"label": "all fruits", "value": ALL}] +
                               [{"label": f, "value": f} for f in FRUITS], ALL)]),
            html.Div([html.Label("Data size (rows of sales to clean)"),
                      _buttons(ids.rows, [{"label": f"{n:,}", "value": n} for n in SIZES], DEFAULT_ROWS)]),
            html.Div([html.Label("Storage type of the dcc.Store"),
                      _buttons(ids.storage, [{"label": s, "value": s} for s in STORAGES], "memory")]),
        ],
        className="lab-card lab-controls",
    )


STORAGE_MEANING = {
    "memory": ["The default. The data lives in the page's JavaScript memory: a reload, or leaving the page, "
               "empties it and the clean step runs again."],
    "session": ["Kept in ", html.Code("window.sessionStorage"), ": it survives a reload of this tab, but every tab "
                "has its own, and it goes when the tab closes. Reload with session chosen: the clean step does "
                "not run again."],
    "local": ["Kept in ", html.Code("window.localStorage"), ": it survives reloads and browser restarts, and "
              "every tab of this site shares it. Open the page in a new tab: no clean step."],
}


def _storage_types():
    return html.Div(
        [
            dbc.Row([dbc.Col(html.Div([html.H3(kind), html.P(STORAGE_MEANING[kind])], className="ds-meaning"), md=4)
                     for kind in STORAGES], className="g-3"),
            html.Div(id=ids.tanks, className="ds-tanks"),
            html.P(["Whatever the type, the store still travels: it goes up with every callback that reads it. "
                    "Session and local storage also have a quota per site, measured above in your browser. "
                    "Past it, we measured what Chromium does with a ", html.Code("dcc.Store"), ": ",
                    html.Code("setItem"), " throws ", html.Code("QuotaExceededError"), " (in the console) and "
                    "the write is lost. The page still shows the new data, which Dash keeps in memory, but the "
                    "browser's storage keeps the old value, so a reload finds old data; and the rest of the "
                    "visit turns erratic (we saw the store stop saving, and a control jump back to its previous "
                    "value). This page checks the size first and keeps an oversized store in memory instead."],
                   className="lab-muted mb-0 mt-3"),
        ],
        className="lab-card",
    )


def layout(**_kwargs):
    return html.Div(
        [
            lesson_header(__name__, "Keep the expensive result in the browser. Then count what travels.",
                          ["A clean callback runs a slow step once per choice and returns the cleaned table into a ",
                           html.Code("dcc.Store"), ". A graph callback and a table callback read the store. "
                           "Change the data size and watch the bytes."]),
            dbc.Row([
                dbc.Col(explain("Computed once, kept by the browser",
                                ["The clean callback's output is the store's ", html.Code("data"), ": JSON. Other "
                                 "callbacks take the store as an Input and rebuild the table from it, so the slow "
                                 "step never runs twice for the same choice. The server keeps nothing: any worker "
                                 "can answer, and each user has their own store."]), md=6),
                dbc.Col(explain("The price: it travels, both ways",
                                ["A callback's inputs travel in its request. So the JSON comes down once, "
                                 "compressed, and then goes up again, uncompressed, with every callback that reads "
                                 "the store: two readers, two uploads. Bytes grow with the data."]), md=6),
            ], className="g-3"),
            section("Try it"),
            _controls(),
            html.Div(id=ids.note, className="ds-notes"),
            html.Div([html.Div("Where the bytes went for your last choice (measured on the wire)",
                               className="lab-meters-title"),
                      html.Div(id=ids.journey)], className="lab-card ds-journey mt-3"),
            dbc.Row([
                dbc.Col(MeterPanel(PATTERN, scope=f"{PATTERN}-clean", steps=["clean"],
                                   title="Meters: the clean callback (writes the store)", step_label="Clean step ran"),
                        lg=6),
                dbc.Col(MeterPanel(PATTERN, scope=f"{PATTERN}-read", steps=[],
                                   title="Meters: graph + table callbacks (read the store)",
                                   step_label="Clean steps in readers"), lg=6),
            ], className="g-3 mt-0"),
            dbc.Row([
                dbc.Col(html.Div([dcc.Graph(id=ids.graph, config={"displayModeBar": False}),
                                  html.Div(id=ids.graph_note, className="lab-figure-note px-2 pb-2")],
                                 className="lab-graph"), lg=8),
                dbc.Col(html.Div([html.Div("Totals by region (the table callback)", className="lab-meters-title"),
                                  html.Div(id=ids.table)], className="lab-card"), lg=4),
            ], className="g-3 mt-0"),
            html.Div([dcc.Store(id=ids.quota)]
                     + [dcc.Store(id=ids.data[s], storage_type=s) for s in STORAGES]
                     + [dcc.Store(id=ids.held[s], storage_type=s) for s in STORAGES]
                     + [dcc.Store(id=ids.receipt), dcc.Store(id=ids.pending)]),
            section("Memory, session or local?"),
            _storage_types(),
            html.Div(Timeline(PATTERN), className="mt-3"),
            section("The code"),
            create_code_view(clean_into_store, draw_graph, draw_table, clean, stored_sales, open=True),
            html.Div(takeaways(
                "dcc.Store shares an expensive result between callbacks without recomputing it and without "
                "server memory: each user's data stays in their browser, and any worker can answer.",
                "Its JSON comes down once (compressed) and goes up again, uncompressed, with every callback that "
                "reads it. The bytes grow with the data and with the number of readers.",
                "memory, session and local change how long the data lives, not how far it travels. Session and "
                "local also have a per-site quota of a few megabytes.",
                "Past a megabyte or so, send less: compute what the graphs draw upfront (lesson 4), or keep the "
                "data on the server (lessons 5 and 6).",
            ), className="mt-3"),
        ],
        id=PATTERN,
    )
