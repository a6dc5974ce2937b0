"""Lesson 7: send less over the wire.

Three measured pairs on the same data. A figure that grows: returning the whole figure sends every
point again; a `dash.Patch` sends only the new ones. A display-only change (°C/°F): a server
callback costs a request and a worker; a clientside callback costs neither. A callback that needs
little from a large dcc.Store still uploads all of it; reading a small key instead, with the
server keeping the data under that key, uploads a few bytes. Every figure is measured on the wire.
"""

from __future__ import annotations

import dash
from dash import ClientsideFunction, Input, Output, Patch, State, callback, clientside_callback

from components import ids as shell_ids
from components.code_view import create_code_view
from components.lesson import explain, lesson_layout
from components.send_less_views import grow_demo, js_code_view, read_demo, self_check_questions, unit_demo
from components.timeline import Timeline
from lab.cache import cache
from lab.datasets import REGIONS
from lab.i18n import N_, _, later
from lab.sales import COLUMNS, from_records, to_records
from lab.schema import accepts, clicks, nullable, one_of, record, records, refusing, whole
from lab.send_less import (APPEND_CHOICES, BASE_POINTS, MAX_POINTS, PATTERN, SIDES, TABLE_ROWS, UNITS,
                           convert_on_server, count_update, extension, grow_receipt, next_length, points,
                           read_receipt, region_summary, sales_table, series_figure, summary_text, table_from_cache)

dash.register_page(
    __name__, path="/send-less", name=N_("Send less"), order=7, lesson=7, nav_label=N_("Send less"),
    pattern=PATTERN, title=later("Send less over the wire"),
    description=N_("A Patch instead of the whole figure, a clientside callback instead of a round trip, a key "
                   "instead of a large store: the bytes per update, measured."),
)


class ids:
    points = f"{PATTERN}-grow-points"
    append = f"{PATTERN}-grow-append"
    grow_receipt = {s: f"{PATTERN}-grow-{s}-receipt" for s in SIDES}  # first output: the meters' scope
    grow_graph = {s: f"{PATTERN}-grow-{s}-graph" for s in SIDES}
    grow_length = {s: f"{PATTERN}-grow-{s}-length" for s in SIDES}  # how many readings the browser holds
    grow_compare = f"{PATTERN}-grow-compare"
    unit = f"{PATTERN}-unit"
    unit_graph = {"server": f"{PATTERN}-unit-server-graph", "client": f"{PATTERN}-unit-client-graph"}
    unit_readings = f"{PATTERN}-unit-client-readings"
    unit_count = f"{PATTERN}-unit-client-count"  # unit changes, counted in the browser
    unit_proof = f"{PATTERN}-unit-proof"
    read_rows = f"{PATTERN}-read-rows"
    read_region = f"{PATTERN}-read-region"
    read_data = {"store": f"{PATTERN}-read-store-data", "key": f"{PATTERN}-read-key-data"}
    read_receipt = {s: f"{PATTERN}-read-{s}-receipt" for s in ("store", "key")}
    read_result = {s: f"{PATTERN}-read-{s}-result" for s in ("store", "key")}
    read_compare = f"{PATTERN}-read-compare"


accepts({
    (ids.points, "value"): one_of(*APPEND_CHOICES),
    (ids.append, "n_clicks"): clicks(),
    **{(ids.grow_length[s], "data"): nullable(whole(BASE_POINTS, MAX_POINTS)) for s in SIDES},
    (ids.unit, "value"): one_of(*UNITS),
    (ids.read_rows, "value"): one_of(*TABLE_ROWS),
    (ids.read_region, "value"): one_of(*REGIONS),
    (ids.read_data["store"], "data"): records(COLUMNS, max(TABLE_ROWS)),
    (ids.read_data["key"], "data"): record(rows=one_of(*TABLE_ROWS)),
})


def layout(**_kwargs):
    return lesson_layout(
        __name__,
        question=_("Same result, fewer bytes: send only what changed."),
        lead=_("Three pairs of callbacks do the same job on the same data. Each pair differs in what crosses the "
               "network: the whole figure or a Patch, a round trip or none, a large store or its key. The meters "
               "measure the real HTTP bodies."),
        why=_("a callback's request carries the whole value of every input and state, and its response the whole "
              "value of every output, unless you send a Patch or run it in the browser."),
        cards=[explain(_("Patch: send the change"),
                       _("A dash.Patch describes an edit (extend this list, set that key) that the browser applies "
                         "to what it holds. Appending 100 points sends 100 points, not the 100,000 before them.")),
               explain(_("Clientside: no round trip"),
                       _("A callback that only reshapes what the page already holds can run in the browser, as "
                         "JavaScript: no request, no worker, no bytes, no waiting for the network.")),
               explain(_("A key, not the data"),
                       _("Every Input and State goes up whole. A callback that needs a little of a large store "
                         "should read a small store with a key, and let the server keep the data."))],
        try_steps=[(_("Click “Append to both” with 100 readings per click."),
                    _("the Patch side's “Sent down” is hundreds of times smaller; the ratio appears under the "
                      "graphs.")),
                   (_("Switch the unit between °C and °F a few times."),
                    _("the server callback's requests go up with every change; the clientside row stays at 0 and "
                      "the timeline shows no call for it.")),
                   (_("Pick another region, then 50,000 rows."),
                    _("the whole-store side uploads the table for every question; the key side a few hundred bytes."))],
        demo=[
            grow_demo(ids, create_code_view(grow_whole, grow_patch, title=_("The two callbacks, as they run"))),
            unit_demo(ids, [create_code_view(convert_server, title=_("The server callback, as it runs")),
                            js_code_view("toUnit", "convert", title=_("The clientside callback, as your browser "
                                                                      "runs it"))]),
            read_demo(ids, create_code_view(load_store, read_from_store, load_key, read_from_key,
                                            title=_("The four callbacks, as they run"))),
        ],
        timeline=Timeline(PATTERN),
        code=create_code_view(points, next_length, extension, table_from_cache, region_summary,
                              title=_("The plain functions the callbacks call")),
        takeaways=[
            _("Measure first: the meters show which callbacks move the bytes."),
            _("For a figure that grows or changes a little, return a dash.Patch: only the change goes down. The "
              "browser must already hold the figure."),
            _("For a change only the display needs, a clientside callback makes no request at all."),
            _("Every Input and State travels whole: give a callback small stores, and keep large data on the "
              "server under a key."),
        ],
        check=self_check_questions(),
    )


# -- 1. a figure that grows: the whole figure, or a Patch ------------------------------------------


@callback(
    Output(ids.grow_receipt["whole"], "data"),
    Output(ids.grow_graph["whole"], "figure"),
    Output(ids.grow_length["whole"], "data"),
    Input(ids.append, "n_clicks"),
    State(ids.grow_length["whole"], "data"),
    State(ids.points, "value"),
)
def grow_whole(_clicks, length, append):
    new_length, kind = next_length(length, append)
    count_update("whole")
    return grow_receipt("whole", kind, new_length, append), series_figure(new_length), new_length


@callback(
    Output(ids.grow_receipt["patch"], "data"),
    Output(ids.grow_graph["patch"], "figure"),
    Output(ids.grow_length["patch"], "data"),
    Input(ids.append, "n_clicks"),
    State(ids.grow_length["patch"], "data"),
    State(ids.points, "value"),
)
def grow_patch(_clicks, length, append):
    new_length, kind = next_length(length, append)
    count_update("patch")
    if kind == "load":  # the browser holds no figure yet (or starts again): send it whole, once
        return grow_receipt("patch", kind, new_length, append), series_figure(new_length), new_length
    x, y = extension(length, new_length)
    patched = Patch()
    patched["data"][0]["x"].extend(x)  # only the new readings travel
    patched["data"][0]["y"].extend(y)
    return grow_receipt("patch", kind, new_length, append), patched, new_length


clientside_callback(
    ClientsideFunction("send_less", "growCompare"),
    Output(ids.grow_compare, "children"),
    Input(shell_ids.SNAPSHOT, "data"),
    *[Input(ids.grow_receipt[s], "data") for s in SIDES],
)


# -- 2. a display-only change: a server round trip, or the browser ----------------------------------


@callback(Output(ids.unit_graph["server"], "figure"), Input(ids.unit, "value"), prevent_initial_call=True)
def convert_server(unit):
    return convert_on_server(unit)  # a request, a worker, the figure down again


clientside_callback(
    ClientsideFunction("send_less", "toUnit"),  # assets/send-less.js: no request at all
    Output(ids.unit_graph["client"], "figure"),
    Output(ids.unit_count, "data"),
    Input(ids.unit, "value"),
    State(ids.unit_readings, "data"),
    State(ids.unit_graph["client"], "figure"),
    State(ids.unit_count, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("send_less", "unitProof"),
    Output(ids.unit_proof, "children"),
    Input(shell_ids.SNAPSHOT, "data"),
    Input(ids.unit_count, "data"),
)


# -- 3. a large store as input, or a key ------------------------------------------------------------


@callback(Output(ids.read_data["store"], "data"), Input(ids.read_rows, "value"))
def load_store(rows):
    return to_records(sales_table(rows, "store"))  # the whole table into the browser


@callback(
    Output(ids.read_receipt["store"], "data"),
    Output(ids.read_result["store"], "children"),
    Input(ids.read_region, "value"),
    Input(ids.read_data["store"], "data"),  # the whole table comes up with every question
)
def read_from_store(region, table):
    with refusing(ValueError, TypeError, KeyError, what="the table"):
        summary = region_summary(from_records(table), region)
    return read_receipt("store", summary), summary_text(summary)


@callback(Output(ids.read_data["key"], "data"), Input(ids.read_rows, "value"))
def load_key(rows):
    table_from_cache(cache, rows)  # the server keeps the table under its key
    return {"rows": rows}  # the browser keeps only the key


@callback(
    Output(ids.read_receipt["key"], "data"),
    Output(ids.read_result["key"], "children"),
    Input(ids.read_region, "value"),
    Input(ids.read_data["key"], "data"),  # a few bytes come up
)
def read_from_key(region, key):
    summary = region_summary(table_from_cache(cache, key["rows"]), region)
    return read_receipt("key", summary), summary_text(summary)


clientside_callback(
    ClientsideFunction("send_less", "readCompare"),
    Output(ids.read_compare, "children"),
    Input(shell_ids.SNAPSHOT, "data"),
    *[Input(ids.read_receipt[s], "data") for s in ("store", "key")],
)
