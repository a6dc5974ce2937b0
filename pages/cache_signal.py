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
import os
import time

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from components import worker_strip
from components.cache_signal_views import crowd_results, self_check_questions, status_view
from components.code_view import create_code_view
from components.lesson import explain, lesson_layout, toggle
from components.meters import MeterPanel
from components.timeline import Timeline
from lab.cache_signal import (HOW, MAX_USERS, MODES, ONCE, PATTERN, VALUES, compute, crowd_round_of, figure, forget,
                              global_store, once_store, read_data, sensor, simulate_users, waiting_figure)
from lab.guard import authorize
from lab.i18n import N_, _, decimal, later, localize
from lab.schema import accepts, clicks, flag, list_of, nullable, number, one_of, record, text, token, whole
from lab.http_client import callback_body
from lab.settings import get_settings
from lab.singleflight import LOCK_TTL_SECONDS, locker_for
from lab.sizes import human_duration

dash.register_page(
    __name__, path="/cache-signal", name=N_("Server cache + signal"), order=5, lesson=5, nav_label=N_("Cache"),
    pattern=PATTERN, title=later("A server cache and a signal"),
    description=N_("Compute once on one worker, keep the result in Redis or on disk, and signal four graphs "
                   "to read it in parallel."),
)

GRAPH_TITLES = {"scatter": N_("Scatter: x against y"), "line": N_("Line: a random walk over time"),
                "histogram": N_("2-D histogram of x and y"), "contour": N_("Contour of the same density")}


class ids:
    value = f"{PATTERN}-value"
    mode = f"{PATTERN}-mode"
    crowd_round = f"{PATTERN}-round"  # empty in the browser; a simulated crowd's private namespace
    signal = f"{PATTERN}-live-signal"
    status = f"{PATTERN}-live-status"
    graphs = {kind: f"{PATTERN}-live-{kind}" for kind in GRAPH_TITLES}
    notes = {kind: f"{PATTERN}-live-{kind}-note" for kind in GRAPH_TITLES}
    clear = f"{PATTERN}-clear"
    cleared = f"{PATTERN}-cleared"
    users = f"{PATTERN}-crowd-users"
    fire = f"{PATTERN}-crowd-fire"
    crowd = f"{PATTERN}-crowd-results"
    crowd_view = f"{PATTERN}-crowd-view"


_COUNT, _SECONDS = whole(0, 10**9), number(0, 1e11)
_CROWD_RUN = record(
    value=one_of(*VALUES), mode=one_of(*MODES), users=whole(2, MAX_USERS), wall=_SECONDS, executions=_COUNT,
    copies=_COUNT, pids=list_of(_COUNT, MAX_USERS), same_data=flag(), failed=_COUNT, live_workers=_COUNT,
    step=_SECONDS, at=_SECONDS,
    rows=list_of(record(user=whole(1, MAX_USERS), status=whole(0, 999), seconds=_SECONDS, pid=nullable(_COUNT),
                        source=nullable(one_of(*HOW)), copy=nullable(text(64)), fingerprint=nullable(text(64)),
                        error=nullable(text(500))), MAX_USERS))
accepts({
    (ids.value, "value"): one_of(*VALUES),
    (ids.mode, "value"): one_of(*MODES),
    (ids.crowd_round, "data"): token(),
    (ids.signal, "data"): record(value=one_of(*VALUES), mode=one_of(*MODES), source=one_of(*HOW), pid=_COUNT,
                                 ms=_SECONDS, computed_by=_COUNT, computed_at=_SECONDS, fingerprint=text(64)),
    (ids.clear, "n_clicks"): clicks(),
    (ids.fire, "n_clicks"): clicks(),
    (ids.users, "value"): whole(2, MAX_USERS),
    (ids.crowd, "data"): nullable(record(optional=MODES, **{mode: _CROWD_RUN for mode in MODES})),
})


def layout(**_kwargs):
    settings = get_settings()
    return lesson_layout(
        __name__,
        question=_("Compute once on the server, then signal every graph"),
        lead=_("Pick a sensor. Its data takes a slow step to compute; four graphs need it. Watch which workers do "
               "the work in the timeline, and how many times the step really runs."),
        why=_("a cache every worker shares turns the expensive step into a lookup for everyone after the first; "
              "a lock around the miss makes that first one alone."),
        cards=[explain(_("A global store on the server"),
                       _("The result is kept in a cache every worker reads: Redis or files on disk, through "
                         "flask-caching. It is keyed by the input, so any session, any worker, any reload finds it: a "
                         "cache hit instead of the slow step. The data is seeded by the sensor, so whichever worker "
                         "computes it computes the same numbers.")),
               explain(_("A signal, not the data"),
                       _("One callback runs the slow step on one worker while the others stay free. It writes only a "
                         "small signal (a few hundred bytes) to a dcc.Store. Four graph callbacks fire on it, in "
                         "parallel on other workers, and read the data from the cache.")),
               explain(_("Where the reference breaks"),
                       _("flask-caching's memoize has no lock. Users who ask for the same uncached value at once all "
                         "miss, and all run the step. The fix: get → lock → get again → compute → set. The first "
                         "caller computes; the others wait for the lock, then read. A Redis lock expires %(ttl)s s "
                         "after its holder dies; a file lock is freed at once.", ttl=f"{LOCK_TTL_SECONDS:g}"))],
        try_steps=[(_("Pick another sensor, then come back to the first."),
                    _("the first visit says “Computed”, the return “Cache hit”; the step count does not move.")),
                   (_("Fire 8 users with “Plain memoize”, then with “Compute once”."),
                    _("memoize runs the step several times, compute-once exactly once, for the same users.")),
                   (_("Watch the timeline while the four graphs load."),
                    _("four bars side by side on different workers: the signal fired them in parallel."))],
        demo=[
            _controls(),
            html.Div(id=ids.status, className="mt-3"),
            dcc.Store(id=ids.signal),
            dcc.Store(id=ids.crowd_round),
            html.Div(MeterPanel(PATTERN, scope=f"{PATTERN}-live", steps=["compute"],
                                title=_("Meters: select, signal, four graphs"), step_label=_("Expensive step ran")),
                     className="mt-3"),
            dbc.Row([_graph(kind) for kind in GRAPH_TITLES], className="g-3 mt-1"),
        ],
        timeline=Timeline(PATTERN, scope=f"{PATTERN}-live"),
        sections=[
            (_("Up to %(users)s users at once", users=MAX_USERS), _crowd()),
            (_("Expiry"), explain(
                _("When an entry expires"),
                _("Every entry lives %(seconds)s seconds (CACHE_TIMEOUT). After that the cache answers “miss”, and "
                  "the next request for the value runs the expensive step again, as on the first day. Nothing "
                  "breaks; one request is slow. With the lock, that request recomputes once and everyone arriving "
                  "meanwhile waits for it; with plain memoize, everyone arriving during the recompute recomputes "
                  "too.", seconds=decimal(settings.cache_timeout)),
                _("Plain memoize also keeps one version key per function, with the same timeout. When it is missing "
                  "(first use, after clearing, after it expires), concurrent callers each make a new version and "
                  "compute under their own: even later requests can miss. The compute-once store uses a fixed key "
                  "per value instead."))),
        ],
        code=create_code_view(select_value, draw_scatter, draw, read_data, global_store, once_store, compute,
                              open=True),
        takeaways=[
            _("Keep an expensive result in a cache every worker shares, keyed by its inputs: one worker computes, "
              "every later request, session and reload reads it."),
            _("Send a small signal to the browser, not the data: the callbacks that need the data read it from the "
              "server cache, in parallel."),
            _("memoize alone computes once per concurrent caller. Put a lock around the miss (get → lock → get "
              "again → compute → set) to compute once, and give the lock an expiry so a dead worker blocks nobody."),
        ],
        check=self_check_questions(),
    )


def _controls():
    settings = get_settings()
    facts = [_("Backend: %(backend)s", backend=settings.backend), _("lock: %(kind)s", kind=_(locker_for(settings).kind)),
             _("entries live %(seconds)s s (CACHE_TIMEOUT)", seconds=decimal(settings.cache_timeout)),
             _("the step takes %(seconds)s s (STEP_SECONDS)", seconds=localize(f"{settings.step_seconds:g}"))]
    return html.Div([
        html.Div([html.Label(_("Sensor"), htmlFor=ids.value),
                  dbc.Select(id=ids.value, options=[{"label": sensor(v), "value": v} for v in VALUES],
                             value="A", style={"minWidth": "12rem"})]),
        html.Div([html.Div(_("Global store"), id=f"{ids.mode}-label", className="lab-label"),
                  html.Div(toggle(ids.mode, {m: _(label) for m, label in MODES.items()}, ONCE), role="group",
                           **{"aria-labelledby": f"{ids.mode}-label"})]),
        html.Div([dbc.Button(_("Clear this lesson's cache"), id=ids.clear, n_clicks=0, color="secondary",
                             outline=True),
                  html.Div(id=ids.cleared, className="lab-figure-note mt-1")]),
        html.Div([html.Span(fact, className="cache-signal-fact") for fact in facts], className="cache-signal-facts"),
    ], className="lab-card lab-controls")


def _graph(kind: str):
    return dbc.Col(html.Div([
        html.Div([html.Span(_(GRAPH_TITLES[kind]), className="cache-signal-graph-title"),
                  html.Span("—", id=ids.notes[kind], className="cache-signal-graph-note")],
                 className="cache-signal-graph-head"),
        dcc.Graph(id=ids.graphs[kind], figure=waiting_figure(), config={"displayModeBar": False}),
    ], className="lab-graph"), lg=6)


def _crowd():
    return html.Div([
        html.P(_("Several users selecting the same uncached sensor at the same moment is where the two stores "
                 "differ. This button sends that many real requests to this app's select callback at once, each as a "
                 "different user, through gunicorn. They use a fresh, private corner of the cache, so the sensor is "
                 "uncached for them and nobody else's cache is emptied. The worker that sends them waits for the "
                 "answers, so the other workers serve them."), className="lab-muted"),
        html.Div([
            html.Div([html.Label(_("Users at once"), htmlFor=ids.users),
                      dcc.Slider(id=ids.users, min=2, max=MAX_USERS, step=1, value=MAX_USERS,
                                 marks={n: str(n) for n in range(2, MAX_USERS + 1)})], style={"minWidth": "18rem"}),
            dbc.Button(_("Fire the users at the selected sensor"), id=ids.fire, n_clicks=0, color="primary"),
            html.Div([html.Div(_("Crowd time"), className="lab-meter-label"),
                      html.Div("—", className="lab-timer lab-meter-value", **{"data-scope": f"{PATTERN}-crowd"})],
                     className="lab-meter cache-signal-crowd-timer"),
        ], className="lab-card lab-controls mb-3"),
        dcc.Loading(html.Div(crowd_results({}), id=ids.crowd_view), type="dot", delay_show=300),
        dcc.Store(id=ids.crowd, data={}),
    ])


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
    note = _("worker %(pid)s · %(took)s · %(how)s", pid=os.getpid(), took=human_duration((time.perf_counter() - t0) * 1000),
             how=_(HOW[source]))
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


@callback(Output(ids.cleared, "children"), Input(ids.clear, "n_clicks"), State(worker_strip.ids.token, "value"),
          prevent_initial_call=True)
def clear_cache(_clicks, token):
    refusal = authorize(get_settings(), token)
    if refusal:
        return html.Span(refusal, className="cache-signal-refused")
    forget(VALUES)
    return _("Cleared at %(time)s: the next selection of any sensor computes again.",
             time=f"{dt.datetime.now():%H:%M:%S}")


@callback(
    Output(ids.crowd, "data"),
    Output(ids.crowd_view, "children"),
    Input(ids.fire, "n_clicks"),
    State(ids.value, "value"),
    State(ids.mode, "value"),
    State(ids.users, "value"),
    State(worker_strip.ids.token, "value"),
    State(ids.crowd, "data"),
    prevent_initial_call=True,
)
def fire_crowd(_clicks, value, mode, users, token, results):
    results = dict(results or {})
    refusal = authorize(get_settings(), token)
    run = {"error": refusal} if refusal else simulate_users(value, mode, users,
                                                            lambda round_token: select_body(value, mode, round_token))
    if "error" not in run:
        results[mode] = run
    return results, crowd_results(results, run.get("error"))


def select_body(value: str, mode: str, round_token: str) -> dict:
    """The request a browser makes for `select_value`, in a crowd's private round."""
    return callback_body([f"{ids.signal}.data", f"{ids.status}.children"],
                         {f"{ids.value}.value": value, f"{ids.mode}.value": mode}, {f"{ids.crowd_round}.data": round_token})
