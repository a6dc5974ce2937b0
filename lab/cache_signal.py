"""Lesson 5's engine: the expensive step, the two global stores (plain memoize, and compute-once
with a lock), forgetting entries, the four figures, and a simulated crowd of users."""

from __future__ import annotations

import os
import time
from typing import Callable

import plotly.graph_objects as go

from lab import fingerprints, sessions
from lab.backend import redis_link
from lab.cache import cache
from lab.crowd import fire_at_once, own_address
from lab.datasets import signal_data
from lab.guard import listening_addresses
from lab.i18n import N_, _
from lab.instrument import SESSION_HEADER, expensive_step, simulate_work
from lab.settings import get_settings
from lab.singleflight import COMPUTED, DEGRADED, GAVE_UP, HIT, WAITED, cached, locker_for
from lab.style import MUTED, TEMPLATE
from lab.workers import server_info

PATTERN = "cache-signal"
VALUES = {v: v for v in "ABCDEF"}  # shown as "Sensor A" (`sensor`)
MEMOIZE, ONCE = "memoize", "once"
MODES = {MEMOIZE: N_("Plain memoize (the reference)"), ONCE: N_("Compute once (with a lock)")}
ROUND_PURPOSE = "cache-signal-crowd"
MAX_USERS = 8
HOW = {HIT: N_("read from the cache"), COMPUTED: N_("cache miss: computed"), WAITED: N_("waited for the lock, then read"),
       DEGRADED: N_("Redis unreachable: computed without cache"), GAVE_UP: N_("gave up waiting: computed")}


def sensor(value: str) -> str:
    return _("Sensor %(name)s", name=value)


def compute(value: str, step: str = "compute") -> dict:
    """The expensive step: STEP_SECONDS of work, counted, then seeded data (the same in every worker)."""
    with expensive_step(PATTERN, step):
        simulate_work()
        frame = signal_data(value)
    return {"frame": frame, "pid": os.getpid(), "computed_at": time.time(), "fingerprint": fingerprints.of_frame(frame)}


def step_for(crowd_round: str | None) -> str:
    """A simulated crowd's executions are counted apart from the learner's own."""
    return "crowd-compute" if crowd_round else "compute"


@cache.memoize()
def global_store(value, crowd_round=None):
    """The reference's global store: memoized by its arguments, no lock."""
    return compute(value, step_for(crowd_round))


def once_key(value: str, crowd_round: str | None = None) -> str:
    return f"{PATTERN}:{crowd_round or 'shared'}:{value}"


def once_store(value, crowd_round=None):
    """The same store with get → lock → get again → compute → set."""
    return cached(cache, locker_for(get_settings()), once_key(value, crowd_round),
                  lambda: compute(value, step_for(crowd_round)))


def read_data(mode: str, value: str, crowd_round: str | None = None) -> tuple[dict, str]:
    """The data for `value` through the store of `mode`, and how it was got (hit, computed, waited…)."""
    if mode == ONCE:
        flight = once_store(value, crowd_round)
        return flight.value, flight.source
    asked = time.time()
    data = global_store(value, crowd_round)
    if not (data["pid"] == os.getpid() and data["computed_at"] >= asked):
        return data, HIT
    return data, COMPUTED if cache_reachable() else DEGRADED  # memoize cannot tell: ask the link


def cache_reachable() -> bool:
    """False while the configured Redis is known to be down (memoize's writes are then lost)."""
    settings = get_settings()
    return not settings.redis_url or not redis_link(settings.redis_url).recently_failed()


def forget(values, crowd_round: str | None = None) -> None:
    """Delete the lesson's entries (both stores) for `values`."""
    if crowd_round is None:
        cache.delete_memoized(global_store)  # every entry of the function: a new version key
    else:
        for value in values:
            cache.delete_memoized(global_store, value, crowd_round)
    cache.delete_many(*[once_key(value, crowd_round) for value in values])


def crowd_round_of(token) -> str | None:
    """The private namespace of a simulated crowd (a server-signed token), or None."""
    return sessions.verify_or_none(get_settings().secret_key, token, purpose=ROUND_PURPOSE) if token else None


def figure(kind: str, frame) -> go.Figure:
    if kind == "scatter":
        traces = [go.Scattergl(x=g["x"], y=g["y"], mode="markers", name=_("group %(name)s", name=name), marker={"size": 5, "opacity": 0.6})
                  for name, g in frame.groupby("group")]
    elif kind == "line":
        traces = [go.Scatter(x=frame["t"], y=frame["walk"], mode="lines", line={"width": 2}, name="walk")]
    elif kind == "histogram":
        traces = [go.Histogram2d(x=frame["x"], y=frame["y"], nbinsx=30, nbinsy=30, colorscale="Blues", showscale=False)]
    else:
        traces = [go.Histogram2dContour(x=frame["x"], y=frame["y"], colorscale="Purples", showscale=False,
                                        contours={"coloring": "fill"})]
    fig = go.Figure(traces)
    fig.update_layout(template=TEMPLATE, height=280, margin={"l": 40, "r": 10, "t": 10, "b": 30},
                      showlegend=kind == "scatter", legend={"orientation": "h", "y": 1.02, "x": 0})
    return fig


def waiting_figure() -> go.Figure:
    fig = go.Figure()
    fig.update_layout(template=TEMPLATE, height=280, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"visible": False}, yaxis={"visible": False},
                      annotations=[{"text": _("waiting for the signal…"), "showarrow": False,
                                    "font": {"size": 15, "color": MUTED}}])
    return fig


def simulate_users(value: str, mode: str, users: int, select_body: Callable[[str], dict]) -> dict:
    """`users` different users select `value` at the same moment: real concurrent requests to this
    app's own select callback (`select_body(round_token)` is its request body), through gunicorn.
    They use a fresh private namespace of the cache (a signed round id), so the value is uncached
    for them and nobody else's cache is emptied."""
    settings = get_settings()
    workers = server_info()
    if workers["server"] == "gunicorn" and len(workers["workers"]) < 2:
        return {"error": _("This needs at least 2 workers: the worker that fires the users waits for their answers, "
                           "so another worker must serve them. Press + in the worker strip.")}
    crowd_token = sessions.mint(settings.secret_key, purpose=ROUND_PURPOSE)
    body = select_body(crowd_token)
    requests = [(body, {SESSION_HEADER: sessions.mint(settings.secret_key)}) for _ in range(users)]
    wall, replies = fire_at_once(own_address(listening_addresses(settings)), requests,
                                 timeout=settings.step_seconds * users + 30)
    forget([value], crowd_round_of(crowd_token))
    rows = []
    for reply in replies:
        response = (reply.body or {}).get("response", {}) if reply.status == 200 else {}
        signal = next((out["data"] for out in response.values() if "data" in out), None)
        rows.append({"user": reply.user + 1, "status": reply.status, "seconds": round(reply.seconds, 3),
                     "pid": signal and signal["pid"], "source": signal and signal["source"],
                     "copy": signal and f"{signal['computed_by']}@{signal['computed_at']:.3f}",
                     "fingerprint": signal and signal["fingerprint"], "error": reply.error})
    served = [r for r in rows if r["source"]]
    return {
        "value": value, "mode": mode, "users": users, "wall": round(wall, 3), "rows": rows,
        "executions": sum(r["source"] in (COMPUTED, DEGRADED, GAVE_UP) for r in served),
        "copies": len({r["copy"] for r in served}), "pids": sorted({r["pid"] for r in served}),
        "same_data": len({r["fingerprint"] for r in served}) == 1, "failed": len(rows) - len(served),
        "live_workers": len(workers["workers"]), "step": settings.step_seconds, "at": time.time(),
    }
