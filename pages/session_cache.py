"""Lesson 6: per-session data on the server.

Each page load gets its own session id, minted and signed by the server and kept in a
dcc.Store. The session's data (a DataFrame made at its first request) lives on the server,
keyed by that id: two output callbacks read it, so it must be computed once per session even
when they run at the same moment on two workers (a lock per session). Sessions are isolated
(another session has other data; a forged or tampered id reads nothing), and the store is
bounded (MAX_SESSIONS, least recently used first, never one in use). How the DataFrame is
serialized matters: Apache Arrow IPC against JSON, measured on the session's own data.
"""

from __future__ import annotations

import time

import dash
import dash_bootstrap_components as dbc
import pyarrow
from dash import Input, Output, State, callback, dcc, html

from components import worker_strip
from components.code_view import create_code_view
from components.lesson import explain, lesson_layout, toggle
from components.meters import MeterPanel
from components.session_cache_views import (inspector_view, other_session_view, output_view, refused,
                                            self_check_questions,
                                            serial_table)
from components.timeline import Timeline
from lab import sessions
from lab.guard import authorize
from lab.i18n import N_, _, decimal, later, localize
from lab.instrument import timed
from lab.serialization import ARROW, CODECS, JSON, round_trip
from lab.session_cache import (FORGERIES, JSON_MAX_ROWS, PATTERN, SESSION_PURPOSE, SIZES, compute_entry, fill_store, forge,
                               frame_of, read_session)
from lab.session_store import DEFAULT_MAX_BYTES, session_store_for
from lab.schema import accepts, clicks, one_of, token
from lab.settings import get_settings

dash.register_page(
    __name__, path="/session-cache", name=N_("Per-session server cache"), order=6, lesson=6,
    nav_label=N_("Sessions"), pattern=PATTERN, title=later("Per-session data on the server"),
    description=N_("Data keyed by a signed session id: computed once per session, isolated, bounded; "
                   "Arrow against JSON."),
)


class ids:
    token = f"{PATTERN}-token"
    rows = f"{PATTERN}-rows"
    codec = f"{PATTERN}-codec"
    get = f"{PATTERN}-get"
    out_1 = f"{PATTERN}-out-1"
    out_2 = f"{PATTERN}-out-2"
    other_start = f"{PATTERN}-other-start"
    other = f"{PATTERN}-other"
    other_token = f"{PATTERN}-other-token"
    forge = {kind: f"{PATTERN}-forge-{kind}" for kind in FORGERIES}
    forged = f"{PATTERN}-forged"
    serial_run = f"{PATTERN}-serial-run"
    serial = f"{PATTERN}-serial"
    inspect = f"{PATTERN}-inspect"
    fill = f"{PATTERN}-inspect-fill"
    inspector = f"{PATTERN}-inspector"


accepts({
    (ids.token, "data"): token(),
    (ids.rows, "value"): one_of(*SIZES),
    (ids.codec, "value"): one_of(*CODECS),
    **{(button, "n_clicks"): clicks() for button in (ids.get, ids.other_start, ids.serial_run, ids.inspect, ids.fill,
                                                     *ids.forge.values())},
})


def layout(**_kwargs):
    settings = get_settings()
    token = sessions.mint(settings.secret_key, purpose=SESSION_PURPOSE)  # a new session on every page load
    return lesson_layout(
        __name__,
        question=_("Each session's data on the server: computed once, isolated, bounded"),
        lead=_("This page load has its own session. Its data is made at its first request and kept on the server "
               "under the session's id. Two outputs read it, on different workers."),
        why=_("a signed id per page load lets any worker find that session's data on the server, and nobody "
              "else's."),
        cards=[explain(_("A session id per page load"),
                       _("The layout mints an id for this page load and keeps it in a dcc.Store. The server signs "
                         "it: it never accepts an id it did not issue, so nobody can pick an id (session fixation) "
                         "or guess another session's.")),
               explain(_("Data keyed by the session"),
                       _("Callbacks send the id; the server keeps the session's DataFrame under it. Two callbacks "
                         "that need it at the same moment would both compute it: a lock per session makes the first "
                         "compute and the second wait, so both show the same data.")),
               explain(_("Bounded, least recently used first"),
                       _("The server keeps at most %(sessions)s sessions (MAX_SESSIONS) and %(size)s GB of data. A new "
                         "one evicts the least recently used, never one a request is using. An evicted session is "
                         "computed again on its next request, and says so.", sessions=settings.max_sessions,
                         size=localize(f"{DEFAULT_MAX_BYTES / 1e9:g}")))],
        try_steps=[(_("Watch the page load, then press “Get data”."),
                    _("on load one output computes and the other waits for it; “Get data” only reads: the step "
                      "count stays and the checksums match.")),
                   (_("Start another session, then try the three forged ids."),
                    _("another checksum for the other session; every forged id is refused before anything runs.")),
                   (_("Pick 1,000,000 rows and measure both serializers."),
                    _("Arrow IPC is hundreds of times faster than JSON, and exact."))],
        demo=[
            _controls(token),
            dcc.Store(id=ids.token, data=token),
            html.Div(MeterPanel(PATTERN, scope=f"{PATTERN}-out", steps=["session-data"],
                                title=_("Meters: the two outputs"), step_label=_("Session data computed")),
                     className="mt-3"),
            dbc.Row([dbc.Col(dcc.Loading(html.Div(id=out), type="dot", delay_show=400), lg=6)
                     for out in (ids.out_1, ids.out_2)], className="g-3 mt-1"),
        ],
        timeline=Timeline(PATTERN, scope=f"{PATTERN}-out"),
        sections=[
            (_("Another session"), html.Div([
                html.P(_("A second session, started from here, has its own id and so its own data: another "
                         "checksum, another first request."), className="lab-muted"),
                dbc.Button(_("Start another session"), id=ids.other_start, n_clicks=0, color="primary", outline=True),
                dcc.Loading(html.Div(id=ids.other, className="mt-3"), type="dot"),
                dcc.Store(id=ids.other_token),
            ], className="lab-card")),
            (_("Forged ids are refused"), html.Div([
                html.P(_("Send your request with an id this server did not issue. The signature check refuses it "
                         "before any data is read or computed."), className="lab-muted"),
                html.Div([dbc.Button(_(label), id=ids.forge[kind], n_clicks=0, color="danger", outline=True)
                          for kind, label in FORGERIES.items()], className="session-cache-forge-buttons"),
                html.Div(id=ids.forged, className="mt-3"),
            ], className="lab-card")),
            (_("JSON or Apache Arrow?"), html.Div([
                html.P(_("The session's data is stored serialized. JSON is what the reference example uses; Apache "
                         "Arrow IPC writes the columns as they are, with their types. Measure both on your session's "
                         "DataFrame (pick 1,000,000 rows above for the full effect)."), className="lab-muted"),
                dbc.Button(_("Measure both on my session's data"), id=ids.serial_run, n_clicks=0, color="primary",
                           outline=True),
                dcc.Loading(html.Div(id=ids.serial, className="mt-3"), type="dot"),
                html.P(_("The reference also suggests Plasma for small DataFrames. Plasma was deprecated in pyarrow 10 "
                         "and removed in pyarrow 12 (this server runs pyarrow %(version)s); Arrow IPC, shown here, is "
                         "the format it held in memory.", version=pyarrow.__version__),
                       className="lab-figure-note mt-2 mb-0"),
            ], className="lab-card")),
            (_("Cache inspector (instructor)"), html.Div([
                html.P(_("What the server stores, as every worker sees it. Other sessions' ids are masked."),
                       className="lab-muted"),
                html.Div([dbc.Button(_("Refresh"), id=ids.inspect, n_clicks=0, color="secondary", outline=True),
                          dbc.Button(_("Fill the store with %(count)s stand-in sessions", count=settings.max_sessions),
                                     id=ids.fill, n_clicks=0, color="danger", outline=True)],
                         className="session-cache-forge-buttons"),
                dcc.Loading(html.Div(html.P(_("Press Refresh to list what the server stores now."),
                                            className="lab-muted mb-0"), id=ids.inspector, className="mt-3"), type="dot"),
            ], className="lab-card")),
        ],
        code=create_code_view(show_output_1, read_session, compute_entry, open=True),
        takeaways=[
            _("Mint a session id per page load on the server, sign it, keep it in a dcc.Store; never trust an id "
              "the server did not sign."),
            _("Key the session's data by that id on the server, and lock per session so that callbacks firing "
              "together compute it once."),
            _("Bound what you keep (least recently used first, never what a request is using), and make an evicted "
              "session recompute rather than fail."),
            _("Serialize DataFrames with Apache Arrow: exact, smaller, and orders of magnitude faster than JSON."),
        ],
        check=self_check_questions(),
    )


def _controls(token: str):
    return html.Div([
        html.Div([html.Div(_("Your session"), className="lab-label"),
                  html.Div(html.Code(f"{token.split('.')[0][:6]}…"), className="session-cache-id")]),
        html.Div([html.Div(_("Rows"), id=f"{ids.rows}-label", className="lab-label"),
                  html.Div(toggle(ids.rows, {n: decimal(n) for n in SIZES}, SIZES[0]), role="group",
                           **{"aria-labelledby": f"{ids.rows}-label"})]),
        html.Div([html.Div(_("Serializer"), id=f"{ids.codec}-label", className="lab-label"),
                  html.Div(toggle(ids.codec, {c.name: c.label for c in CODECS.values()}, "arrow"), role="group",
                           **{"aria-labelledby": f"{ids.codec}-label"}),
                  html.Div(_("JSON up to %(rows)s rows", rows=decimal(JSON_MAX_ROWS)), className="lab-figure-note")]),
        dbc.Button(_("Get data"), id=ids.get, n_clicks=0, color="primary"),
        html.Div([_("Open this page in a new tab:"), " ",
                  html.A(_("a new page load is a new session, with its own data."), href=f"/{PATTERN}",
                         target="_blank")], className="lab-figure-note"),
    ], className="lab-card lab-controls")


# -- the two outputs: both read the session's data ----------------------------------------------


@callback(Output(ids.out_1, "children"), Input(ids.get, "n_clicks"), Input(ids.token, "data"),
          Input(ids.rows, "value"), Input(ids.codec, "value"))
def show_output_1(clicks, token, rows, codec):
    return output_view(1, token, rows, codec, clicks)


@callback(Output(ids.out_2, "children"), Input(ids.get, "n_clicks"), Input(ids.token, "data"),
          Input(ids.rows, "value"), Input(ids.codec, "value"))
def show_output_2(clicks, token, rows, codec):
    return output_view(2, token, rows, codec, clicks)


# -- another session, forged ids, serializers, the inspector ------------------------------------


@callback(Output(ids.other, "children"), Output(ids.other_token, "data"), Input(ids.other_start, "n_clicks"),
          State(ids.rows, "value"), State(ids.codec, "value"), prevent_initial_call=True)
def start_another_session(_clicks, rows, codec):
    token = sessions.mint(get_settings().secret_key, purpose=SESSION_PURPOSE)
    return other_session_view(read_session(token, rows, codec, step="another-session")), token


@callback(Output(ids.forged, "children"), *[Input(i, "n_clicks") for i in ids.forge.values()],
          State(ids.token, "data"), State(ids.rows, "value"), State(ids.codec, "value"), prevent_initial_call=True)
def try_a_forged_id(*args):
    token, rows, codec = args[-3:]
    forged = forge(dash.ctx.triggered_id.removeprefix(f"{PATTERN}-forge-"), token)
    try:
        read = read_session(forged, rows, codec)
    except sessions.InvalidSession as exc:
        return refused(exc, forged)
    return html.Div(_("Accepted?! It read session %(id)s. This must never happen.", id=read["session"][:6]),
                    className="session-cache-notice")


@callback(Output(ids.serial, "children"), Input(ids.serial_run, "n_clicks"), State(ids.token, "data"),
          State(ids.rows, "value"), prevent_initial_call=True)
def compare_serializers(_clicks, token, rows):
    try:
        session = sessions.verify(get_settings().secret_key, token, purpose=SESSION_PURPOSE)
    except sessions.InvalidSession as exc:
        return refused(exc)
    stored = session_store_for(get_settings()).get(session)
    frame = frame_of(session, rows, stored.meta["created"] if stored else time.time())  # the session's, rebuilt
    same = frame.head(JSON_MAX_ROWS)  # JSON past this would hold the worker for seconds
    with timed("serialize"):
        measured = [round_trip(same, codec)[0] for codec in (JSON, ARROW)]
        arrow_all = round_trip(frame, ARROW)[0] if len(frame) > len(same) else None
    return serial_table(rows, measured, arrow_all)


@callback(Output(ids.inspector, "children"), Input(ids.inspect, "n_clicks"), Input(ids.fill, "n_clicks"),
          State(ids.token, "data"), State(worker_strip.ids.token, "value"), prevent_initial_call=True)
def inspect_the_store(_refresh, _fill, token, instructor_token):
    refusal = authorize(get_settings(), instructor_token)
    if refusal:
        return html.Div(refusal, className="session-cache-refused")
    note = None
    if dash.ctx.triggered_id == ids.fill:
        count = get_settings().max_sessions
        note = html.Div(_("Stored %(count)s stand-in sessions; %(evicted)s sessions were evicted to make room. Now "
                          "press “Get data”.", count=count, evicted=fill_store(count)), className="session-cache-notice")
    mine = sessions.verify_or_none(get_settings().secret_key, token, purpose=SESSION_PURPOSE)
    return [note, inspector_view(mine)]
