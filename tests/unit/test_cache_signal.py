"""Lesson 5's plain functions: the step is counted and seeded (every worker computes the same
numbers); the compute-once store computes a value once and then hits; plain memoize hits too
once filled; forgetting empties both; the figures draw the four kinds; a crowd's namespace
must be signed by the server. The cache is attached to a bare Flask app: no Dash app is built."""

import flask
import pytest

from components import cache_signal_views as views
from lab import cache_signal as lesson
from lab import sessions
from lab.cache import cache, cache_config
from lab.settings import get_settings


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setenv("STEP_SECONDS", "0")
    get_settings.cache_clear()
    server = flask.Flask(__name__)
    cache.init_app(server, config=cache_config(get_settings()))
    with server.app_context():
        lesson.forget(lesson.VALUES)
        yield
    get_settings.cache_clear()


def test_compute_is_seeded(quick):
    first, second = lesson.compute("A"), lesson.compute("A")
    assert first["fingerprint"] == second["fingerprint"] != lesson.compute("B")["fingerprint"]
    assert first["frame"].equals(second["frame"]) and len(first["frame"]) == 2_000


@pytest.mark.parametrize("mode", [lesson.ONCE, lesson.MEMOIZE])
def test_a_store_computes_then_hits(quick, mode):
    data, source = lesson.read_data(mode, "C")
    assert source == "computed"
    again, source = lesson.read_data(mode, "C")
    assert source == "hit" and again["computed_at"] == data["computed_at"]
    lesson.forget(lesson.VALUES)
    assert lesson.read_data(mode, "C")[1] == "computed"


def test_a_crowd_round_is_private_and_signed(quick):
    lesson.read_data(lesson.ONCE, "D")
    token = sessions.mint(get_settings().secret_key, purpose=lesson.ROUND_PURPOSE)
    round_id = lesson.crowd_round_of(token)
    assert round_id and lesson.read_data(lesson.ONCE, "D", round_id)[1] == "computed", "cold in its own namespace"
    lesson.forget(["D"], round_id)
    assert lesson.read_data(lesson.ONCE, "D")[1] == "hit", "forgetting a round leaves the shared entry"
    assert lesson.crowd_round_of(sessions.mint(get_settings().secret_key)) is None, "a visit id is no round id"
    assert lesson.crowd_round_of("made.up") is None and lesson.crowd_round_of(None) is None


@pytest.mark.parametrize("kind, trace", [("scatter", "scattergl"), ("line", "scatter"), ("histogram", "histogram2d"),
                                         ("contour", "histogram2dcontour")])
def test_figures(quick, kind, trace):
    fig = lesson.figure(kind, lesson.compute("E")["frame"])
    assert fig.data and {t.type for t in fig.data} == {trace}


def test_status_says_what_happened():
    signal = {"value": "A", "pid": 11, "ms": 3012.0, "source": "computed", "computed_by": 11, "computed_at": 0,
              "fingerprint": "x"}
    assert "Computed Sensor A" in str(views.status_view(signal)) and "3.01 s" in str(views.status_view(signal))
    import time
    hit = {**signal, "source": "hit", "ms": 4.0, "pid": 12, "computed_at": time.time() - 10}
    text = str(views.status_view(hit))
    assert "Cache hit" in text and "by worker 11" in text and "expires in" in text
