"""The worker strip under the navbar, on every page: the live gunicorn workers, which PID served
each of your recent callbacks, and a control that changes the number of workers while the app
runs (the gunicorn master adds a worker on SIGTTIN and retires one on SIGTTOU)."""

from __future__ import annotations

import time

import dash
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html

from components import ids as shell_ids
from lab.guard import authorize
from lab.i18n import _
from lab.schema import accepts, clicks, nullable, number, record, text, whole
from lab.settings import MAX_WORKERS, get_settings
from lab.workers import NotUnderGunicorn, request_worker_count, server_info


class ids:
    live = "lab-workers-live"
    mine = "lab-workers-mine"
    minus = "lab-workers-minus"
    plus = "lab-workers-plus"
    token = "lab-workers-token"
    status = "lab-workers-status"
    request = "lab-workers-request"
    control = "lab-workers-control"


accepts({
    (ids.minus, "n_clicks"): clicks(),
    (ids.plus, "n_clicks"): clicks(),
    (ids.token, "value"): nullable(text(200)),
    (ids.request, "data"): nullable(record(
        optional=("previous", "target", "signals", "at", "error"), previous=whole(0, 10_000),
        target=whole(1, MAX_WORKERS), signals=whole(0, 10_000), at=number(0, 1e11), error=nullable(text(500)))),
})


def create_worker_strip() -> html.Div:
    return html.Div(
        [
            html.Div([html.Span(_("Workers"), className="lab-strip-label"), html.Span(id=ids.live)],
                     className="lab-strip-part"),
            html.Div([html.Span(_("Your last callbacks ran on"), className="lab-strip-label"),
                      html.Span(id=ids.mine, className="lab-chips")],
                     className="lab-strip-part lab-strip-mine"),
            html.Div(
                [
                    html.Button("−", id=ids.minus, className="lab-strip-btn", n_clicks=0,
                                title=_("One worker fewer (SIGTTOU to the gunicorn master)"),
                                **{"aria-label": _("One worker fewer")}),
                    html.Button("+", id=ids.plus, className="lab-strip-btn", n_clicks=0,
                                title=_("One worker more (SIGTTIN to the gunicorn master)"),
                                **{"aria-label": _("One worker more")}),
                    html.Label(_("Instructor token"), htmlFor=ids.token, className="visually-hidden"),
                    dcc.Input(id=ids.token, type="password", placeholder=_("instructor token"), debounce=True,
                              persistence=True, persistence_type="local", className="lab-strip-token"),
                    html.Span(id=ids.status, className="lab-strip-status"),
                ],
                id=ids.control,
                className="lab-strip-part lab-strip-control",
            ),
            dcc.Store(id=ids.request),
        ],
        className="lab-strip",
    )


def next_target(clicked: str, live: int, pending: dict | None) -> int:
    """One more or one fewer than the count asked for last (if still on its way) or live now."""
    base = live
    if pending and pending.get("target") and pending["target"] != live and time.time() - pending.get("at", 0) < 15:
        base = pending["target"]
    return max(1, min(MAX_WORKERS, base + (1 if clicked == ids.plus else -1)))


@callback(
    Output(ids.request, "data"),
    Input(ids.minus, "n_clicks"),
    Input(ids.plus, "n_clicks"),
    State(ids.token, "value"),
    State(ids.request, "data"),
    prevent_initial_call=True,
)
def change_workers(_minus, _plus, token, pending):
    refusal = authorize(get_settings(), token)
    if refusal:
        return {"error": refusal, "at": time.time()}
    live = len(server_info()["workers"])
    target = next_target(dash.ctx.triggered_id, live, pending)
    try:
        result = request_worker_count(target, MAX_WORKERS)
    except NotUnderGunicorn:
        return {"error": _("Single process: start with python app.py --workers 4 to have workers to change."),
                "at": time.time()}
    return {**result, "at": time.time(), "error": None}


clientside_callback(
    ClientsideFunction("lab", "renderWorkers"),
    Output(ids.live, "children"),
    Output(ids.mine, "children"),
    Output(ids.status, "children"),
    Output(ids.token, "style"),
    Output(ids.control, "hidden"),
    Input(shell_ids.SNAPSHOT, "data"),
    Input(ids.request, "data"),
)
