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
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from components import ids as shell_ids
from components.code_view import create_code_view
from components.dcc_store_views import clean_note, self_check_questions, totals_table
from components.lesson import explain, lesson_layout, toggle
from components.meters import MeterPanel
from components.timeline import Timeline
from lab.datasets import FRUITS
from lab.dcc_store import (DEFAULT_ROWS, PATTERN, SIZES, STORAGES, STORE_ID_PREFIX, already_held, clean,
                           revenue_figure, room_in, stored_sales, where_to_keep)
from lab.i18n import N_, _, decimal, later
from lab.instrument import timed
from lab.sales import ALL, COLUMNS, to_records
from lab.schema import accepts, nullable, one_of, record, records, refusing, whole
from lab.sizes import json_size

dash.register_page(
    __name__, path="/dcc-store", name=N_("Data in the browser: dcc.Store"), order=3, lesson=3, nav_label="dcc.Store",
    pattern=PATTERN, title=later("Sharing data between callbacks with dcc.Store"),
    description=N_("The expensive step runs once and its JSON goes to the browser; every callback that reads "
                   "the store sends all of it back up. Measured, with the storage quota."),
)


class ids:
    fruit = f"{PATTERN}-fruit"
    rows = f"{PATTERN}-rows"
    storage = f"{PATTERN}-storage"
    quota = f"{PATTERN}-quota"  # measured in the browser, no request
    # the clean callback (the meters' scope `dcc-store-clean`)
    receipt = f"{PATTERN}-clean-receipt"
    note = f"{PATTERN}-clean-note"
    data = {s: STORE_ID_PREFIX + s for s in STORAGES}  # three dcc.Stores: one holds the table
    held = {s: f"{PATTERN}-held-{s}" for s in STORAGES}  # what each of them holds: {fruit, rows, ...}
    pending = f"{PATTERN}-clean-pending"  # what `held` becomes once the browser has really saved the data
    # the two readers (the meters' scope `dcc-store-read`)
    graph = f"{PATTERN}-read-graph"
    graph_note = f"{PATTERN}-read-graph-note"
    table = f"{PATTERN}-read-table"
    # drawn in the browser from measurements the page already has
    journey = f"{PATTERN}-journey"
    tanks = f"{PATTERN}-tanks"


_MEASURED = nullable(record(free=whole(0, 10**10), used=whole(0, 10**10), ours=whole(0, 10**10),
                            quota=whole(0, 10**10)))
accepts({
    (ids.fruit, "value"): one_of(ALL, *FRUITS),
    (ids.rows, "value"): one_of(*SIZES),
    (ids.storage, "value"): one_of(*STORAGES),
    (ids.quota, "data"): nullable(record(local=_MEASURED, session=_MEASURED, optional=("local", "session"))),
    **{(ids.held[s], "data"): nullable(record(fruit=one_of(ALL, *FRUITS), rows=one_of(*SIZES),
                                              json_bytes=whole(0, 10**10), kept_rows=whole(0, max(SIZES))))
       for s in STORAGES},
    **{(ids.data[s], "data"): nullable(records(COLUMNS, max(SIZES))) for s in STORAGES},
})


STORAGE_MEANING = {
    "memory": N_("The default. The data lives in the page's JavaScript memory: a reload, or leaving the page, "
                 "empties it and the clean step runs again."),
    "session": N_("Kept in window.sessionStorage: it survives a reload of this tab, but every tab has its own, and "
                  "it goes when the tab closes. Reload with session chosen: the clean step does not run again."),
    "local": N_("Kept in window.localStorage: it survives reloads and browser restarts, and every tab of this site "
                "shares it. Open the page in a new tab: no clean step."),
}


def layout(**_kwargs):
    return lesson_layout(
        __name__,
        question=_("Keep the expensive result in the browser. Then count what travels."),
        lead=_("A clean callback runs a slow step once per choice and returns the cleaned table into a dcc.Store. A "
               "graph callback and a table callback read the store. Change the data size and watch the bytes."),
        why=_("a callback's inputs travel in its request: a dcc.Store that callbacks read goes up to the server "
              "again with every one of them."),
        cards=[explain(_("Computed once, kept by the browser"),
                       _("The clean callback's output is the store's data: JSON. Other callbacks take the store as an "
                         "Input and rebuild the table from it, so the slow step never runs twice for the same "
                         "choice. The server keeps nothing: any worker can answer, and each user has their own "
                         "store.")),
               explain(_("The price: it travels, both ways"),
                       _("A callback's inputs travel in its request. So the JSON comes down once, compressed, and "
                         "then goes up again, uncompressed, with every callback that reads the store: two readers, "
                         "two uploads. Bytes grow with the data."))],
        try_steps=[(_("Choose 50,000 rows."),
                    _("“Sent down” on the clean meter is compressed; “Sent up” on the readers' meter is the whole "
                      "JSON, twice.")),
                   (_("Choose session storage, then reload the page."),
                    _("“Not cleaned again”: the browser kept the data; the clean step ran 0 more times, but the "
                      "readers still upload it.")),
                   (_("Choose local storage with 100,000 rows."),
                    _("the page measures your browser's quota and keeps an oversized store in memory, saying why."))],
        demo=[
            _controls(),
            html.Div(id=ids.note, className="ds-notes"),
            html.Div([html.Div(_("Where the bytes went for your last choice (measured on the wire)"),
                               className="lab-meters-title"), html.Div(id=ids.journey)],
                     className="lab-card ds-journey mt-3"),
            dbc.Row([
                dbc.Col(MeterPanel(PATTERN, scope=f"{PATTERN}-clean", steps=["clean"], step_label=_("Clean step ran"),
                                   title=_("Meters: the clean callback (writes the store)")), lg=6),
                dbc.Col(MeterPanel(PATTERN, scope=f"{PATTERN}-read", steps=[], step_label=_("Clean steps in readers"),
                                   title=_("Meters: graph + table callbacks (read the store)")), lg=6),
            ], className="g-3 mt-0"),
            dbc.Row([
                dbc.Col(html.Div([dcc.Graph(id=ids.graph, config={"displayModeBar": False}),
                                  html.Div(id=ids.graph_note, className="lab-figure-note px-2 pb-2")],
                                 className="lab-graph"), lg=8),
                dbc.Col(html.Div([html.Div(_("Totals by region (the table callback)"), className="lab-meters-title"),
                                  html.Div(id=ids.table)], className="lab-card"), lg=4),
            ], className="g-3 mt-0"),
            html.Div([dcc.Store(id=ids.quota), dcc.Store(id=ids.receipt), dcc.Store(id=ids.pending)]
                     + [dcc.Store(id=ids.data[s], storage_type=s) for s in STORAGES]
                     + [dcc.Store(id=ids.held[s], storage_type=s) for s in STORAGES]),
        ],
        timeline=Timeline(PATTERN),
        sections=[(_("Memory, session or local?"), _storage_types())],
        code=create_code_view(clean_into_store, draw_graph, draw_table, clean, stored_sales, open=True),
        takeaways=[
            _("dcc.Store shares an expensive result between callbacks without recomputing it and without server "
              "memory: each user's data stays in their browser, and any worker can answer."),
            _("Its JSON comes down once (compressed) and goes up again, uncompressed, with every callback that "
              "reads it. The bytes grow with the data and with the number of readers."),
            _("memory, session and local change how long the data lives, not how far it travels. Session and local "
              "also have a per-site quota of a few megabytes."),
            _("Past a megabyte or so, send less: compute what the graphs draw upfront (lesson 4), or keep the data "
              "on the server (lessons 5 and 6)."),
        ],
        check=self_check_questions(),
    )


def _controls():
    choices = [(_("Category"), ids.fruit, {ALL: _("all fruits"), **{f: _(f) for f in FRUITS}}, ALL),
               (_("Data size (rows of sales to clean)"), ids.rows, {n: decimal(n) for n in SIZES}, DEFAULT_ROWS),
               (_("Storage type of the dcc.Store"), ids.storage, {s: s for s in STORAGES}, "memory")]
    return html.Div([html.Div([html.Div(label, id=f"{id_}-label", className="lab-label"),
                               html.Div(toggle(id_, options, value, "ds-choice", persistence=True,
                                               persistence_type="local"), role="group",
                                        **{"aria-labelledby": f"{id_}-label"})])
                     for label, id_, options, value in choices], className="lab-card lab-controls")


def _storage_types():
    return html.Div([
        dbc.Row([dbc.Col(html.Div([html.H3(kind), html.P(_(STORAGE_MEANING[kind]))], className="ds-meaning"), md=4)
                 for kind in STORAGES], className="g-3"),
        html.Div(id=ids.tanks, className="ds-tanks"),
        html.P(_("Whatever the type, the store still travels: it goes up with every callback that reads it. Session "
                 "and local storage also have a quota per site, measured above in your browser. Past it, we measured "
                 "what Chromium does with a dcc.Store: setItem throws QuotaExceededError (in the console) and the "
                 "write is lost. The page still shows the new data, which Dash keeps in memory, but the browser's "
                 "storage keeps the old value, so a reload finds old data; and the rest of the visit turns erratic "
                 "(we saw the store stop saving, and a control jump back to its previous value). This page checks "
                 "the size first and keeps an oversized store in memory instead."), className="lab-muted mb-0 mt-3"),
    ], className="lab-card")


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
    with refusing(ValueError, TypeError, what="the stored table"):  # its shape was checked, not its dates
        figure = revenue_figure(sales)
    return figure, _("Weekly revenue drawn from %(rows)s rows sent up by your browser.", rows=decimal(len(sales)))


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
    with refusing(ValueError, TypeError, what="the stored table"):
        return totals_table(sales)


# -- in the browser (assets/dcc-store.js): no request, only what the page has measured ------------

# The storage quota, measured in the learner's browser on every visit.
clientside_callback(ClientsideFunction("dcc_store", "quota"), Output(ids.quota, "data"),
                    Input("_pages_location", "pathname"))

# `held` follows what the browser really saved: a store's `modified_timestamp` moves only then.
for _storage in STORAGES:
    clientside_callback(ClientsideFunction("dcc_store", "held"), Output(ids.held[_storage], "data"),
                        Input(ids.data[_storage], "modified_timestamp"), State(ids.pending, "data"),
                        State(ids.data[_storage], "id"), prevent_initial_call=True)

# The journey of the latest choice's bytes, from the visit's recorded calls (the shell's snapshot).
clientside_callback(ClientsideFunction("dcc_store", "journey"), Output(ids.journey, "children"),
                    Input(shell_ids.SNAPSHOT, "data"), Input(ids.receipt, "data"))

# What each kind of storage holds now, read from the browser itself, against the measured quota.
clientside_callback(
    ClientsideFunction("dcc_store", "tanks"), Output(ids.tanks, "children"),
    Input(ids.receipt, "data"), Input(ids.quota, "data"),
    Input(ids.data["session"], "modified_timestamp"), Input(ids.data["local"], "modified_timestamp"),
)
