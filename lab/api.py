"""The instructor's HTTP interface (also what the tests and the benchmark drive).

    GET  /api/health          backend, Redis reachability, the answering worker, master, live workers
    GET  /api/metrics         per pattern: recomputes, callbacks, bytes up/down, latency p50/p95; per worker
    POST /api/metrics/reset   forget every figure                                  (guarded)
    POST /api/workers         {"count": N}: ask gunicorn for N workers              (guarded)
    POST /api/cache/clear     empty the shared server cache                         (guarded)

Guarded actions are open on a private run (bound to 127.0.0.1) and need the instructor token
(header X-Instructor-Token) when the lab listens on other addresses; refused, they answer 403
and change nothing.
"""

from __future__ import annotations

import functools

from flask import Blueprint, current_app, jsonify, request

from lab.cache import active_backend, cache
from lab.guard import TOKEN_HEADER, authorize, guard_info
from lab.health import health
from lab.metrics import store_for
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


def init_app(server) -> None:
    server.register_blueprint(blueprint)
