"""The comparison: the same users doing the same thing on every pattern, side by side, measured.

One button runs a scripted scenario through every pattern (their callbacks are in
`pages/compare_workload.py`), at each worker count chosen, against this very lab: real requests
through gunicorn, the instruments and the real backends. The runner is a process of its own
(`lab.compare`), so it never occupies the workers it measures; its progress and its result live
on the shared board, so every worker, every browser and the overview show the same run.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html

from components import ids as shell_ids
from components.code_view import create_code_view
from components.compare_views import results_view
from components.lesson import explain, section, takeaways, toggle
from components.worker_strip import ids as strip_ids
from lab.background import MODES as OFFLOAD_MODES
from lab.compare import runs
from lab.compare import workload as w
from lab.compare.patterns import PAGE_PATTERN, PATTERNS
from lab.compare.runner import Config
from lab.guard import authorize
from lab.i18n import N_, _, decimal, later
from lab.schema import accepts, clicks, list_of, nullable, one_of, text, whole
from lab.settings import MAX_WORKERS, get_settings
from pages.compare_workload import CODE

dash.register_page(
    __name__, path="/compare", name=N_("Compare the patterns"), order=20, nav_label=N_("Compare"),
    pattern=PAGE_PATTERN, title=later("Every pattern side by side, measured"), live_comparison=True,
    description=N_("The same users doing the same thing through every pattern, at 1 and several workers: "
                   "correct? isolated? executions, bytes, waits — measured, one button."),
)


class ids:
    users = f"{PAGE_PATTERN}-users"
    workers = f"{PAGE_PATTERN}-workers"
    rows = f"{PAGE_PATTERN}-rows"
    run = f"{PAGE_PATTERN}-run"
    cancel = f"{PAGE_PATTERN}-cancel"
    message = f"{PAGE_PATTERN}-message"
    bar = f"{PAGE_PATTERN}-bar"
    now = f"{PAGE_PATTERN}-now"
    labels = f"{PAGE_PATTERN}-labels"
    estimate = f"{PAGE_PATTERN}-estimate"
    step = f"{PAGE_PATTERN}-step"
    shown = f"{PAGE_PATTERN}-shown"  # the id of the result on the page (the browser follows the snapshot's)
    results = f"{PAGE_PATTERN}-results"


WORKER_CHOICES = [n for n in (1, 2, 3, 4, 6, 8) if n <= MAX_WORKERS]

accepts({
    (ids.users, "value"): nullable(whole(w.MIN_USERS, w.MAX_USERS)),
    (ids.workers, "value"): nullable(list_of(one_of(*WORKER_CHOICES), len(WORKER_CHOICES))),
    (ids.rows, "value"): one_of(*w.ROW_CHOICES),
    (ids.run, "n_clicks"): clicks(),
    (ids.cancel, "n_clicks"): clicks(),
    (ids.shown, "data"): nullable(text(64, r"[0-9a-f]*")),
})


# -- starting and cancelling (instructor actions) -------------------------------------------------


@callback(Output(ids.message, "children"), Input(ids.run, "n_clicks"), Input(ids.cancel, "n_clicks"),
          State(ids.users, "value"), State(ids.workers, "value"), State(ids.rows, "value"),
          State(strip_ids.token, "value"), prevent_initial_call=True)
def run_or_cancel(_run, _cancel, users, workers, rows, token):
    settings = get_settings()
    refusal = authorize(settings, token)
    if refusal:
        return html.Div(refusal, className="cmp-message cmp-message-bad")
    if dash.ctx.triggered_id == ids.cancel:
        stopping = runs.cancel(settings)
        return html.Div(_("Cancelling after the current round…") if stopping else _("No comparison is running."),
                        className="cmp-message")
    try:
        runs.start(settings, Config(users, tuple(sorted(workers or [])), rows))
    except runs.RunRefused as exc:
        return html.Div(str(exc), className="cmp-message cmp-message-bad")
    return html.Div(_("Started: the runner is a process of its own. Its progress shows below, on every browser, "
                      "even after you leave this page and come back."), className="cmp-message cmp-message-ok")


# The progress bar and what runs now, from the shell's snapshot (no request of its own).
clientside_callback(
    ClientsideFunction("compare", "renderProgress"),
    Output(ids.bar, "value"), Output(ids.bar, "label"), Output(ids.bar, "animated"), Output(ids.bar, "color"),
    Output(ids.now, "children"), Output(ids.run, "disabled"), Output(ids.cancel, "style"), Output(ids.shown, "data"),
    Input(shell_ids.SNAPSHOT, "data"), State(ids.labels, "data"), State(ids.shown, "data"),
)


# How long the choices will take, before pressing Run (in the browser, from the step time).
clientside_callback(
    ClientsideFunction("compare", "estimate"),
    Output(ids.estimate, "children"),
    Input(ids.users, "value"), Input(ids.workers, "value"), Input(ids.rows, "value"), State(ids.step, "data"),
)


@callback(Output(ids.results, "children"), Input(ids.shown, "data"), prevent_initial_call=True)
def show_results(_result_id):
    return results_view(runs.latest(get_settings()))


# -- layout -------------------------------------------------------------------------------------------


def _controls():
    return html.Div([
        html.Div([html.Label(_("Users at once"), htmlFor=ids.users),
                  dcc.Slider(id=ids.users, min=w.MIN_USERS, max=w.MAX_USERS, step=1, value=w.DEFAULT_USERS,
                             marks={n: str(n) for n in (2, 4, 8, 12, 16)})], className="cmp-users"),
        html.Div([html.Div(_("Worker counts"), id=f"{ids.workers}-label", className="cmp-label"),
                  html.Div(toggle(ids.workers, {n: str(n) for n in WORKER_CHOICES}, [1, 4], multi=True), role="group",
                           **{"aria-labelledby": f"{ids.workers}-label"})]),
        html.Div([html.Div(_("Rows per shop"), id=f"{ids.rows}-label", className="cmp-label"),
                  html.Div(toggle(ids.rows, {n: decimal(n) for n in w.ROW_CHOICES}, w.DEFAULT_ROWS), role="group",
                           **{"aria-labelledby": f"{ids.rows}-label"})]),
        html.Div([dbc.Button(_("Run the comparison"), id=ids.run, n_clicks=0, color="primary"),
                  dbc.Button(_("Cancel"), id=ids.cancel, n_clicks=0, color="secondary", outline=True,
                             className="ms-2", style={"display": "none"}),
                  html.Div(id=ids.estimate, className="lab-figure-note mt-1")]),
        dcc.Store(id=ids.step, data=get_settings().step_seconds),
    ], className="lab-card lab-controls")


def _progress():
    return html.Div([
        html.Label(_("Progress of the comparison"), htmlFor=ids.bar, className="lab-label"),
        dbc.Progress(id=ids.bar, value=0, label="", striped=True, className="cmp-bar"),
        html.Div(id=ids.now, className="cmp-now"),
        html.Div(id=ids.message),
        dcc.Store(id=ids.labels, data={**{p.slug: _(p.label) for p in PATTERNS},
                                       **{f"offload-{mode}": _(label) for mode, label in OFFLOAD_MODES.items()}}),
    ], className="lab-card mt-3")


def layout(**_kwargs):
    settings = get_settings()
    result = runs.latest(settings)
    return html.Div([
        html.Div([html.Div(_("The comparison"), className="lab-kicker"),
                  html.H1(_("Every pattern, the same users, side by side")),
                  html.P(_("Simulated users pick a shop at the same moment (half of them the same one), two reader "
                           "callbacks show what each picked, then each user changes a display-only option. The same "
                           "script runs through every pattern, at each worker count you choose, on this lab. Is every "
                           "reader right? Does anyone see another user's pick? How often does the expensive step "
                           "run, and what crosses the wire?"), className="lab-lead")], className="lab-hero"),
        dbc.Row([
            dbc.Col(explain(_("One workload, seven patterns"),
                            _("Recompute in every callback, a module-level global, dcc.Store, aggregations upfront, "
                              "the server cache with plain memoize and with a lock, and the per-session server "
                              "cache: each the few callbacks a real app would have, shown at the bottom of this "
                              "page.")), lg=4),
            dbc.Col(explain(_("Measured, not asserted"),
                            _("Executions, callbacks and bytes are what the instruments recorded for the simulated "
                              "users' visits, on the real HTTP bodies. “Correct” and “isolated” are judged from what "
                              "every reader actually showed, against the numbers of the shop its user picked.")), lg=4),
            dbc.Col(explain(_("Off the workers it measures"),
                            _("The runner is a process of its own: it asks gunicorn for each worker count, waits "
                              "until it is live, and restores the count at the end. The step takes %(seconds)s s "
                              "(STEP_SECONDS). One run at a time; starting one is an instructor action.",
                              seconds=f"{settings.step_seconds:g}")), lg=4),
        ], className="g-3"),
        section(_("Run it")),
        _controls(),
        _progress(),
        dcc.Store(id=ids.shown, data=(result or {}).get("id")),
        section(_("What the latest run measured")),
        html.Div(results_view(result), id=ids.results),
        section(_("What each pattern ran")),
        html.Div([create_code_view(*CODE[p.slug], title=_(p.label)) for p in PATTERNS], className="cmp-code"),
        html.Div(takeaways(
            _("Correct under several workers and isolated per user are properties of where the data lives, not of "
              "the code that computes it: the global variable fails both, with the same callbacks."),
            _("Among the correct patterns, the costs differ: executions (recompute everywhere, memoize's race), "
              "bytes up (a dcc.Store goes up with every reader), bytes down (aggregate before you send)."),
            _("Compute-once and the per-session cache run the step exactly as often as there are distinct results."),
        ), className="mt-3"),
    ], id=PAGE_PATTERN)
