"""The instructor's HTTP interface (also what the tests and the benchmark drive).

    GET  /api/health          backend, Redis reachability, the answering worker, master, live workers
    GET  /api/metrics         per pattern: recomputes, callbacks, bytes up/down, latency p50/p95; per worker
    POST /api/metrics/reset   forget every figure                                  (guarded)
    POST /api/metrics/visits  {"visits": [visit ids], "pattern": p}: what the instruments recorded for
                              each of those visits (a visit id is the signed id a page load gets)
    POST /api/workers         {"count": N}: ask gunicorn for N workers              (guarded)
    POST /api/cache/clear     empty the shared server cache                         (guarded)
    GET  /api/compare         the comparison's progress and its latest result
    POST /api/compare         {"users", "workers": [..], "rows", "offload"}: start one  (guarded)
    POST /api/compare/cancel  stop the running comparison after its current step    (guarded)
    GET  /api/compare/latest.json, /api/compare/latest.csv: the latest result, to download

Guarded actions are open on a private run (bound to 127.0.0.1) and need the instructor token
(header X-Instructor-Token) when the lab listens on other addresses; refused, they answer 403
and change nothing.
"""

from __future__ import annotations

import functools
import json
import time

from flask import Blueprint, Response, current_app, jsonify, request

from lab.cache import active_backend, cache
from lab.compare import runs as compare_runs
from lab.compare.report import csv_text
from lab.compare.runner import Config
from lab.guard import TOKEN_HEADER, authorize, guard_info
from lab.health import health
from lab.metrics import store_for
from lab.sessions import verify_or_none
from lab.settings import MAX_WORKERS, get_settings
from lab.workers import NotUnderGunicorn, request_worker_count, server_info

blueprint = Blueprint("lab_api", __name__, url_prefix="/api")


def _json(payload: dict, status: int = 200):
    response = jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def instructor_only(view):
    """Refuse with 403 (and change nothing) unless the guard lets this request through."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        refusal = authorize(get_settings(), request.headers.get(TOKEN_HEADER))
        if refusal:
            return _json({"error": refusal}, 403)
        return view(*args, **kwargs)

    return guarded


@blueprint.get("/health")
def get_health():
    return _json({**health(current_app, get_settings()), "guard": guard_info(get_settings())})


@blueprint.get("/metrics")
def get_metrics():
    settings = get_settings()
    store = store_for(settings)
    summary = store.summary()
    live = set(server_info()["workers"])
    for pid, figures in summary["workers"].items():
        figures["live"] = int(pid) in live
    return _json({"backend": active_backend(current_app), "store": store.kind, "available": store.available(),
                  "instruments": settings.instruments, **summary})


@blueprint.post("/metrics/reset")
@instructor_only
def reset_metrics():
    store_for(get_settings()).reset()
    return _json({"reset": True})


MAX_VISITS_PER_QUERY = 64


@blueprint.post("/metrics/visits")
def visit_metrics():
    """Per visit, its figures on one pattern: what the comparison runner reads back after a round."""
    body = request.get_json(silent=True)
    visits = body.get("visits") if isinstance(body, dict) else None
    pattern = body.get("pattern") if isinstance(body, dict) else None
    if (not isinstance(visits, list) or not 1 <= len(visits) <= MAX_VISITS_PER_QUERY
            or not all(isinstance(v, str) for v in visits) or not isinstance(pattern, str) or len(pattern) > 64):
        return _json({"error": f'send {{"visits": [1 to {MAX_VISITS_PER_QUERY} visit ids], "pattern": name}}'}, 400)
    settings = get_settings()
    store = store_for(settings)
    if not settings.instruments:
        return _json({"error": "the instruments are off (INSTRUMENTS=off): nothing is recorded"}, 409)
    if not store.available():
        return _json({"error": "the shared store of the figures is unreachable (degraded mode)"}, 503)
    return _json({"visits": [_visit_figures(store, verify_or_none(settings.secret_key, token), pattern)
                             for token in visits]})


def _visit_figures(store, visit: str | None, pattern: str) -> dict:
    if visit is None:
        return {"error": "not a visit id this server issued"}
    view = store.session_view(visit, pattern)
    calls = [c for c in view["calls"] if c["p"] == pattern]
    counters = view["callbacks"].values()
    return {
        "callbacks": sum(c.get("n", 0) for c in counters),
        "bytes_up": sum(c.get("in", 0) for c in counters),
        "bytes_down": sum(c.get("out", 0) for c in counters),
        "recomputes": view["recomputes"]["mine"],
        "durations_ms": [round((c["t1"] - c["t0"]) * 1000.0, 2) for c in calls],
        "errors": sum(c["st"] >= 400 for c in calls),
        "refused_steps": sum(c["sn"] for c in calls if 400 <= c["st"] < 500),  # must stay 0: refused costs nothing
        "max_up": max((c["up"] for c in calls), default=0),
        "pids": sorted({c["pid"] for c in calls}),
    }


@blueprint.post("/workers")
@instructor_only
def set_workers():
    body = request.get_json(silent=True)
    count = body.get("count") if isinstance(body, dict) else None
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_WORKERS:
        return _json({"error": f"send {{\"count\": N}} with N a whole number from 1 to {MAX_WORKERS}"}, 400)
    try:
        result = request_worker_count(count, MAX_WORKERS)
    except NotUnderGunicorn:
        return _json({"error": "this lab runs as a single process (python app.py --dev); start it with "
                               "python app.py --workers N to change the number of workers"}, 409)
    return _json(result, 202)


@blueprint.post("/cache/clear")
@instructor_only
def clear_cache():
    cleared = bool(cache.clear())
    return _json({"cleared": cleared}, 200 if cleared else 503)


@blueprint.get("/compare")
def get_comparison():
    settings = get_settings()
    return _json({"progress": compare_runs.status(settings) or None, "latest": compare_runs.latest(settings)})


@blueprint.post("/compare")
@instructor_only
def start_comparison():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _json({"error": 'send {"users": 8, "workers": [1, 4], "rows": 10000, "offload": true} '
                             '(every field optional)'}, 400)
    defaults = Config()
    try:
        config = Config(body.get("users", defaults.users), tuple(body.get("workers", defaults.workers)),
                        body.get("rows", defaults.rows), tuple(body.get("patterns", defaults.patterns)),
                        body.get("offload", defaults.offload))
    except TypeError:
        return _json({"error": "workers and patterns must be lists"}, 400)
    try:
        progress = compare_runs.start(get_settings(), config)
    except compare_runs.RunRefused as exc:
        return _json({"error": str(exc)}, 409 if exc.busy else 400)
    return _json({"progress": progress}, 202)


@blueprint.post("/compare/cancel")
@instructor_only
def cancel_comparison():
    if not compare_runs.cancel(get_settings()):
        return _json({"error": "no comparison is running"}, 409)
    return _json({"cancelling": True}, 202)


@blueprint.get("/compare/latest.<fmt>")
def download_comparison(fmt: str):
    result = compare_runs.latest(get_settings())
    if result is None:
        return _json({"error": "no comparison has run yet on this lab"}, 404)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(result["finished_at"]))
    if fmt == "json":
        body, mimetype = json.dumps(result, indent=1), "application/json"
    elif fmt == "csv":
        body, mimetype = csv_text(result), "text/csv"
    else:
        return _json({"error": "ask for latest.json or latest.csv"}, 404)
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="compare-{stamp}.{fmt}"', "Cache-Control": "no-store"})


def init_app(server) -> None:
    server.register_blueprint(blueprint)
