"""Lesson 6's engine: a session's data computed at most once (`read_session`), seeded by the
session; ids forged the ways an attacker would try; how the inspector names sessions; stand-in
sessions that fill the store."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
import zlib

import pandas as pd

from lab import sessions
from lab.datasets import session_frame
from lab.i18n import N_, _, decimal
from lab.instrument import expensive_step, simulate_work, timed
from lab.serialization import ARROW, codec_named, timed_call
from lab.schema import Refused
from lab.session_store import Stored, get_or_compute, session_store_for
from lab.settings import get_settings
from lab.singleflight import COMPUTED, DEGRADED, GAVE_UP, HIT, WAITED, locker_for

PATTERN = "session-cache"
SESSION_PURPOSE = "session-cache"
SIZES = [1_000, 10_000, 100_000, 1_000_000]
# JSON at 1,000,000 rows holds a web worker for ~10 s and ~1 GB (Arrow: 0.3 s). JSON stops here on
# the page; `python -m bench.patterns` still measures both at 1,000,000 rows, outside the server.
JSON_MAX_ROWS = 100_000


class TooBigForJson(Refused):
    """JSON was asked for more rows than a web worker should spend seconds on."""
STAND_IN_ROWS = 100
FORGERIES = {"tampered": N_("Your id, one character changed"), "made-up": N_("A made-up id"),
             "spliced": N_("Another session's id, your signature")}
HOW = {HIT: N_("read from the server"), COMPUTED: N_("computed (first request)"),
       WAITED: N_("waited for the other output, then read"),
       DEGRADED: N_("computed without the store (Redis unreachable)"), GAVE_UP: N_("gave up waiting: computed")}


def seed_of(session: str) -> int:
    return zlib.crc32(session.encode())


def frame_of(session: str, rows: int, created: float) -> pd.DataFrame:
    """The session's own DataFrame: seeded by the session, stamped with its first request's time."""
    return session_frame(rows, seed_of(session), dt.datetime.fromtimestamp(created))


def compute_entry(session: str, rows: int, codec: str, previous: Stored | None, step: str = "session-data") -> Stored:
    """The expensive step for one session: its DataFrame, serialized with `codec`."""
    created = previous.meta["created"] if previous else time.time()
    with expensive_step(PATTERN, step):
        simulate_work()
        frame = frame_of(session, rows, created)
    with timed("serialize"):
        payload, encode_ms = timed_call(codec_named(codec).encode, frame)
    return Stored(payload, {"rows": rows, "codec": codec, "created": created, "encode_ms": round(encode_ms, 2),
                            "pid": os.getpid(), "at": time.time()})


def check_json_size(codec: str, rows: int) -> None:
    if codec == "json" and rows > JSON_MAX_ROWS:
        raise TooBigForJson(_("JSON is offered up to %(most)s rows here: at %(rows)s it would hold a web worker for "
                              "about ten seconds and a gigabyte of memory. Choose Apache Arrow, or fewer rows",
                              most=decimal(JSON_MAX_ROWS), rows=decimal(rows)))


def read_session(token, rows: int, codec: str, step: str = "session-data") -> dict:
    """The session's data, computed at most once at a time across every worker; raises Refused
    for an id this server did not sign (sessions.InvalidSession) or JSON past JSON_MAX_ROWS."""
    settings = get_settings()
    session = sessions.verify(settings.secret_key, token, purpose=SESSION_PURPOSE)
    check_json_size(codec, rows)
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


def forge(kind: str, token: str) -> str:
    """A session id this server did not issue, made the ways an attacker would try."""
    session, _, signature = (token or "").partition(".")
    if kind == "tampered":
        return f"{session}.{signature[:-1]}{'A' if signature[-1:] != 'A' else 'B'}"
    if kind == "spliced":
        someone = sessions.mint(get_settings().secret_key, purpose=SESSION_PURPOSE).split(".")[0]
        return f"{someone}.{signature}"
    return sessions.mint("not this server's secret key", purpose=SESSION_PURPOSE)


def mask(session: str, mine: str | None) -> str:
    """How the inspector names a session: yours in full, others' masked."""
    return _("you · %(id)s…", id=session[:6]) if session == mine else f"{session[:2]}{'•' * 6}"


def fill_store(count: int) -> int:
    """Store `count` small stand-in sessions (not computed, to be quick): the least recently used
    sessions are evicted to make room. Returns how many were evicted."""
    store = session_store_for(get_settings())
    created = time.time()
    payload = ARROW.encode(session_frame(STAND_IN_ROWS, 0, dt.datetime.fromtimestamp(created)))
    evicted = 0
    for _stand_in in range(count):
        result = store.put(f"stand-in-{secrets.token_urlsafe(12)}", payload,
                           {"rows": STAND_IN_ROWS, "codec": "arrow", "created": created, "stand_in": True})
        evicted += len(result.evicted)
    return evicted
