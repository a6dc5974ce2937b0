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

import datetime as dt
import hashlib
import os
import secrets
import time
import zlib

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
import pyarrow
from dash import Input, Output, State, callback, dcc, html

from components.code_view import create_code_view
from components.lesson import explain, lesson_header, section, takeaways
from components.meters import MeterPanel
from components.timeline import Timeline
from lab import sessions
from lab.datasets import session_frame
from lab.guard import authorize
from lab.instrument import expensive_step, simulate_work, timed
from lab.serialization import ARROW, CODECS, JSON, codec_named, round_trip, timed_call
from lab.session_store import DEFAULT_MAX_BYTES, Stored, get_or_compute, session_store_for
from lab.settings import get_settings
from lab.singleflight import COMPUTED, DEGRADED, HIT, WAITED, locker_for

PATTERN = "session-cache"

dash.register_page(
    __name__, path="/session-cache", name="Per-session server cache", order=6, lesson=6, nav_label="Sessions",
    pattern=PATTERN, title="Per-session data on the server",
    description="Data keyed by a signed session id: computed once per session, isolated, bounded; "
                "Arrow against JSON.",
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
    forge = {kind: f"{PATTERN}-forge-{kind}" for kind in ("tampered", "made-up", "spliced")}
    forged = f"{PATTERN}-forged"
    serial_run = f"{PATTERN}-serial-run"
    serial = f"{PATTERN}-serial"
    inspect = f"{PATTERN}-inspect"
    fill = f"{PATTERN}-inspect-fill"
    inspector = f"{PATTERN}-inspector"


SESSION_PURPOSE = "session-cache"
SIZES = [1_000, 10_000, 100_000, 1_000_000]
STAND_IN_ROWS = 100
FORGERIES = {"tampered": "Your id, one character changed", "made-up": "A made-up id",
             "spliced": "Another session's id, your signature"}


# -- plain functions (unit-tested) ---------------------------------------------------------------


def seed_of(session: str) -> int:
    return zlib.crc32(session.encode())


def compute_entry(session: str, rows: int, codec: str, previous: Stored | None, step: str = "session-data") -> Stored:
    """The expensive step for one session: its DataFrame (seeded by the session, stamped with its
    first request's time), serialized with `codec`."""
    created = previous.meta["created"] if previous else time.time()
    with expensive_step(PATTERN, step):
        simulate_work()
        frame = session_frame(rows, seed_of(session), dt.datetime.fromtimestamp(created))
    with timed("serialize"):
        payload, encode_ms = timed_call(codec_named(codec).encode, frame)
    return Stored(payload, {"rows": rows, "codec": codec, "created": created, "encode_ms": round(encode_ms, 2),
                            "pid": os.getpid(), "at": time.time()})


def read_session(token, rows: int, codec: str, step: str = "session-data") -> dict:
    """The session's data, computed at most once at a time across every worker; raises
    sessions.InvalidSession for an id this server did not sign."""
    session = sessions.verify(get_settings().secret_key, token, purpose=SESSION_PURPOSE)
    settings = get_settings()
    flight = get_or_compute(
        session_store_for(settings), locker_for(settings), session,
        fresh=lambda entry: entry.meta.get("rows") == rows and entry.meta.get("codec") == codec,
        compute=lambda previous: compute_entry(session, rows, codec, previous, step),
    )
    meta = flight.entry.meta
    with timed("serialize"):
        frame, decode_ms = timed_call(codec_named(meta["codec"]).decode, flight.entry.payload)
    return {"session": session, "frame": frame, "meta": meta, "bytes": len(flight.entry.payload),
            "decode_ms": decode_ms, "source": flight.source, "evicted_before": flight.evicted_before,
            "kept": flight.kept, "pid": os.getpid()}


def checksum(frame: pd.DataFrame) -> str:
    """A short digest of what a callback read: equal digests, equal data."""
    return hashlib.blake2b(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes(), digest_size=4).hexdigest()


def forge(kind: str, token: str) -> str:
    """A session id this server did not issue, made the ways an attacker would try."""
    session, _, signature = (token or "").partition(".")
    if kind == "tampered":
        return f"{session}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    if kind == "spliced":
        someone = sessions.mint(get_settings().secret_key, purpose=SESSION_PURPOSE).split(".")[0]
        return f"{someone}.{signature}"
    made_up = sessions.mint("not this server's secret key", purpose=SESSION_PURPOSE)
    return made_up


def mask(session: str, mine: str | None) -> str:
    """How the inspector names a session: yours in full, others' masked."""
    return f"you · {session[:6]}…" if session == mine else f"{session[:2]}{'•' * 6}"


def fill_store(count: int) -> int:
    """Store `count` small stand-in sessions (not computed, to be quick): the least recently used
    sessions are evicted to make room. Returns how many were evicted."""
    store = session_store_for(get_settings())
    created = time.time()
    payload = ARROW.encode(session_frame(STAND_IN_ROWS, 0, dt.datetime.fromtimestamp(created)))
    evicted = 0
    for _ in range(count):
        result = store.put(f"stand-in-{secrets.token_urlsafe(12)}", payload,
                           {"rows": STAND_IN_ROWS, "codec": "arrow", "created": created, "stand_in": True})
        evicted += len(result.evicted)
    return evicted


# -- views ------------------------------------------------------------------------------------------


def megabytes(n: int) -> str:
    return f"{n / 1e6:,.2f} MB" if n >= 100_000 else f"{n / 1e3:,.1f} KB"


def ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


HOW = {HIT: "read from the server", COMPUTED: "computed (first request)", WAITED: "waited for the other output, then read",
       DEGRADED: "computed without the store (Redis unreachable)", "gave-up": "gave up waiting: computed"}


def refused(exc: Exception, sent: str | None = None) -> html.Div:
    return html.Div([html.Strong("Refused: "), f"{exc}. Nothing was read or computed.",
                     html.Div(["sent ", html.Code(sent)], className="session-cache-sent") if sent else None],
                    className="session-cache-refused")


def notices(read: dict) -> list:
    found = []
    if read["evicted_before"]:
        found.append(html.Div(f"This session's data had been evicted (the server keeps {get_settings().max_sessions} "
                              "sessions, least recently used first), so it was computed again.",
                              className="session-cache-notice"))
    if not read["kept"]:
        why = ("Redis is unreachable" if read["source"] == DEGRADED
               else "every other stored session is in use by a request right now")
        found.append(html.Div(f"Not kept on the server: {why}. The next request computes again.",
                              className="session-cache-notice"))
    return found


def facts(read: dict) -> html.Div:
    meta = read["meta"]
    created = dt.datetime.fromtimestamp(meta["created"])
    cells = [("created", f"{created:%H:%M:%S}.{created.microsecond // 1000:03d}"),
             ("checksum", checksum(read["frame"])), ("rows", f"{meta['rows']:,}")]
    return html.Div([html.Div([html.Div(label, className="lab-meter-label"),
                               html.Div(value, className=f"session-cache-fact-value session-cache-{label}")],
                              className="lab-meter") for label, value in cells], className="session-cache-facts")


def wire(read: dict) -> html.Div:
    meta = read["meta"]
    return html.Div(f"stored as {codec_named(meta['codec']).label} · {megabytes(read['bytes'])} · encoded in "
                    f"{ms(meta['encode_ms'])} · decoded here in {ms(read['decode_ms'])}", className="lab-figure-note")


def output_view(number: int, token, rows: int, codec: str, clicks: int | None):
    try:
        read = read_session(token, rows, codec)
    except sessions.InvalidSession as exc:
        return refused(exc)
    frame = read["frame"]
    if number == 1:
        head = frame.head(5)
        body = html.Table([html.Thead(html.Tr([html.Th(c) for c in head.columns])),
                           html.Tbody([html.Tr([html.Td(f"{v:.4f}" if isinstance(v, float) else str(v)) for v in row])
                                       for row in head.itertuples(index=False)])],
                          className="table table-sm session-cache-table")
    else:
        sample = frame.head(300)
        fig = go.Figure(go.Scatter(x=sample["time"], y=sample["value"], mode="lines", line={"width": 2}))
        fig.update_layout(height=170, margin={"l": 40, "r": 10, "t": 6, "b": 30}, plot_bgcolor="#fbfcfe")
        body = dcc.Graph(figure=fig, config={"displayModeBar": False})
    return html.Div([
        html.Div([html.Span(f"Output {number}", className="session-cache-out-title"),
                  html.Span(f"worker {read['pid']} · {HOW[read['source']]}", className="session-cache-out-how")],
                 className="session-cache-out-head"),
        *notices(read), facts(read), body, wire(read),
        html.Div(f"“Get data” clicked {clicks or 0} time{'s' if clicks != 1 else ''}", className="lab-figure-note"),
    ], className="session-cache-out")


def serial_table(rows: int, measured: list) -> html.Div:
    by = {m.codec: m for m in measured}
    json_, arrow = by["json"], by["arrow"]
    header = html.Tr([html.Th(h) for h in ("Serializer", "Size", "Encode", "Decode", "Round trip", "Exact?")])
    body = [html.Tr([html.Td(codec_named(m.codec).label), html.Td(megabytes(m.nbytes)), html.Td(ms(m.encode_ms)),
                     html.Td(ms(m.decode_ms)), html.Td(html.Strong(ms(m.total_ms))),
                     html.Td("✓ identical" if m.exact else html.Ul([html.Li(d) for d in m.differences]))],
                    className="session-cache-good" if m.exact else "session-cache-bad")
            for m in (json_, arrow)]
    ratio = json_.total_ms / max(arrow.total_ms, 1e-6)
    return html.Div([
        html.Div([html.Span(f"{ratio:,.0f}×", className="session-cache-ratio"),
                  f" faster with Arrow IPC, {json_.nbytes / max(arrow.nbytes, 1):.1f}× smaller, on your session's "
                  f"{rows:,} rows (a datetime, two floats, a category), measured just now on worker {os.getpid()}"],
                 className="session-cache-ratio-line"),
        html.Table([html.Thead(header), html.Tbody(body)], className="table session-cache-serial-table"),
    ])


def inspector_view(mine: str | None) -> html.Div:
    settings = get_settings()
    store = session_store_for(settings)
    entries, stats = store.entries(), store.stats()
    now = time.time()
    rows = [html.Tr([html.Td(html.Code(mask(e.session, mine))), html.Td(megabytes(e.size)),
                     html.Td(f"{e.meta.get('rows', 0):,} · {e.meta.get('codec', '?')}" + (" · stand-in" if e.meta.get("stand_in") else "")),
                     html.Td(f"{now - e.meta.get('created', e.stored_at):,.0f} s"), html.Td(f"{now - e.used_at:,.0f} s"),
                     html.Td("in use" if e.leased else "")],
                    className="session-cache-mine" if e.session == mine else None)
            for e in reversed(entries)]
    return html.Div([
        html.Div([html.Span(f"{stats['sessions']} of {store.max_sessions}", className="session-cache-ratio"),
                  f" sessions stored (MAX_SESSIONS) · {megabytes(stats['bytes'])} · {stats['evictions']:,} evicted so far · "
                  f"{store.kind} store"], className="session-cache-ratio-line"),
        html.Div(html.Table([
            html.Thead(html.Tr([html.Th(h) for h in ("Session", "Size", "Rows · serializer", "Age", "Idle", "")])),
            html.Tbody(rows or [html.Tr(html.Td("The store is empty.", colSpan=6, className="lab-muted"))]),
        ], className="table table-sm session-cache-inspector-table"), className="session-cache-inspector-scroll"),
    ])


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
    read = read_session(token, rows, codec, step="another-session")
    return html.Div([
        html.Div([html.Span(f"Session {read['session'][:6]}…", className="session-cache-out-title"),
                  html.Span(f"worker {read['pid']} · {HOW[read['source']]}", className="session-cache-out-how")],
                 className="session-cache-out-head"),
        facts(read), wire(read),
    ], className="session-cache-out session-cache-other-out"), token


@callback(Output(ids.forged, "children"), *[Input(i, "n_clicks") for i in ids.forge.values()],
          State(ids.token, "data"), State(ids.rows, "value"), State(ids.codec, "value"), prevent_initial_call=True)
def try_a_forged_id(*args):
    token, rows, codec = args[-3:]
    kind = dash.ctx.triggered_id.removeprefix(f"{PATTERN}-forge-")
    forged = forge(kind, token)
    try:
        read = read_session(forged, rows, codec)
    except sessions.InvalidSession as exc:
        return refused(exc, forged)
    return html.Div(f"Accepted?! It read session {read['session'][:6]}. This must never happen.",
                    className="session-cache-notice")


@callback(Output(ids.serial, "children"), Input(ids.serial_run, "n_clicks"), State(ids.token, "data"),
          State(ids.rows, "value"), prevent_initial_call=True)
def compare_serializers(_clicks, token, rows):
    try:
        session = sessions.verify(get_settings().secret_key, token, purpose=SESSION_PURPOSE)
    except sessions.InvalidSession as exc:
        return refused(exc)
    stored = session_store_for(get_settings()).get(session)
    created = stored.meta["created"] if stored else time.time()
    frame = session_frame(rows, seed_of(session), dt.datetime.fromtimestamp(created))  # the session's frame, rebuilt
    with timed("serialize"):
        measured = [round_trip(frame, codec)[0] for codec in (JSON, ARROW)]
    return serial_table(rows, measured)


@callback(Output(ids.inspector, "children"), Input(ids.inspect, "n_clicks"), Input(ids.fill, "n_clicks"),
          State(ids.token, "data"), State("lab-workers-token", "value"), prevent_initial_call=True)
def inspect_the_store(_refresh, _fill, token, instructor_token):
    refusal = authorize(get_settings(), instructor_token)
    if refusal:
        return html.Div(refusal, className="session-cache-refused")
    note = None
    if dash.ctx.triggered_id == ids.fill:
        count = get_settings().max_sessions
        evicted = fill_store(count)
        note = html.Div(f"Stored {count} stand-in sessions; {evicted} sessions were evicted to make room. "
                        "Now press “Get data”.", className="session-cache-notice")
    mine = sessions.verify_or_none(get_settings().secret_key, token, purpose=SESSION_PURPOSE)
    return [note, inspector_view(mine)]


# -- layout -------------------------------------------------------------------------------------------


def _controls(token: str):
    return html.Div(
        [
            html.Div([html.Label("Your session"),
                      html.Div(html.Code(f"{token.split('.')[0][:6]}…"), className="session-cache-id")]),
            html.Div([html.Label("Rows", htmlFor=ids.rows),
                      dcc.Dropdown(id=ids.rows, options=[{"label": f"{n:,}", "value": n} for n in SIZES],
                                   value=SIZES[0], clearable=False, style={"minWidth": "10rem"})]),
            html.Div([html.Label("Serializer", htmlFor=ids.codec),
                      dbc.RadioItems(id=ids.codec, options=[{"label": c.label, "value": c.name} for c in CODECS.values()],
                                     value="arrow", inline=True, className="btn-group lab-toggle",
                                     inputClassName="btn-check", labelClassName="btn btn-outline-primary",
                                     labelCheckedClassName="active")]),
            dbc.Button("Get data", id=ids.get, n_clicks=0, color="primary"),
            html.Div(["Open ", html.A("this page in a new tab", href=f"/{PATTERN}", target="_blank"),
                      ": a new page load is a new session, with its own data."], className="lab-figure-note"),
        ],
        className="lab-card lab-controls",
    )


def layout(**_kwargs):
    settings = get_settings()
    token = sessions.mint(settings.secret_key, purpose=SESSION_PURPOSE)  # a new session on every page load
    return html.Div(
        [
            lesson_header(__name__, "Each session's data on the server: computed once, isolated, bounded",
                          ["This page load has its own session. Its data is made at its first request and kept on "
                           "the server under the session's id. Two outputs read it, on different workers."]),
            dbc.Row([
                dbc.Col(explain("A session id per page load",
                                ["The layout mints an id for this page load and keeps it in a ", html.Code("dcc.Store"),
                                 ". The server signs it: it never accepts an id it did not issue, so nobody can pick "
                                 "an id (session fixation) or guess another session's."]), lg=4),
                dbc.Col(explain("Data keyed by the session",
                                ["Callbacks send the id; the server keeps the session's DataFrame under it. Two "
                                 "callbacks that need it at the same moment would both compute it: a lock per session "
                                 "makes the first compute and the second wait, so both show the same data."]), lg=4),
                dbc.Col(explain("Bounded, least recently used first",
                                [f"The server keeps at most {settings.max_sessions} sessions (MAX_SESSIONS) and "
                                 f"{DEFAULT_MAX_BYTES / 1e9:g} GB of data. A new one "
                                 "evicts the least recently used, never one a request is using. An evicted session "
                                 "is computed again on its next request, and says so."]), lg=4),
            ], className="g-3"),
            section("Try it"),
            _controls(token),
            dcc.Store(id=ids.token, data=token),
            html.Div(MeterPanel(PATTERN, scope=f"{PATTERN}-out", steps=["session-data"],
                                title="Meters: the two outputs", step_label="Session data computed"), className="mt-3"),
            dbc.Row([dbc.Col(dcc.Loading(html.Div(id=ids.out_1), type="dot", delay_show=400), lg=6),
                     dbc.Col(dcc.Loading(html.Div(id=ids.out_2), type="dot", delay_show=400), lg=6)],
                    className="g-3 mt-1"),
            html.Div(Timeline(PATTERN, scope=f"{PATTERN}-out"), className="mt-3"),
            section("Another session"),
            html.Div([
                html.P("A second session, started from here, has its own id and so its own data: another checksum, "
                       "another first request.", className="lab-muted"),
                dbc.Button("Start another session", id=ids.other_start, n_clicks=0, color="primary", outline=True),
                dcc.Loading(html.Div(id=ids.other, className="mt-3"), type="dot"),
                dcc.Store(id=ids.other_token),
            ], className="lab-card"),
            section("Forged ids are refused"),
            html.Div([
                html.P("Send your request with an id this server did not issue. The signature check refuses it before "
                       "any data is read or computed.", className="lab-muted"),
                html.Div([dbc.Button(label, id=ids.forge[kind], n_clicks=0, color="danger", outline=True)
                          for kind, label in FORGERIES.items()], className="session-cache-forge-buttons"),
                html.Div(id=ids.forged, className="mt-3"),
            ], className="lab-card"),
            section("JSON or Apache Arrow?"),
            html.Div([
                html.P(["The session's data is stored serialized. JSON is what the reference example uses; Apache Arrow "
                        "IPC writes the columns as they are, with their types. Measure both on your session's DataFrame "
                        "(pick 1,000,000 rows above for the full effect)."], className="lab-muted"),
                dbc.Button("Measure both on my session's data", id=ids.serial_run, n_clicks=0, color="primary", outline=True),
                dcc.Loading(html.Div(id=ids.serial, className="mt-3"), type="dot"),
                html.P([f"The reference also suggests Plasma for small DataFrames. Plasma was deprecated in pyarrow 10 and "
                        f"removed in pyarrow 12 (this server runs pyarrow {pyarrow.__version__}); Arrow IPC, shown here, "
                        "is the format it held in memory."], className="lab-figure-note mt-2 mb-0"),
            ], className="lab-card"),
            section("Cache inspector (instructor)"),
            html.Div([
                html.P("What the server stores, as every worker sees it. Other sessions' ids are masked.", className="lab-muted"),
                html.Div([dbc.Button("Refresh", id=ids.inspect, n_clicks=0, color="secondary", outline=True),
                          dbc.Button(f"Fill the store with {settings.max_sessions} stand-in sessions", id=ids.fill,
                                     n_clicks=0, color="warning", outline=True)], className="session-cache-forge-buttons"),
                dcc.Loading(html.Div(html.P("Press Refresh to list what the server stores now.", className="lab-muted mb-0"),
                                     id=ids.inspector, className="mt-3"), type="dot"),
            ], className="lab-card"),
            section("The code"),
            create_code_view(show_output_1, read_session, compute_entry, open=True),
            html.Div(takeaways(
                "Mint a session id per page load on the server, sign it, keep it in a dcc.Store; never trust an id the "
                "server did not sign.",
                "Key the session's data by that id on the server, and lock per session so that callbacks firing together "
                "compute it once.",
                "Bound what you keep (least recently used first, never what a request is using), and make an evicted "
                "session recompute rather than fail.",
                "Serialize DataFrames with Apache Arrow: exact, smaller, and orders of magnitude faster than JSON.",
            ), className="mt-3"),
        ],
        id=PATTERN,
    )
