"""Lesson 6's views: each output's reading of the session's data, the serializers' comparison,
and the store's inspector. `pages/session_cache.py` places them."""

from __future__ import annotations

import datetime as dt
import os
import time

import plotly.graph_objects as go
from dash import dcc, html

from components.workshop import Answer, Question
from lab import fingerprints
from lab.i18n import _, decimal, ngettext
from lab.schema import Refused
from lab.serialization import codec_named
from lab.session_cache import HOW, mask, read_session
from lab.session_store import session_store_for
from lab.settings import get_settings
from lab.singleflight import DEGRADED
from lab.sizes import human_bytes, human_duration
from lab.style import TEMPLATE


def refused(exc: Exception, sent: str | None = None) -> html.Div:
    return html.Div([html.Strong(_("Refused:")), " ", _("%(reason)s. Nothing was read or computed.", reason=exc),
                     html.Div([_("sent"), " ", html.Code(sent)], className="session-cache-sent") if sent else None],
                    className="session-cache-refused")


def notices(read: dict) -> list:
    found = []
    if read["evicted_before"]:
        found.append(html.Div(_("This session's data had been evicted (the server keeps %(count)s sessions, least "
                                "recently used first), so it was computed again.", count=get_settings().max_sessions),
                              className="session-cache-notice"))
    if not read["kept"]:
        why = (_("Redis is unreachable") if read["source"] == DEGRADED
               else _("every other stored session is in use by a request right now"))
        found.append(html.Div(_("Not kept on the server: %(why)s. The next request computes again.", why=why),
                              className="session-cache-notice"))
    return found


def facts(read: dict) -> html.Div:
    meta = read["meta"]
    created = dt.datetime.fromtimestamp(meta["created"])
    cells = [("created", _("created"), f"{created:%H:%M:%S}.{created.microsecond // 1000:03d}"),
             ("checksum", _("checksum"), fingerprints.of_frame(read["frame"])),
             ("rows", _("rows"), decimal(meta["rows"]))]
    return html.Div([html.Div([html.Div(shown, className="lab-meter-label"),
                               html.Div(value, className=f"session-cache-fact-value session-cache-{label}")],
                              className="lab-meter") for label, shown, value in cells], className="session-cache-facts")


def wire(read: dict) -> html.Div:
    meta = read["meta"]
    return html.Div(_("stored as %(codec)s · %(size)s · encoded in %(encode)s · decoded here in %(decode)s",
                      codec=codec_named(meta["codec"]).label, size=human_bytes(read["bytes"]),
                      encode=human_duration(meta["encode_ms"]), decode=human_duration(read["decode_ms"])),
                    className="lab-figure-note")


def output_head(title: str, read: dict) -> html.Div:
    return html.Div([html.Span(title, className="session-cache-out-title"),
                     html.Span(_("worker %(pid)s · %(how)s", pid=read["pid"], how=_(HOW[read["source"]])),
                               className="session-cache-out-how")],
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
                           html.Tbody([html.Tr([html.Td(decimal(v, 4) if isinstance(v, float) else str(v)) for v in row])
                                       for row in head.itertuples(index=False)])],
                          className="table table-sm session-cache-table")
    else:
        sample = frame.head(300)
        fig = go.Figure(go.Scatter(x=sample["time"], y=sample["value"], mode="lines", line={"width": 2}))
        fig.update_layout(template=TEMPLATE, height=170, margin={"l": 40, "r": 10, "t": 6, "b": 30})
        body = dcc.Graph(figure=fig, config={"displayModeBar": False})
    return html.Div([
        output_head(_("Output %(number)s", number=number), read), *notices(read), facts(read), body, wire(read),
        html.Div(ngettext("“Get data” clicked %(num)s time", "“Get data” clicked %(num)s times", clicks or 0),
                 className="lab-figure-note"),
    ], className="session-cache-out")


def other_session_view(read: dict) -> html.Div:
    return html.Div([output_head(_("Session %(id)s…", id=read["session"][:6]), read), facts(read), wire(read)],
                    className="session-cache-out session-cache-other-out")


def serial_table(rows: int, measured: list, arrow_all=None) -> html.Div:
    """JSON against Arrow on the same rows; with `arrow_all`, Arrow on every row too (JSON stops at
    JSON_MAX_ROWS on a web worker)."""
    by = {m.codec: m for m in measured}
    json_, arrow = by["json"], by["arrow"]
    header = html.Tr([html.Th(h) for h in (_("Serializer"), _("Size"), _("Encode"), _("Decode"), _("Round trip"),
                                           _("Exact?"))])
    body = [html.Tr([html.Td(codec_named(m.codec).label), html.Td(human_bytes(m.nbytes)),
                     html.Td(human_duration(m.encode_ms)), html.Td(human_duration(m.decode_ms)),
                     html.Td(html.Strong(human_duration(m.total_ms))),
                     html.Td("✓ " + _("identical") if m.exact else html.Ul([html.Li(d) for d in m.differences]))],
                    className="session-cache-good" if m.exact else "session-cache-bad")
            for m in (json_, arrow)]
    ratio = json_.total_ms / max(arrow.total_ms, 1e-6)
    return html.Div([
        html.Div([html.Span(f"{decimal(ratio)}×", className="session-cache-ratio"), " ",
                  (_("faster with Arrow IPC, %(smaller)s× smaller, on the first %(rows)s rows of your session's data "
                     "(a datetime, two floats, a category), measured just now on worker %(pid)s",
                     smaller=decimal(json_.nbytes / max(arrow.nbytes, 1), 1), rows=decimal(json_.rows), pid=os.getpid())
                   if arrow_all else
                   _("faster with Arrow IPC, %(smaller)s× smaller, on %(rows)s rows of your session's data (a "
                     "datetime, two floats, a category), measured just now on worker %(pid)s",
                     smaller=decimal(json_.nbytes / max(arrow.nbytes, 1), 1), rows=decimal(json_.rows),
                     pid=os.getpid()))],
                 className="session-cache-ratio-line"),
        html.Table([html.Thead(header), html.Tbody(body)], className="table session-cache-serial-table"),
        html.P([_("Arrow IPC on all %(rows)s rows:", rows=decimal(rows)), " ",
                html.Strong(human_duration(arrow_all.total_ms)), " ",
                _("for %(size)s. JSON is measured here on %(most)s rows at most: on %(rows)s it would hold this web "
                  "worker for about ten seconds and a gigabyte (make bench measures it outside the server).",
                  size=human_bytes(arrow_all.nbytes), most=decimal(json_.rows), rows=decimal(rows))],
               className="lab-figure-note mt-2") if arrow_all else None,
    ])


def inspector_view(mine: str | None) -> html.Div:
    store = session_store_for(get_settings())
    entries, stats = store.entries(), store.stats()
    now = time.time()
    rows = [html.Tr([html.Td(html.Code(mask(e.session, mine))), html.Td(human_bytes(e.size)),
                     html.Td(f"{decimal(e.meta.get('rows', 0))} · {e.meta.get('codec', '?')}"
                             + (" · " + _("stand-in") if e.meta.get("stand_in") else "")),
                     html.Td(f"{decimal(now - e.meta.get('created', e.stored_at))} s"),
                     html.Td(f"{decimal(now - e.used_at)} s"),
                     html.Td(_("in use") if e.leased else "")],
                    className="session-cache-mine" if e.session == mine else None)
            for e in reversed(entries)]
    return html.Div([
        html.Div([html.Span(_("%(stored)s of %(most)s", stored=stats["sessions"], most=store.max_sessions),
                            className="session-cache-ratio"), " ",
                  _("sessions stored (MAX_SESSIONS) · %(size)s · %(evicted)s evicted so far · %(kind)s store",
                    size=human_bytes(stats["bytes"]), evicted=decimal(stats["evictions"]), kind=store.kind)],
                 className="session-cache-ratio-line"),
        html.Div(html.Table([
            html.Thead(html.Tr([html.Th(h) for h in (_("Session"), _("Size"), _("Rows · serializer"), _("Age"),
                                                     _("Idle"), "")])),
            html.Tbody(rows or [html.Tr(html.Td(_("The store is empty."), colSpan=6, className="lab-muted"))]),
        ], className="table table-sm session-cache-inspector-table"), className="session-cache-inspector-scroll"),
    ])


def self_check_questions() -> list[Question]:
    return [
        Question(_("Why does the server sign the session id it hands out?"), (
            Answer(_("So it never accepts an id it did not issue: nobody can pick one or guess another's."), True,
                   _("Without a signature, a made-up or borrowed id would read someone else's data.")),
            Answer(_("To make the id shorter."), False,
                   _("The signature makes it longer; what it buys is trust.")),
            Answer(_("Because Redis needs signed keys."), False,
                   _("Redis stores any key; the check protects the users, not the store.")))),
        Question(_("Both outputs ask for a new session's data at the same moment, on two workers. How many times "
                   "is it computed?"), (
            Answer(_("Once: a lock per session makes the second wait and read."), True,
                   _("Without the lock both would compute, and could even show different data.")),
            Answer(_("Twice, once per output."), False,
                   _("That is what happens without a lock; the lesson's meters show one execution.")),
            Answer(_("Never: each output computes only its own part."), False,
                   _("Both need the same DataFrame; one of them has to compute it.")))),
        Question(_("The store is full (MAX_SESSIONS) and a new session arrives. What happens?"), (
            Answer(_("The least recently used session that no request is using is evicted; it recomputes on its "
                     "next request."), True,
                   _("The bound holds, nobody loses a request in flight, and an evicted session says so.")),
            Answer(_("The new session is refused."), False,
                   _("The new one is stored; an old one makes room.")),
            Answer(_("The oldest session is evicted even if a request is reading it."), False,
                   _("Requests hold a lease on their session: eviction skips it.")))),
    ]
