"""Lesson 6's plain functions: a session's data is seeded by the session and keeps its first
request's time; forgeries of every kind are refused by the signature check; the inspector masks
other sessions; the stand-in filler evicts. A bare Flask request context stands for a callback's."""

import datetime as dt

import flask
import pytest

from lab import fingerprints, sessions
from lab import session_cache as lesson
from lab.serialization import ARROW
from lab.session_store import session_store_for
from lab.settings import get_settings


@pytest.fixture
def quick(monkeypatch, tmp_path):
    monkeypatch.setenv("STEP_SECONDS", "0")
    monkeypatch.setenv("MAX_SESSIONS", "5")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    with flask.Flask(__name__).test_request_context():
        yield get_settings()
    get_settings.cache_clear()


def token():
    return sessions.mint(get_settings().secret_key, purpose=lesson.SESSION_PURPOSE)


def test_read_session_computes_once_then_reads(quick):
    mine = token()
    first = lesson.read_session(mine, 1_000, "arrow")
    assert first["source"] == "computed" and first["kept"] and len(first["frame"]) == 1_000
    again = lesson.read_session(mine, 1_000, "arrow")
    assert again["source"] == "hit" and fingerprints.of_frame(again["frame"]) == fingerprints.of_frame(first["frame"])
    resized = lesson.read_session(mine, 2_000, "json")
    assert resized["source"] == "computed" and resized["meta"]["created"] == first["meta"]["created"], \
        "same session, same first request"
    other = lesson.read_session(token(), 1_000, "arrow")
    assert fingerprints.of_frame(other["frame"]) != fingerprints.of_frame(first["frame"])


@pytest.mark.parametrize("kind", ["tampered", "made-up", "spliced"])
def test_every_forgery_is_refused(quick, kind):
    mine = token()
    forged = lesson.forge(kind, mine)
    assert forged != mine
    with pytest.raises(sessions.InvalidSession, match="not issued by this server"):
        lesson.read_session(forged, 1_000, "arrow")


def test_mask_and_fill(quick):
    mine, theirs = "A" * 22, "B" * 22
    assert lesson.mask(mine, mine) == "you · AAAAAA…" and lesson.mask(theirs, mine) == "BB••••••"
    lesson.read_session(token(), 1_000, "arrow")
    assert lesson.fill_store(5) == 1
    store = session_store_for(quick)
    assert store.stats()["sessions"] == 5 and all(e.meta["stand_in"] for e in store.entries())


def test_compute_entry_is_the_session_frame(quick):
    entry = lesson.compute_entry("some-session", 10, "arrow", None)
    frame = ARROW.decode(entry.payload)
    assert list(frame.columns) == ["time", "value", "ratio", "kind"] and len(frame) == 10
    assert frame["time"].iloc[0] == dt.datetime.fromtimestamp(entry.meta["created"])
