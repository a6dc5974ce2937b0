"""Lesson 5: a server cache and a signal.

The expensive result lives in a cache every worker shares (flask-caching on Redis or the
filesystem), keyed by the input. One callback computes it, then writes only a small *signal*
to a dcc.Store; four graph callbacks fire on the signal, in parallel on different workers, and
read the data from the cache. Revisiting a value, reloading, or opening a new session is a
cache hit. The reference's `memoize` has no lock: N users asking for the same uncached value
at once compute it up to N times. A lock (get → lock → get again → compute → set) makes it once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html

from components.code_view import create_code_view
from components.lesson import explain, lesson_header, section, takeaways, verdict
from components.meters import MeterPanel
from components.timeline import Timeline
from lab import sessions
from lab.backend import redis_link
from lab.cache import cache
from lab.crowd import callback_body, fire_at_once, own_address
from lab.datasets import signal_data
from lab.guard import authorize, listening_addresses
from lab.instrument import expensive_step, simulate_work
from lab.settings import get_settings
from lab.singleflight import COMPUTED, DEGRADED, GAVE_UP, HIT, LOCK_TTL_SECONDS, WAITED, cached, locker_for
from lab.workers import server_info

PATTERN = "cache-signal"

dash.register_page(
    __name__, path="/cache-signal", name="Server cache + signal", order=5, lesson=5, nav_label="Cache",
    pattern=PATTERN, title="A server cache and a signal",
    description="Compute once on one worker, keep the result in Redis or on disk, and signal four graphs "
                "to read it in parallel.",
)


class ids:
    value = f"{PATTERN}-value"
    mode = f"{PATTERN}-mode"
    crowd_round = f"{PATTERN}-round"  # empty in the browser; a simulated crowd's private namespace
    signal = f"{PATTERN}-live-signal"
    status = f"{PATTERN}-live-status"
    graphs = {kind: f"{PATTERN}-live-{kind}" for kind in ("scatter", "line", "histogram", "contour")}
    notes = {kind: f"{PATTERN}-live-{kind}-note" for kind in ("scatter", "line", "histogram", "contour")}
    clear = f"{PATTERN}-clear"
    cleared = f"{PATTERN}-cleared"
    users = f"{PATTERN}-crowd-users"
    fire = f"{PATTERN}-crowd-fire"
    crowd = f"{PATTERN}-crowd-results"
    crowd_view = f"{PATTERN}-crowd-view"


VALUES = {v: f"Sensor {v}" for v in "ABCDEF"}
MEMOIZE, ONCE = "memoize", "once"
MODES = {MEMOIZE: "Plain memoize (the reference)", ONCE: "Compute once (with a lock)"}
ROUND_PURPOSE = "cache-signal-crowd"
MAX_USERS = 8
GRAPH_TITLES = {"scatter": "Scatter: x against y", "line": "Line: a random walk over time",
                "histogram": "2-D histogram of x and y", "contour": "Contour of the same density"}


# -- plain functions (unit-tested) ---------------------------------------------------------------


def compute(value: str, step: str = "compute") -> dict:
    """The expensive step: STEP_SECONDS of work, counted, then seeded data (the same in every worker)."""
    with expensive_step(PATTERN, step):
        simulate_work()
        frame = signal_data(value)
    return {"frame": frame, "pid": os.getpid(), "computed_at": time.time(), "fingerprint": fingerprint(frame)}


def fingerprint(frame) -> str:
    """A short digest of the data: equal digests, equal numbers."""
    return hashlib.blake2b(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes(), digest_size=4).hexdigest()


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
        traces = [go.Scattergl(x=g["x"], y=g["y"], mode="markers", name=f"group {name}", marker={"size": 5, "opacity": 0.6})
                  for name, g in frame.groupby("group")]
    elif kind == "line":
        traces = [go.Scatter(x=frame["t"], y=frame["walk"], mode="lines", line={"width": 2}, name="walk")]
    elif kind == "histogram":
        traces = [go.Histogram2d(x=frame["x"], y=frame["y"], nbinsx=30, nbinsy=30, colorscale="Blues", showscale=False)]
    else:
        traces = [go.Histogram2dContour(x=frame["x"], y=frame["y"], colorscale="Purples", showscale=False,
                                        contours={"coloring": "fill"})]
    fig = go.Figure(traces)
    fig.update_layout(height=280, margin={"l": 40, "r": 10, "t": 10, "b": 30}, plot_bgcolor="#fbfcfe",
                      showlegend=kind == "scatter", legend={"orientation": "h", "y": 1.02, "x": 0})
    return fig


def waiting_figure() -> go.Figure:
    fig = go.Figure()
    fig.update_layout(height=280, margin={"l": 10, "r": 10, "t": 10, "b": 10}, plot_bgcolor="#fbfcfe",
                      xaxis={"visible": False}, yaxis={"visible": False},
                      annotations=[{"text": "waiting for the signal…", "showarrow": False,
                                    "font": {"size": 15, "color": "#5b6477"}}])
    return fig


def how(source: str) -> str:
    return {HIT: "read from the cache", COMPUTED: "cache miss: computed", WAITED: "waited for the lock, then read",
            DEGRADED: "Redis unreachable: computed without cache", GAVE_UP: "gave up waiting: computed"}[source]


def milliseconds(ms: float) -> str:
    return f"{ms:,.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def status_view(signal: dict) -> html.Div:
    """The line under the controls: what the select callback just did, and the entry's age."""
    settings = get_settings()
    name, pid, ms = VALUES[signal["value"]], signal["pid"], signal["ms"]
    age = time.time() - signal["computed_at"]
    left = max(0, settings.cache_timeout - age)
    if signal["source"] == HIT:
        icon, text = "⚡", [html.Strong(f"Cache hit: {name}"), f" read on worker {pid} in {milliseconds(ms)}"]
        detail = (f"computed {age:,.0f} s ago by worker {signal['computed_by']}; "
                  f"this entry expires in {left:,.0f} s, then the next request computes it again")
    elif signal["source"] == WAITED:
        icon, text = "⏳", [html.Strong(f"Waited for the lock: {name}"),
                            f" worker {signal['computed_by']} was computing it; worker {pid} read it after {milliseconds(ms)}"]
        detail = f"expires in {left:,.0f} s"
    elif signal["source"] == DEGRADED:
        icon, text = "⚠", [html.Strong(f"Computed {name} without the cache"), f" on worker {pid} in {milliseconds(ms)}"]
        detail = "Redis is unreachable: nothing was kept, the next request computes again"
    else:
        icon, text = "⚙", [html.Strong(f"Computed {name}"), f" on worker {pid} in {milliseconds(ms)}"]
        detail = f"kept in the server cache for {settings.cache_timeout:,} s (CACHE_TIMEOUT); the other workers stayed free"
    return html.Div([html.Span(icon, className="cache-signal-status-icon"),
                     html.Div([html.Div(text), html.Div(detail, className="cache-signal-status-detail")])],
                    className=f"cache-signal-status cache-signal-status-{signal['source']}")


# -- the select callback: compute (or read) once, then signal -----------------------------------


@callback(
    Output(ids.signal, "data"),
    Output(ids.status, "children"),
    Input(ids.value, "value"),
    Input(ids.mode, "value"),
    State(ids.crowd_round, "data"),
)
def select_value(value, mode, crowd_token):
    t0 = time.perf_counter()
    data, source = read_data(mode, value, crowd_round_of(crowd_token))
    signal = {"value": value, "mode": mode, "source": source, "pid": os.getpid(),
              "ms": (time.perf_counter() - t0) * 1000, "computed_by": data["pid"],
              "computed_at": data["computed_at"], "fingerprint": data["fingerprint"]}
    return signal, status_view(signal)  # a few hundred bytes: the data stays on the server


# -- four graph callbacks: fired by the signal, reading the cache -------------------------------


def draw(kind: str, signal: dict):
    t0 = time.perf_counter()
    data, source = read_data(signal["mode"], signal["value"])  # the same store as the select callback
    note = f"worker {os.getpid()} · {milliseconds((time.perf_counter() - t0) * 1000)} · {how(source)}"
    return figure(kind, data["frame"]), note


@callback(Output(ids.graphs["scatter"], "figure"), Output(ids.notes["scatter"], "children"),
          Input(ids.signal, "data"), prevent_initial_call=True)
def draw_scatter(signal):
    return draw("scatter", signal)


@callback(Output(ids.graphs["line"], "figure"), Output(ids.notes["line"], "children"),
          Input(ids.signal, "data"), prevent_initial_call=True)
def draw_line(signal):
    return draw("line", signal)


@callback(Output(ids.graphs["histogram"], "figure"), Output(ids.notes["histogram"], "children"),
          Input(ids.signal, "data"), prevent_initial_call=True)
def draw_histogram(signal):
    return draw("histogram", signal)


@callback(Output(ids.graphs["contour"], "figure"), Output(ids.notes["contour"], "children"),
          Input(ids.signal, "data"), prevent_initial_call=True)
def draw_contour(signal):
    return draw("contour", signal)


# -- instructor controls: clear the cache, simulate a crowd -------------------------------------


@callback(Output(ids.cleared, "children"), Input(ids.clear, "n_clicks"), State("lab-workers-token", "value"),
          prevent_initial_call=True)
def clear_cache(_clicks, token):
    refusal = authorize(get_settings(), token)
    if refusal:
        return html.Span(refusal, className="cache-signal-refused")
    forget(VALUES)
    return f"Cleared at {dt.datetime.now():%H:%M:%S}: the next selection of any sensor computes again."


def simulate_users(value: str, mode: str, users: int) -> dict:
    """`users` different users select `value` at the same moment: real concurrent requests to this
    app's own select callback, through gunicorn. They use a fresh private namespace of the
    cache (a signed round id), so the value is uncached for them and nobody else's cache is emptied."""
    settings = get_settings()
    workers = server_info()
    if workers["server"] == "gunicorn" and len(workers["workers"]) < 2:
        return {"error": "This needs at least 2 workers: the worker that fires the users waits for their answers, "
                         "so another worker must serve them. Press + in the worker strip."}
    crowd_token = sessions.mint(settings.secret_key, purpose=ROUND_PURPOSE)
    body = callback_body([f"{ids.signal}.data", f"{ids.status}.children"],
                         {f"{ids.value}.value": value, f"{ids.mode}.value": mode},
                         {f"{ids.crowd_round}.data": crowd_token})
    requests = [(body, {"X-Lab-Session": sessions.mint(settings.secret_key)}) for _ in range(users)]
    wall, replies = fire_at_once(own_address(listening_addresses(settings)), requests,
                                 timeout=settings.step_seconds * users + 30)
    forget([value], crowd_round_of(crowd_token))
    rows = []
    for reply in replies:
        signal = (reply.body or {}).get("response", {}).get(ids.signal, {}).get("data") if reply.status == 200 else None
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


def crowd_card(mode: str, run: dict | None):
    title = MODES[mode]
    if not run:
        body = html.P("Not run yet in this mode.", className="lab-muted mb-0")
    else:
        users = run["users"]
        big = [("ran the step", f"{run['executions']}", f"times for {users} users"),
               ("wall time", f"{run['wall']:.2f} s", f"the step takes {run['step']:g} s"),
               ("workers used", str(len(run["pids"])), f"of {run['live_workers']} live")]
        table = html.Table([
            html.Thead(html.Tr([html.Th(h) for h in ("user", "worker", "what happened", "time")])),
            html.Tbody([html.Tr([html.Td(r["user"]), html.Td(r["pid"] or "—"),
                                 html.Td(how(r["source"]) if r["source"] else (r["error"] or f"HTTP {r['status']}")),
                                 html.Td(f"{r['seconds']:.2f} s")]) for r in run["rows"]]),
        ], className="table table-sm cache-signal-crowd-table")
        same = ("every user got the same numbers" if run["same_data"] else "users got different numbers")
        body = [
            html.Div([html.Div([html.Div(label, className="lab-meter-label"), html.Div(value, className="lab-meter-value"),
                                html.Div(sub, className="lab-meter-sub")], className="lab-meter")
                      for label, value, sub in big], className="cache-signal-crowd-figures"),
            html.P(f"{VALUES[run['value']]} · served by workers {', '.join(map(str, run['pids']))} · {run['copies']} "
                   f"cop{'y' if run['copies'] == 1 else 'ies'} of the data made · {same}"
                   + (f" · {run['failed']} requests failed" if run["failed"] else ""),
                   className="lab-figure-note mt-2 mb-1"),
            html.Details([html.Summary("Per user"), table], className="cache-signal-crowd-details"),
        ]
    good = mode == ONCE
    return html.Div([verdict(good, title), html.Div(body, className="lab-card")], className="lab-side")


@callback(
    Output(ids.crowd, "data"),
    Output(ids.crowd_view, "children"),
    Input(ids.fire, "n_clicks"),
    State(ids.value, "value"),
    State(ids.mode, "value"),
    State(ids.users, "value"),
    State("lab-workers-token", "value"),
    State(ids.crowd, "data"),
    prevent_initial_call=True,
)
def fire_crowd(_clicks, value, mode, users, token, results):
    results = dict(results or {})
    refusal = authorize(get_settings(), token)
    run = {"error": refusal} if refusal else simulate_users(value, mode, max(2, min(MAX_USERS, int(users))))
    if "error" not in run:
        results[mode] = run
    return results, crowd_results(results, run.get("error"))


def crowd_results(results: dict, error: str | None = None):
    return [
        html.Div(error, className="cache-signal-refused mb-2") if error else None,
        dbc.Row([dbc.Col(crowd_card(MEMOIZE, results.get(MEMOIZE)), lg=6),
                 dbc.Col(crowd_card(ONCE, results.get(ONCE)), lg=6)], className="g-3"),
    ]


# -- layout -------------------------------------------------------------------------------------------


def _controls():
    settings = get_settings()
    return html.Div(
        [
            html.Div([html.Label("Sensor", htmlFor=ids.value),
                      dcc.Dropdown(id=ids.value, options=[{"label": label, "value": v} for v, label in VALUES.items()],
                                   value="A", clearable=False, style={"minWidth": "12rem"})]),
            html.Div([html.Label("Global store", htmlFor=ids.mode),
                      dbc.RadioItems(id=ids.mode, options=[{"label": label, "value": m} for m, label in MODES.items()],
                                     value=ONCE, inline=True, className="btn-group lab-toggle",
                                     inputClassName="btn-check", labelClassName="btn btn-outline-primary",
                                     labelCheckedClassName="active")]),
            html.Div([dbc.Button("Clear this lesson's cache", id=ids.clear, n_clicks=0, color="secondary", outline=True),
                      html.Div(id=ids.cleared, className="lab-figure-note mt-1")]),
            html.Div([html.Span(f"Backend: {settings.backend}", className="cache-signal-fact"),
                      html.Span(f"lock: {locker_for(settings).kind}", className="cache-signal-fact"),
                      html.Span(f"entries live {settings.cache_timeout:,} s (CACHE_TIMEOUT)", className="cache-signal-fact"),
                      html.Span(f"the step takes {settings.step_seconds:g} s (STEP_SECONDS)", className="cache-signal-fact")],
                     className="cache-signal-facts"),
        ],
        className="lab-card lab-controls",
    )


def _graph(kind: str):
    return dbc.Col(html.Div([
        html.Div([html.Span(GRAPH_TITLES[kind], className="cache-signal-graph-title"),
                  html.Span("—", id=ids.notes[kind], className="cache-signal-graph-note")],
                 className="cache-signal-graph-head"),
        dcc.Graph(id=ids.graphs[kind], figure=waiting_figure(), config={"displayModeBar": False}),
    ], className="lab-graph"), lg=6)


def _crowd():
    return html.Div(
        [
            html.P(["Several users selecting the same uncached sensor at the same moment is where the two stores "
                    "differ. This button sends that many real requests to this app's select callback at once, each "
                    "as a different user, through gunicorn. They use a fresh, private corner of the cache, so the "
                    "sensor is uncached for them and nobody else's cache is emptied. The worker that sends them waits "
                    "for the answers, so the other workers serve them."], className="lab-muted"),
            html.Div([
                html.Div([html.Label("Users at once", htmlFor=ids.users),
                          dcc.Slider(id=ids.users, min=2, max=MAX_USERS, step=1, value=MAX_USERS,
                                     marks={n: str(n) for n in range(2, MAX_USERS + 1)})], style={"minWidth": "18rem"}),
                dbc.Button("Fire the users at the selected sensor", id=ids.fire, n_clicks=0, color="primary"),
                html.Div([html.Div("Crowd time", className="lab-meter-label"),
                          html.Div("—", className="lab-timer lab-meter-value", **{"data-scope": f"{PATTERN}-crowd"})],
                         className="lab-meter cache-signal-crowd-timer"),
            ], className="lab-card lab-controls mb-3"),
            dcc.Loading(html.Div(crowd_results({}), id=ids.crowd_view), type="dot", delay_show=300),
            dcc.Store(id=ids.crowd, data={}),
        ]
    )


def _expiry():
    settings = get_settings()
    return explain(
        "When an entry expires",
        f"Every entry lives {settings.cache_timeout:,} seconds (CACHE_TIMEOUT). After that the cache answers "
        "“miss”, and the next request for the value runs the expensive step again, as on the first day. Nothing "
        "breaks; one request is slow. With the lock, that request recomputes once and everyone arriving meanwhile "
        "waits for it; with plain memoize, everyone arriving during the recompute recomputes too.",
        ["Plain memoize also keeps one ", html.Code("version"), " key per function, with the same timeout. When "
         "it is missing (first use, after clearing, after it expires), concurrent callers each make a new version "
         "and compute under their own: even later requests can miss. The compute-once store uses a fixed key per "
         "value instead."],
    )


def layout(**_kwargs):
    return html.Div(
        [
            lesson_header(__name__, "Compute once on the server, then signal every graph",
                          ["Pick a sensor. Its data takes a slow step to compute; four graphs need it. Watch which "
                           "workers do the work in the timeline, and how many times the step really runs."]),
            dbc.Row([
                dbc.Col(explain("A global store on the server",
                                ["The result is kept in a cache every worker reads: Redis or files on disk, through "
                                 "flask-caching. It is keyed by the input, so any session, any worker, any reload "
                                 "finds it: a cache hit instead of the slow step. The data is seeded by the sensor, "
                                 "so whichever worker computes it computes the same numbers."]), lg=4),
                dbc.Col(explain("A signal, not the data",
                                ["One callback runs the slow step on one worker while the others stay free. It "
                                 "writes only a small signal (a few hundred bytes) to a ", html.Code("dcc.Store"),
                                 ". Four graph callbacks fire on it, in parallel on other workers, and read the "
                                 "data from the cache."]), lg=4),
                dbc.Col(explain("Where the reference breaks",
                                ["flask-caching's ", html.Code("memoize"), " has no lock. Users who ask for the same "
                                 "uncached value at once all miss, and all run the step. The fix: get → lock → get "
                                 "again → compute → set. The first caller computes; the others wait for the lock, "
                                 f"then read. A Redis lock expires {LOCK_TTL_SECONDS:g} s after its holder dies; "
                                 "a file lock is freed at once."]), lg=4),
            ], className="g-3"),
            section("Try it"),
            _controls(),
            html.Div(id=ids.status, className="mt-3"),
            dcc.Store(id=ids.signal),
            dcc.Store(id=ids.crowd_round),
            html.Div(MeterPanel(PATTERN, scope=f"{PATTERN}-live", steps=["compute"],
                                title="Meters: select, signal, four graphs", step_label="Expensive step ran"),
                     className="mt-3"),
            dbc.Row([_graph(kind) for kind in ids.graphs], className="g-3 mt-1"),
            html.Div(Timeline(PATTERN, scope=f"{PATTERN}-live"), className="mt-3"),
            section(f"Up to {MAX_USERS} users at once"),
            _crowd(),
            section("Expiry"),
            _expiry(),
            section("The code"),
            create_code_view(select_value, draw_scatter, draw, read_data, global_store, once_store, compute, open=True),
            html.Div(takeaways(
                "Keep an expensive result in a cache every worker shares, keyed by its inputs: one worker computes, "
                "every later request, session and reload reads it.",
                "Send a small signal to the browser, not the data: the callbacks that need the data read it from the "
                "server cache, in parallel.",
                "memoize alone computes once per concurrent caller. Put a lock around the miss (get → lock → get "
                "again → compute → set) to compute once, and give the lock an expiry so a dead worker blocks nobody.",
            ), className="mt-3"),
        ],
        id=PATTERN,
    )
