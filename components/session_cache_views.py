"""Lesson 6's views: each output's reading of the session's data, the serializers' comparison,
and the store's inspector. `pages/session_cache.py` places them."""

from __future__ import annotations

import datetime as dt
import os
import time

import plotly.graph_objects as go
from dash import dcc, html

from lab import fingerprints, sessions
from lab.schema import Refused
from lab.serialization import codec_named
from lab.session_cache import HOW, mask, read_session
from lab.session_store import session_store_for
from lab.settings import get_settings
from lab.singleflight import DEGRADED
from lab.sizes import human_bytes, human_duration
from lab.style import TEMPLATE


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
             ("checksum", fingerprints.of_frame(read["frame"])), ("rows", f"{meta['rows']:,}")]
    return html.Div([html.Div([html.Div(label, className="lab-meter-label"),
                               html.Div(value, className=f"session-cache-fact-value session-cache-{label}")],
                              className="lab-meter") for label, value in cells], className="session-cache-facts")


def wire(read: dict) -> html.Div:
    meta = read["meta"]
    return html.Div(f"stored as {codec_named(meta['codec']).label} · {human_bytes(read['bytes'])} · encoded in "
                    f"{human_duration(meta['encode_ms'])} · decoded here in {human_duration(read['decode_ms'])}",
                    className="lab-figure-note")


def output_head(title: str, read: dict) -> html.Div:
    return html.Div([html.Span(title, className="session-cache-out-title"),
                     html.Span(f"worker {read['pid']} · {HOW[read['source']]}", className="session-cache-out-how")],
                    className="session-cache-out-head")


def output_view(number: int, token, rows: int, codec: str, clicks: int | None):
    try:
        read = read_session(token, rows, codec)
    except Refused as exc:  # a forged or expired id, or JSON asked for too many rows
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
        fig.update_layout(template=TEMPLATE, height=170, margin={"l": 40, "r": 10, "t": 6, "b": 30})
        body = dcc.Graph(figure=fig, config={"displayModeBar": False})
    return html.Div([
        output_head(f"Output {number}", read), *notices(read), facts(read), body, wire(read),
        html.Div(f"“Get data” clicked {clicks or 0} time{'s' if clicks != 1 else ''}", className="lab-figure-note"),
    ], className="session-cache-out")


def other_session_view(read: dict) -> html.Div:
    return html.Div([output_head(f"Session {read['session'][:6]}…", read), facts(read), wire(read)],
                    className="session-cache-out session-cache-other-out")


def serial_table(rows: int, measured: list, arrow_all=None) -> html.Div:
    """JSON against Arrow on the same rows; with `arrow_all`, Arrow on every row too (JSON stops at
    JSON_MAX_ROWS on a web worker)."""
    by = {m.codec: m for m in measured}
    json_, arrow = by["json"], by["arrow"]
    header = html.Tr([html.Th(h) for h in ("Serializer", "Size", "Encode", "Decode", "Round trip", "Exact?")])
    body = [html.Tr([html.Td(codec_named(m.codec).label), html.Td(human_bytes(m.nbytes)),
                     html.Td(human_duration(m.encode_ms)), html.Td(human_duration(m.decode_ms)),
                     html.Td(html.Strong(human_duration(m.total_ms))),
                     html.Td("✓ identical" if m.exact else html.Ul([html.Li(d) for d in m.differences]))],
                    className="session-cache-good" if m.exact else "session-cache-bad")
            for m in (json_, arrow)]
    ratio = json_.total_ms / max(arrow.total_ms, 1e-6)
    return html.Div([
        html.Div([html.Span(f"{ratio:,.0f}×", className="session-cache-ratio"),
                  f" faster with Arrow IPC, {json_.nbytes / max(arrow.nbytes, 1):.1f}× smaller, on "
                  f"{'the first ' if arrow_all else ''}{json_.rows:,} rows of your session's data (a datetime, two "
                  f"floats, a category), measured just now on worker {os.getpid()}"],
                 className="session-cache-ratio-line"),
        html.Table([html.Thead(header), html.Tbody(body)], className="table session-cache-serial-table"),
        html.P([f"Arrow IPC on all {rows:,} rows: ", html.Strong(human_duration(arrow_all.total_ms)),
                f" for {human_bytes(arrow_all.nbytes)}. JSON is measured here on {json_.rows:,} rows at most: on "
                f"{rows:,} it would hold this web worker for about ten seconds and a gigabyte (",
                html.Code("make bench"), " measures it outside the server)."],
               className="lab-figure-note mt-2") if arrow_all else None,
    ])


def inspector_view(mine: str | None) -> html.Div:
    store = session_store_for(get_settings())
    entries, stats = store.entries(), store.stats()
    now = time.time()
    rows = [html.Tr([html.Td(html.Code(mask(e.session, mine))), html.Td(human_bytes(e.size)),
                     html.Td(f"{e.meta.get('rows', 0):,} · {e.meta.get('codec', '?')}"
                             + (" · stand-in" if e.meta.get("stand_in") else "")),
                     html.Td(f"{now - e.meta.get('created', e.stored_at):,.0f} s"), html.Td(f"{now - e.used_at:,.0f} s"),
                     html.Td("in use" if e.leased else "")],
                    className="session-cache-mine" if e.session == mine else None)
            for e in reversed(entries)]
    return html.Div([
        html.Div([html.Span(f"{stats['sessions']} of {store.max_sessions}", className="session-cache-ratio"),
                  f" sessions stored (MAX_SESSIONS) · {human_bytes(stats['bytes'])} · {stats['evictions']:,} evicted "
                  f"so far · {store.kind} store"], className="session-cache-ratio-line"),
        html.Div(html.Table([
            html.Thead(html.Tr([html.Th(h) for h in ("Session", "Size", "Rows · serializer", "Age", "Idle", "")])),
            html.Tbody(rows or [html.Tr(html.Td("The store is empty.", colSpan=6, className="lab-muted"))]),
        ], className="table table-sm session-cache-inspector-table"), className="session-cache-inspector-scroll"),
    ])
