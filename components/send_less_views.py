"""Lesson 7's views: the three comparisons (controls, the two sides with their meters, the page's
own measured line, the trade-offs, the code), the browser code shown as it is in its asset, and
the self-check. The page passes its ids and callbacks in, so what is shown is what runs."""

from __future__ import annotations

import re
from pathlib import Path

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.code_view import create_code_view
from components.lesson import section, side_by_side, toggle
from components.meters import MeterPanel
from components.workshop import Answer, Question
from lab.datasets import REGIONS
from lab.i18n import _, decimal
from lab.send_less import (APPEND_CHOICES, BASE_POINTS, DEFAULT_APPEND, DEFAULT_TABLE_ROWS, MAX_POINTS, PATTERN,
                           TABLE_ROWS, readings, unit_figure)

ASSET = Path(__file__).resolve().parent.parent / "assets" / "send-less.js"
GRAPH_CONFIG = {"displayModeBar": False}


def js_function(name: str) -> str:
    """The source of one function of assets/send-less.js, as the browser runs it."""
    text = ASSET.read_text()
    match = re.search(rf"^( *)function {re.escape(name)}\b.*?^\1\}}$", text, re.S | re.M)
    if not match:
        raise LookupError(f"no function {name} in {ASSET.name}")
    lines = match.group(0).splitlines()
    indent = len(match.group(1))
    return "\n".join(line[indent:] for line in lines)


def js_code_view(*names: str, title: str) -> html.Details:
    return html.Details([html.Summary([html.Span(title, className="lab-code-title"),
                                       html.Code(f"assets/{ASSET.name}", className="ms-2")]),
                         dcc.Markdown("```javascript\n" + "\n\n".join(js_function(n) for n in names) + "\n```",
                                      className="lab-code")], className="lab-code-view")


def _choice(id_, label, options, value, className=""):
    return html.Div([html.Div(label, id=f"{id_}-label", className="lab-label"),
                     html.Div(toggle(id_, options, value, className), role="group",
                              **{"aria-labelledby": f"{id_}-label"})])


def _meters(scope: str, steps: list[str], title: str, step_label: str) -> MeterPanel:
    return MeterPanel(PATTERN, scope=f"{PATTERN}-{scope}", steps=steps, title=title, step_label=step_label)


def _tradeoffs(*points) -> html.Div:
    return html.Div([html.Div(_("Trade-offs"), className="lab-meters-title"),
                     html.Ul([html.Li(p) for p in points], className="mb-0")], className="lab-card sl-tradeoffs mt-3")


def grow_demo(ids, code) -> html.Div:
    """1. A figure that grows: the whole figure against a Patch, on one click."""
    def side(name, title):
        return [_meters(f"grow-{name}", [f"grow-{name}"], title, _("Updates computed")),
                html.Div(dcc.Graph(id=ids.grow_graph[name], config=GRAPH_CONFIG), className="lab-graph")]
    return html.Div([
        section(_("1 · A figure that grows")),
        html.P(_("Each click adds readings to a series of %(base)s on both sides. The left callback returns the "
                 "whole figure; the right one returns a dash.Patch that only extends x and y.",
                 base=decimal(BASE_POINTS)), className="lab-muted"),
        html.Div([_choice(ids.points, _("Readings per click"), {n: decimal(n) for n in APPEND_CHOICES},
                          DEFAULT_APPEND),
                  html.Button(_("Append to both"), id=ids.append, className="btn btn-primary"),
                  html.Div(_("The series starts again at %(base)s once it would pass %(max)s.",
                             base=decimal(BASE_POINTS), max=decimal(MAX_POINTS)), className="lab-figure-note")],
                 className="lab-card lab-controls"),
        html.Div(side_by_side(side("whole", _("Meters: whole figure")), side("patch", _("Meters: Patch")),
                              _("Return the whole figure: every reading goes down again"),
                              _("Return a Patch: only the new readings go down")), className="mt-3"),
        html.Div(id=ids.grow_compare, className="lab-card sl-compare mt-3", role="status"),
        html.Div([dcc.Store(id=ids.grow_receipt[s]) for s in ids.grow_graph]
                 + [dcc.Store(id=ids.grow_length[s]) for s in ids.grow_graph]),
        _tradeoffs(_("A Patch only works on what the browser already holds: the page load, a reload or a new tab "
                     "still brings the whole figure down once."),
                   _("The server must know what the browser holds (here a small store with the length); if they "
                     "disagree, the Patch extends the wrong thing."),
                   _("The browser still redraws every point: a Patch saves the network and the server's "
                     "serialization, not the plotting.")),
        html.Div(code, className="mt-2"),
    ])


def unit_demo(ids, code) -> html.Div:
    """2. A display-only change: a server callback against a clientside one, from one control."""
    start = unit_figure(readings(), "C")
    def side(name, title, step_label):
        return [_meters(f"unit-{name}", [f"unit-{name}"], title, step_label),
                html.Div(dcc.Graph(id=ids.unit_graph[name], figure=start, config=GRAPH_CONFIG),
                         className="lab-graph")]
    return html.Div([
        section(_("2 · A change only the display needs")),
        html.P(_("Converting °C to °F needs no server data: the readings are already in the page. The left graph "
                 "asks a worker; the right one converts in your browser."), className="lab-muted"),
        html.Div(_choice(ids.unit, _("Unit (both graphs)"), {"C": "°C", "F": "°F"}, "C"),
                 className="lab-card lab-controls"),
        html.Div(side_by_side(side("server", _("Meters: server callback"), _("Conversions on a worker")),
                              side("client", _("Meters: clientside callback"), _("Conversions on a worker")),
                              _("Server callback: a request, a worker, bytes both ways"),
                              _("Clientside callback: no request, no worker, no bytes")), className="mt-3"),
        html.Div([html.Div(_("What reached the server (its own count) for the changes your browser counted"),
                           className="lab-meters-title"), html.Div(id=ids.unit_proof)],
                 className="lab-card sl-compare mt-3", role="status"),
        html.Div([dcc.Store(id=ids.unit_readings, data=readings()), dcc.Store(id=ids.unit_count, data=0)]),
        _tradeoffs(_("Clientside code is JavaScript: a second language to write and test."),
                   _("It only has what the page holds: no cache, no database, no secrets, nothing another user "
                     "computed."),
                   _("It runs on the learner's device: fine for a conversion, not for heavy work on a weak phone.")),
        html.Div(code, className="mt-2"),
    ])


def read_demo(ids, code) -> html.Div:
    """3. A callback that reads a large store, against one that reads a key."""
    def side(name, title, step_label):
        return [_meters(f"read-{name}", [f"table-{name}"], title, step_label),
                html.Div(html.Div(id=ids.read_result[name], className="sl-answer"), className="lab-card")]
    return html.Div([
        section(_("3 · A large store, or only its key")),
        html.P(_("Both callbacks answer the same question about a table of sales. The left one takes the table's "
                 "dcc.Store as an input, so the browser uploads it with every question. The right one takes a "
                 "small store holding a key; the server keeps the table under that key, in its cache."),
               className="lab-muted"),
        html.Div([_choice(ids.read_rows, _("Rows in the table"), {n: decimal(n) for n in TABLE_ROWS},
                          DEFAULT_TABLE_ROWS),
                  _choice(ids.read_region, _("Region"), {r: _(r) for r in REGIONS}, REGIONS[0])],
                 className="lab-card lab-controls"),
        html.Div(side_by_side(side("store", _("Meters: reads the whole store"), _("Table built")),
                              side("key", _("Meters: reads a key"), _("Table built")),
                              _("Read the store: the whole table goes up with every question"),
                              _("Read a key: a few hundred bytes go up, the server has the table")), className="mt-3"),
        html.Div(id=ids.read_compare, className="lab-card sl-compare mt-3", role="status"),
        html.Div([dcc.Store(id=ids.read_data["store"]), dcc.Store(id=ids.read_data["key"])]
                 + [dcc.Store(id=ids.read_receipt[s]) for s in ids.read_data]),
        _tradeoffs(_("The key needs the server to keep the data: memory or disk, an expiry, and a way to build it "
                     "again on a miss (here it is rebuilt from the key)."),
                   _("Data that differs per user needs a key per user (lesson 6), never a global."),
                   _("A store that only this callback reads is still fine small: measure before you move it.")),
        html.Div(code, className="mt-2"),
    ])


def self_check_questions() -> list[Question]:
    return [
        Question(_("A live graph gains 100 points a second and holds 100,000. What should the callback return?"), (
            Answer(_("A dash.Patch that extends the traces' x and y."), True,
                   _("Only the new points travel; the browser already holds the rest.")),
            Answer(_("The whole figure, so the browser is sure to be in sync."), False,
                   _("Every update then sends every point again: measured above, hundreds of times the bytes.")),
            Answer(_("The figure as State, appended and returned."), False,
                   _("Worse still: the whole figure goes up and comes down again with every update.")))),
        Question(_("Switching °C/°F in a clientside callback: what does the server see?"), (
            Answer(_("Nothing: no request, no worker, no bytes."), True,
                   _("The function runs in the browser on data the page already holds.")),
            Answer(_("A smaller request than a server callback's."), False,
                   _("There is no request at all: the server's own count stays at 0.")),
            Answer(_("One request per page load to fetch the JavaScript."), False,
                   _("The script comes with the page's assets; the callbacks themselves make no request.")))),
        Question(_("A callback needs one field of a 5 MB dcc.Store. What does its request carry?"), (
            Answer(_("All 5 MB: Dash sends the whole value of every Input and State."), True,
                   _("Keep the field in its own small store, or keep the data on the server under a key.")),
            Answer(_("Only the field the function reads."), False,
                   _("Dash cannot know which part your function reads: it sends the whole property.")),
            Answer(_("Nothing, if the store is State rather than Input."), False,
                   _("State travels just like Input; it only does not trigger the callback.")))),
    ]
