"""Lesson 8's views: one card per way of running the step (plain, Diskcache, Celery), what a
run returned, and the crowd's results side by side. `pages/background.py` places them."""

from __future__ import annotations

import time

import dash_bootstrap_components as dbc
from dash import html

from components.lesson import verdict
from components.workshop import Answer, Question
from lab.background import BACKGROUND_MODES, CELERY, DISKCACHE, MODES, PLAIN, ids, report
from lab.i18n import _, decimal, localize
from lab.sizes import human_duration

def mode_card(mode: str, redis: bool):
    """The controls and the result of one way of running the step."""
    where = {PLAIN: _("On a web worker: it is busy until the step ends."),
             DISKCACHE: _("In a job process the web worker starts; the web worker answers at once."),
             CELERY: _("On a Celery worker (this machine or another), through Redis.")}[mode]
    if mode == CELERY and not redis:
        body = [html.P(where, className="lab-muted"),
                html.P(_("The Celery variant needs Redis as its broker and result store. Start the lab with "
                         "REDIS_URL set (or `docker compose up`): `python app.py` then starts a Celery worker "
                         "beside gunicorn."), className="background-needs-redis", role="note")]
        return html.Div([html.H3(_(MODES[mode])), *body], className="lab-card background-mode")
    controls = [dbc.Button(_("Run the step"), id=ids.run[mode], n_clicks=0, color="primary")]
    extra = []
    if mode in BACKGROUND_MODES:
        controls.append(dbc.Button(_("Cancel"), id=ids.cancel[mode], n_clicks=0, color="secondary", outline=True,
                                   disabled=True))
        # dbc.Progress takes no aria-label: assets/a11y.js names its bar from this <label for>.
        extra.append(html.Div([html.Label(_("Progress of the background job"), htmlFor=ids.progress[mode],
                                          className="visually-hidden"),
                               dbc.Progress(id=ids.progress[mode], value=0, label="",
                                            className="background-progress mt-2")]))
    return html.Div([
        html.H3(_(MODES[mode])),
        html.P(where, className="lab-muted"),
        html.Div(controls, className="background-buttons"),
        *extra,
        html.Div("—", id=ids.view[mode], className="background-result mt-2", role="status",
                 **{"aria-live": "polite"}),
    ], className="lab-card background-mode")


def result_view(result: dict | None):
    """What a run returned: the report's figure, which process computed it, when."""
    if not result:
        return "—"
    took = human_duration((result["ended"] - result["started"]) * 1000)
    where = (_("web worker %(pid)s", pid=result["pid"]) if result.get("web_worker", True)
             else _("background process %(pid)s", pid=result["pid"]))
    age = time.time() - result["ended"]
    line = [html.Strong(_("%(report)s: %(answer)s", report=report(result["value"]),
                          answer=decimal(result["answer"]))), " ",
            _("computed by %(where)s in %(took)s", where=where, took=took)]
    if age > 2:
        line += [" · ", _("%(age)s s ago: answered from the cache", age=decimal(age))]
    return html.Div(line)


def crowd_card(mode: str, run: dict | None):
    if not run:
        body = html.P(_("Not run yet in this mode."), className="lab-muted mb-0")
    else:
        p95 = run["ping_p95_ms"]
        free = p95 is not None and p95 <= 1000 * max(0.5, run["step"] / 2)
        big = [(_("cheap callback p95"), human_duration(p95) if p95 is not None else "—",
                _("%(pings)s pings during the crowd; slowest %(max)s", pings=run["pings"],
                  max=human_duration(run["ping_max_ms"]) if run["ping_max_ms"] is not None else "—")),
               (_("users served"), f"{run['served']}/{run['users']}",
                _("each its own report, in %(wall)s", wall=human_duration(run["wall"] * 1000))),
               (_("processes that ran the step"), str(len(run["step_pids"])),
                _("web workers that answered: %(count)s", count=len(run["web_workers"])))]
        table = html.Table([
            html.Thead(html.Tr([html.Th(h) for h in (_("user"), _("report"), _("ran on"), _("polls"), _("time"))])),
            html.Tbody([html.Tr([html.Td(r["user"]), html.Td(r["value"]), html.Td(r["pid"] or r["error"] or "—"),
                                 html.Td(r["polls"]), html.Td(human_duration(r["seconds"] * 1000))])
                        for r in run["rows"]]),
        ], className="table table-sm")
        word = (_("✓ the web workers stayed free: the cheap callback did not wait") if free else
                _("✗ the web workers were busy: the cheap callback waited"))
        body = [
            html.Div([html.Div([html.Div(label, className="lab-meter-label"), html.Div(value, className="lab-meter-value"),
                                html.Div(sub, className="lab-meter-sub")], className="lab-meter")
                      for label, value, sub in big], className="background-crowd-figures"),
            html.P([word, " · ", _("the step takes %(seconds)s s", seconds=localize(f"{run['step']:g}"))],
                   className=f"lab-figure-note mt-2 mb-1 background-crowd-{'free' if free else 'busy'}"),
            html.Details([html.Summary(_("Per user")), table]),
        ]
    return html.Div([verdict(mode != PLAIN, _(MODES[mode])), html.Div(body, className="lab-card")], className="lab-side")


def crowd_results(results: dict, error: str | None = None):
    return [
        html.Div(error, className="background-refused mb-2", role="alert") if error else None,
        dbc.Row([dbc.Col(crowd_card(mode, results.get(mode)), lg=4) for mode in MODES], className="g-3"),
    ]


def self_check_questions() -> list[Question]:
    return [
        Question(_("Four web workers, eight users start a 3-second plain callback at once. What happens to a "
                   "cheap callback someone sends meanwhile?"), (
            Answer(_("It waits until a web worker finishes a step: seconds, not milliseconds."), True,
                   _("A sync worker runs one request at a time; all of them are busy with the step.")),
            Answer(_("It runs at once on a spare thread."), False,
                   _("gunicorn's sync workers have no spare thread: one request per worker process.")),
            Answer(_("It fails with an error."), False,
                   _("It is queued, not refused: it is only slow. The crowd above measures how slow.")))),
        Question(_("Why give DiskcacheManager a cache directory of its own instead of DiskcacheManager()?"), (
            Answer(_("Without one, each worker process makes its own temporary directory, so results and "
                     "polls on another worker find nothing."), True,
                   _("plotly/dash#2683: every worker must read the same directory for cache_by and polls to work.")),
            Answer(_("Because the default directory is too small."), False,
                   _("Size is not the problem: each process gets a different directory.")),
            Answer(_("It is only needed with Celery."), False,
                   _("Celery keeps results in Redis; the directory matters for the Diskcache manager.")))),
        Question(_("What does the Celery variant add over Diskcache?"), (
            Answer(_("The step can run on other machines: any Celery worker that reaches the same Redis."), True,
                   _("The web workers only queue the job; a worker service runs it wherever it is.")),
            Answer(_("Results are cached; Diskcache cannot cache."), False,
                   _("Both cache with cache_by; the difference is where the job runs.")),
            Answer(_("The web workers no longer receive polls."), False,
                   _("The browser still polls the web workers until the result is ready, with either manager.")))),
    ]
