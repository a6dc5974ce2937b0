"""Lesson 8: the expensive step off the web workers.

The same step of STEP_SECONDS three ways. In a plain callback it holds a gunicorn sync worker for
the whole step: when enough users start it at once, every web worker is busy and even a cheap
callback waits. In a background callback (`background=True`) the web worker only starts a job —
a process of Dash's `DiskcacheManager`, or a task for a Celery worker through Redis with
`CeleryManager` — and answers at once; the browser polls for progress and the result, and can
cancel. `cache_by` keeps each result for every user and worker.
"""

from __future__ import annotations

import datetime as dt
import os

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from components import worker_strip
from components.background_views import crowd_results, mode_card, result_view, self_check_questions
from components.code_view import create_code_view
from components.lesson import explain, lesson_layout, toggle
from components.meters import MeterPanel
from components.timeline import Timeline
from lab.background import (BACKGROUND_MODES, CELERY, DISKCACHE, MAX_USERS, MODES, PATTERN, PLAIN, POLL_MS, VALUES,
                            background_job, celery_manager, diskcache_manager, forget_results, ids, report, round_of,
                            run_step, simulate_users)
from lab.guard import authorize
from lab.i18n import N_, _, later, localize
from lab.instrument import current_session
from lab.schema import accepts, clicks, flag, list_of, nullable, number, one_of, record, text, token, whole
from lab.settings import get_settings

dash.register_page(
    __name__, path="/background", name=N_("Off the web workers"), order=8, lesson=8, nav_label=N_("Background"),
    pattern=PATTERN, title=later("The expensive step off the web workers"),
    description=N_("Run a slow step in a background callback (Diskcache, or Celery on Redis): the web workers "
                   "stay free, with progress and cancel."),
)

SETTINGS = get_settings()
_COUNT, _SECONDS = whole(0, 10**9), number(0, 1e11)
_RESULT = nullable(record(value=one_of(*VALUES), mode=one_of(*MODES), answer=_COUNT, pid=_COUNT, started=_SECONDS,
                          ended=_SECONDS, web_worker=flag()))
_CROWD_RUN = record(
    mode=one_of(*MODES), users=whole(1, MAX_USERS), wall=_SECONDS, served=_COUNT, failed=_COUNT,
    ping_p95_ms=nullable(_SECONDS), ping_max_ms=nullable(_SECONDS), pings=_COUNT, pings_failed=_COUNT,
    web_workers=list_of(_COUNT, 64), step_pids=list_of(_COUNT, MAX_USERS), step=_SECONDS, live_workers=_COUNT,
    at=_SECONDS,
    rows=list_of(record(user=whole(1, MAX_USERS), value=one_of(*VALUES), status=whole(0, 999), seconds=_SECONDS,
                        polls=_COUNT, pid=nullable(_COUNT), error=nullable(text(500))), MAX_USERS))
accepts({
    (ids.value, "value"): one_of(*VALUES),
    (ids.crowd_round, "data"): token(),
    (ids.ping, "n_clicks"): clicks(),
    (ids.clear, "n_clicks"): clicks(),
    (ids.fire, "n_clicks"): clicks(),
    (ids.users, "value"): whole(2, MAX_USERS),
    (ids.crowd_mode, "value"): one_of(*MODES),
    (ids.crowd, "data"): nullable(record(optional=MODES, **{mode: _CROWD_RUN for mode in MODES})),
    **{(ids.run[mode], "n_clicks"): clicks() for mode in MODES},
    **{(ids.result[mode], "data"): _RESULT for mode in MODES},
    **{(ids.cancel[mode], "n_clicks"): clicks() for mode in BACKGROUND_MODES},
})


def layout(**_kwargs):
    redis = bool(SETTINGS.redis_url)
    return lesson_layout(
        __name__,
        question=_("Keep the web workers free while the slow step runs"),
        lead=_("Run the same slow step three ways, then fire users who each ask for a different report at once. "
               "Watch whether a cheap callback still answers."),
        why=_("a gunicorn sync worker serves one request at a time: a step that holds it for seconds makes every "
              "other request wait, unless a background process runs the step."),
        cards=[explain(_("A plain callback holds a web worker"),
                       _("The web worker runs the step itself and answers when it ends. With as many slow requests "
                         "as workers, nothing else is served: not even a callback that takes a millisecond.")),
               explain(_("A background callback hands the step over"),
                       _("With background=True the web worker starts a job and answers at once. The browser then asks "
                         "every %(ms)s ms for progress and the result (short requests), and can cancel the job. "
                         "cache_by keeps each result for every user and worker.", ms=POLL_MS)),
               explain(_("Diskcache, then Celery"),
                       _("DiskcacheManager starts a process on the same machine and keeps results in a directory "
                         "every worker must share (DATA_DIR here, not its per-process default). CeleryManager queues "
                         "the job in Redis for Celery workers, which can run on other machines."))],
        try_steps=[(_("Run the step with the plain callback, then with Diskcache."),
                    _("the timeline shows the plain step on a web worker's lane, the background one on a "
                      "background lane, with short polls on the web workers.")),
                   (_("Run Diskcache again on the same report, then pick another report and press Cancel."),
                    _("the second run answers from the cache (the step count does not move); the cancelled job "
                      "stops and its progress bar with it.")),
                   (_("Fire 8 users with the plain callback, then in the background."),
                    _("plain: the cheap callback's p95 reaches the step time; background: it stays in "
                      "milliseconds, and every user still gets its report."))],
        demo=[
            _controls(),
            dcc.Store(id=ids.crowd_round),
            html.Div(MeterPanel(PATTERN, scope=f"{PATTERN}-live", steps=list(MODES),
                                title=_("Meters: your runs and pings"), step_label=_("Slow step ran")),
                     className="mt-3"),
            dbc.Row([dbc.Col(mode_card(mode, redis), lg=4) for mode in MODES], className="g-3 mt-1"),
            *[dcc.Store(id=ids.result[mode]) for mode in MODES],
        ],
        timeline=Timeline(PATTERN, scope=f"{PATTERN}-live",
                          title=_("Where your callbacks ran (background jobs on lanes of their own)")),
        sections=[(_("Up to %(users)s users at once, each a different report", users=MAX_USERS), _crowd())],
        code=create_code_view(run_plain, run_diskcache, *([run_celery] if redis else []), background_job, run_step,
                              open=True),
        takeaways=[
            _("A slow step in a plain callback holds a web worker; enough of them at once and every request waits."),
            _("background=True hands the step to another process: the web worker answers at once, and the browser "
              "polls for progress and the result, and can cancel."),
            _("Give DiskcacheManager a cache directory every worker shares; use CeleryManager with Redis to run the "
              "step on other machines. cache_by shares each result with every user."),
        ],
        check=self_check_questions(),
    )


def _controls():
    facts = [_("the step takes %(seconds)s s (STEP_SECONDS)", seconds=localize(f"{SETTINGS.step_seconds:g}")),
             _("Celery: on (Redis)") if SETTINGS.redis_url else _("Celery: off (needs REDIS_URL)")]
    return html.Div([
        html.Div([html.Label(_("Report"), htmlFor=ids.value),
                  dbc.Select(id=ids.value, options=[{"label": report(v), "value": v} for v in VALUES], value="A",
                             style={"minWidth": "10rem"})]),
        html.Div([dbc.Button(_("Ping a cheap callback"), id=ids.ping, n_clicks=0, color="secondary", outline=True),
                  html.Span("—", className="lab-timer ms-2", **{"data-scope": ids.ping}),
                  html.Div(id=ids.ping_note, className="lab-figure-note mt-1", role="status")]),
        html.Div([dbc.Button(_("Clear the results cache"), id=ids.clear, n_clicks=0, color="secondary", outline=True),
                  html.Div(id=ids.cleared, className="lab-figure-note mt-1")]),
        html.Div([html.Span(fact, className="background-fact") for fact in facts], className="background-facts"),
    ], className="lab-card lab-controls")


def _crowd():
    return html.Div([
        html.P(_("Each simulated user asks for a different report at the same moment: real requests through gunicorn, "
                 "polling like a browser for background jobs, in a private round (uncached for them). Meanwhile a cheap "
                 "callback is pinged every 0.2 s, and its waits are measured. The worker that fires them waits for the "
                 "answers, so the other workers serve them."), className="lab-muted"),
        html.Div([
            html.Div([html.Label(_("Users at once"), htmlFor=ids.users),
                      dcc.Slider(id=ids.users, min=2, max=MAX_USERS, step=1, value=MAX_USERS,
                                 marks={n: str(n) for n in range(2, MAX_USERS + 1)})], style={"minWidth": "18rem"}),
            html.Div([html.Div(_("Run them with"), id=f"{ids.crowd_mode}-label", className="lab-label"),
                      html.Div(toggle(ids.crowd_mode, {m: _(label) for m, label in MODES.items()}, PLAIN), role="group",
                               **{"aria-labelledby": f"{ids.crowd_mode}-label"})]),
            dbc.Button(_("Fire the users"), id=ids.fire, n_clicks=0, color="primary"),
        ], className="lab-card lab-controls mb-3"),
        dcc.Loading(html.Div(crowd_results({}), id=ids.crowd_view), type="dot", delay_show=300),
        dcc.Store(id=ids.crowd, data={}),
    ])


# -- the same step three ways ---------------------------------------------------------------------


@callback(Output(ids.result[PLAIN], "data"), Input(ids.run[PLAIN], "n_clicks"), State(ids.value, "value"),
          State(ids.crowd_round, "data"), running=[(Output(ids.run[PLAIN], "disabled"), True, False)],
          prevent_initial_call=True)
def run_plain(_clicks, value, round_token):
    return run_step(value, PLAIN, round_of(round_token), current_session())  # this web worker waits for it


def _background(mode: str, manager):
    """The keyword arguments of a background callback on `manager`: progress bar, cancel, cache."""
    return dict(background=True, manager=manager, interval=POLL_MS, prevent_initial_call=True,
                progress=[Output(ids.progress[mode], "value"), Output(ids.progress[mode], "label")],
                progress_default=[0, ""], cancel=[Input(ids.cancel[mode], "n_clicks")],
                running=[(Output(ids.run[mode], "disabled"), True, False),
                         (Output(ids.cancel[mode], "disabled"), False, True)],
                cache_args_to_ignore=[0])  # n_clicks: a result is kept by report (and round), not by click


@callback(Output(ids.result[DISKCACHE], "data"), Input(ids.run[DISKCACHE], "n_clicks"), State(ids.value, "value"),
          State(ids.crowd_round, "data"), **_background(DISKCACHE, diskcache_manager(SETTINGS)))
def run_diskcache(set_progress, _clicks, value, round_token):
    return background_job(value, DISKCACHE, round_token, ctx.headers, set_progress)  # in a job process


if SETTINGS.redis_url:
    @callback(Output(ids.result[CELERY], "data"), Input(ids.run[CELERY], "n_clicks"), State(ids.value, "value"),
              State(ids.crowd_round, "data"), **_background(CELERY, celery_manager(SETTINGS)))
    def run_celery(set_progress, _clicks, value, round_token):
        return background_job(value, CELERY, round_token, ctx.headers, set_progress)  # on a Celery worker


def _show(mode: str) -> None:
    callback(Output(ids.view[mode], "children"), Input(ids.result[mode], "data"), prevent_initial_call=True)(
        result_view)


for _mode in (MODES if SETTINGS.redis_url else (PLAIN, DISKCACHE)):
    _show(_mode)


@callback(Output(ids.ping_note, "children"), Input(ids.ping, "n_clicks"), prevent_initial_call=True)
def ping(_clicks):
    return _("answered by web worker %(pid)s", pid=os.getpid())


# -- instructor controls: clear the results, fire a crowd -----------------------------------------


@callback(Output(ids.cleared, "children"), Input(ids.clear, "n_clicks"), State(worker_strip.ids.token, "value"),
          prevent_initial_call=True)
def clear_results(_clicks, token):
    refusal = authorize(get_settings(), token)
    if refusal:
        return html.Span(refusal, className="background-refused")
    forget_results()
    return _("Cleared at %(time)s: the next run of any report computes again.", time=f"{dt.datetime.now():%H:%M:%S}")


@callback(Output(ids.crowd, "data"), Output(ids.crowd_view, "children"), Input(ids.fire, "n_clicks"),
          State(ids.crowd_mode, "value"), State(ids.users, "value"), State(worker_strip.ids.token, "value"),
          State(ids.crowd, "data"), prevent_initial_call=True)
def fire_crowd(_clicks, mode, users, token, results):
    results = dict(results or {})
    refusal = authorize(get_settings(), token)
    run = {"error": refusal} if refusal else simulate_users(mode, users)
    if "error" not in run:
        results[mode] = {k: v for k, v in run.items() if k != "error"}
    return results, crowd_results(results, run.get("error"))
