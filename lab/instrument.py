"""Measure every Dash callback request on the wire, and count every real run of an expensive step.

`CallbackMeter` wraps `server.wsgi_app`, outside Flask, so it sees the request body's length as
sent and the response body exactly as it leaves (after flask-compress): Dash answers with one
body, never a stream, so the middleware collects it, measures it and hands it on. The record
goes to the process's `Recorder`, which writes batches to the shared store within ~0.25 s.

A Flask `before_request` hook reads the callback's output key (Flask caches the parsed JSON, so
Dash does not parse it twice), refuses malformed callback requests with a clear 400, and passes
the key to the middleware through the WSGI environ.

The instruments' own callbacks (ids starting with `lab-`) are not recorded: the meters never
count their own refreshes.
"""

from __future__ import annotations

import json
import logging
import os
import time
from contextlib import contextmanager
from typing import Callable, Iterator

import dash
from flask import has_request_context, jsonify, request
from werkzeug.exceptions import HTTPException

from lab.http_client import CALLBACK_PATH, SESSION_HEADER
from lab import schema
from lab.metrics import Call, recorder_for, store_for
from lab.sessions import verify_or_none
from lab.settings import Settings, get_settings

log = logging.getLogger("lab.steps")
callback_log = logging.getLogger("lab.callbacks")

SESSION_ENVIRON_KEY = "HTTP_" + SESSION_HEADER.upper().replace("-", "_")
INSTRUMENT_PREFIX = "lab-"
NAVIGATION = "navigation"
OTHER = "other"
INSTRUMENTS = "instruments"  # never recorded

MAX_BODY_BYTES = 16 * 1024 * 1024
ENV_SESSION = "lab.session"
ENV_CALLBACK = "lab.callback"
ENV_PHASES = "lab.phases"
ENV_STEPS = "lab.steps"


def first_component_id(output_key: str) -> str:
    """The id of the first output of a callback key such as `a.children`, `..a.x...b.y..` or `..a.x..`.

    Pattern-matching ids are JSON objects; their `type` names the owner (`{"type": "lab-…"}`).
    """
    # Several outputs (or a list of one) are written `..a.x...b.y..`.
    key = output_key[2:-2] if output_key.startswith("..") and output_key.endswith("..") else output_key
    first = key.split("...", 1)[0]
    component = first.rsplit(".", 1)[0]
    if component.startswith("{"):
        try:
            parsed = json.loads(component)
        except ValueError:
            return component
        if isinstance(parsed, dict):
            owner = parsed.get("type")
            if isinstance(owner, str):
                return owner
    return component


def is_instrument(output_key: str) -> bool:
    return first_component_id(output_key).startswith(INSTRUMENT_PREFIX)


class PatternIndex:
    """Which lesson a callback belongs to: page ids start with the page's `pattern` name.

    Answers are remembered per callback key (keys come from `callback_map`, a fixed set)."""

    def __init__(self, patterns: Callable[[], list[str]]):
        self._patterns = patterns
        self._known: list[str] | None = None
        self._memo: dict[str, str] = {}

    def __call__(self, output_key: str) -> str:
        pattern = self._memo.get(output_key)
        if pattern is None:
            pattern = self._memo[output_key] = self._classify(output_key)
        return pattern

    def _classify(self, output_key: str) -> str:
        if self._known is None:
            self._known = sorted(self._patterns(), key=len, reverse=True)
        if is_instrument(output_key):
            return INSTRUMENTS
        component = first_component_id(output_key)
        if component.startswith("_pages_"):
            return NAVIGATION
        for pattern in self._known:
            if component == pattern or component.startswith(pattern + "-"):
                return pattern
        return OTHER


def registered_patterns() -> list[str]:
    return [p["pattern"] for p in dash.page_registry.values() if p.get("pattern")]


class CallbackMeter:
    """WSGI middleware: one `Call` record per Dash callback request."""

    def __init__(self, wsgi_app, settings: Settings, pattern_of: Callable[[str], str]):
        self.wsgi_app = wsgi_app
        self.settings = settings
        self.pattern_of = pattern_of
        self.recorder = recorder_for(settings)
        self.pid = os.getpid()
        # Built in the gunicorn master (preload), used in forked workers: keep the PID current.
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self.pid = os.getpid()


    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != CALLBACK_PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        started = time.time()
        t0 = time.perf_counter()
        token = environ.get(SESSION_ENVIRON_KEY)
        environ[ENV_SESSION] = verify_or_none(self.settings.secret_key, token) if token else None
        environ[ENV_PHASES] = {}
        environ[ENV_STEPS] = 0
        response: list = []

        def capture(status, headers, exc_info=None):
            response[:] = [status, list(headers), exc_info]
            return lambda data: chunks.append(data)  # WSGI's legacy write(): keep it in order

        chunks: list[bytes] = []
        result = self.wsgi_app(environ, capture)
        try:
            chunks.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        ended = started + (time.perf_counter() - t0)
        status, headers, exc_info = response
        key = environ.get(ENV_CALLBACK)
        pattern = self.pattern_of(key) if key is not None else INSTRUMENTS
        if pattern != INSTRUMENTS:
            phases = environ[ENV_PHASES]
            self.recorder.add(Call(
                pattern, key, self.pid, started, ended, int(environ.get("CONTENT_LENGTH") or 0),
                sum(map(len, chunks)), environ[ENV_SESSION], int(status[:3]),
                {k: round(v, 1) for k, v in phases.items()} if phases else {}, environ[ENV_STEPS],
            ))
            headers.append(("X-Lab-Worker", str(self.pid)))
        start_response(status, headers, exc_info)
        return chunks


def check_callback_request():
    """Flask before_request: the boundary every callback request passes. Name the callback for the
    instruments, then refuse (400, no callback runs) a body that is not a Dash callback request,
    names a callback that does not run on the server, or carries a value its rule refuses (see
    `lab.schema`)."""
    if request.path != CALLBACK_PATH:
        return None
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # json gives up on deep nesting with a RecursionError, not a ValueError
        return _bad_request("the body is nested too deeply")
    if not isinstance(body, dict):
        return _bad_request("the body must be a JSON object, as dash-renderer sends it")
    output = body.get("output")
    if not isinstance(output, str) or not isinstance(body.get("inputs"), list):
        return _bad_request("the body must name an 'output' (a string) and list its 'inputs'")
    spec = dash.get_app().callback_map.get(output)
    if spec is None or not spec.get("callback"):
        return _bad_request(f"no server callback has the output {output[:120]!r}")
    request.environ[ENV_CALLBACK] = output
    try:
        schema.check_request(body, spec, poll=bool(spec.get("background")) and "cacheKey" in request.args)
    except schema.Refused as refused:
        return _refused(output, refused)
    return None


def _bad_request(message: str):
    response = jsonify(error=f"Bad callback request: {message}.")
    response.status_code = 400
    return response


def _refused(output: str, refused: schema.Refused):
    callback_log.warning("callback %s refused its inputs: %s", output, refused)
    response = jsonify(error=f"The callback for {output} refused its inputs: {refused}")
    response.status_code = 400
    return response


def callback_failed(error: Exception):
    """Flask error handler. `Refused` (what a callback can only check itself: a signature, a table
    that does not parse) answers 400 with its message; any other exception is a bug: a 500 with a
    clear JSON error, the traceback in the server log, other requests unaffected."""
    if isinstance(error, HTTPException) or not has_request_context() or request.path != CALLBACK_PATH:
        return error if isinstance(error, HTTPException) else _internal_error(error)
    output = request.environ.get(ENV_CALLBACK, "?")
    if isinstance(error, schema.Refused):
        return _refused(output, error)
    return _internal_error(error, output)


def _internal_error(error: Exception, output: str | None = None):
    callback_log.error("%s failed", f"callback {output}" if output else request.path, exc_info=error)
    what = f"The callback for {output}" if output else "This request"
    response = jsonify(error=f"{what} failed ({type(error).__name__}); the details are in the server log.")
    response.status_code = 500
    return response


def init_app(dash_app, settings: Settings) -> None:
    """Attach the instruments to the Dash app (unless INSTRUMENTS=off, for the benchmark)."""
    server = dash_app.server
    # Bodies above this are refused (413) before they are read: the largest a lesson sends is a
    # 100,000-row table, about 6 MB.
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    server.before_request(check_callback_request)
    server.register_error_handler(Exception, callback_failed)
    if settings.instruments:
        server.wsgi_app = CallbackMeter(server.wsgi_app, settings, PatternIndex(registered_patterns))


# -- inside callbacks ---------------------------------------------------------------------------


def current_session() -> str | None:
    """The visit that sent the current callback (its signed `X-Lab-Session` header), if any."""
    if not has_request_context():
        return None
    return request.environ.get(ENV_SESSION)


@contextmanager
def timed(phase: str) -> Iterator[None]:
    """Add the time spent in the block to the current callback's `phase` (shown in the meters)."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        if has_request_context() and ENV_PHASES in request.environ:
            phases = request.environ[ENV_PHASES]
            phases[phase] = phases.get(phase, 0.0) + (time.perf_counter() - t0) * 1000.0


_UNSET = object()


@contextmanager
def expensive_step(pattern: str, step: str = "main", session=_UNSET, web_worker: bool = True) -> Iterator[None]:
    """Mark one real execution of an expensive step: counted across all workers (for the session
    and for everyone), logged, and timed as the `step` phase of the current callback.

    `session` defaults to the visit that sent the current callback; `web_worker=False` in a
    background process (a job process, a Celery worker), which has no request to time.
    """
    settings = get_settings()
    sid = current_session() if session is _UNSET else session
    if settings.instruments:
        store_for(settings).count_execution(pattern, step, sid, web_worker=web_worker)
    log.info("expensive step ran: pattern=%s step=%s pid=%d", pattern, step, os.getpid())
    if has_request_context() and ENV_STEPS in request.environ:
        request.environ[ENV_STEPS] += 1
    with timed("step"):
        yield


def simulate_work(seconds: float | None = None) -> None:
    """The lessons' stand-in for a slow download, query or model: STEP_SECONDS of waiting."""
    time.sleep(get_settings().step_seconds if seconds is None else seconds)
