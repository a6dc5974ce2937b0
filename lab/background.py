"""Lesson 8's engine: the same expensive step three ways — in a plain callback (on a web worker),
in a background callback on Dash's `DiskcacheManager` (a job process per call) and on its
`CeleryManager` (a Celery worker, on this machine or another) — and a crowd of simulated users
who each ask for a *different* value at once while a cheap callback is pinged beside them.

Two details the Dash docs leave to you:

- `DiskcacheManager()` without a cache makes a temporary directory per process (plotly/dash#2683):
  each gunicorn worker then has its own results, a poll that lands on another worker finds
  nothing, and `cache_by` shares nothing. The manager here gets one directory under DATA_DIR.
- With `cache_by`, a second request for a cached value still starts a job; Dash answers the
  first poll from its cache and kills that job. The job looks the result up first, so that kill
  never interrupts (or counts) a real execution.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from flask import has_app_context

from lab import sessions
from lab.cache import cache
from lab.crowd import Address, connect_to
from lab.http_client import CALLBACK_PATH, SESSION_HEADER, callback_body
from lab.i18n import N_, _
from lab.instrument import expensive_step, simulate_work
from lab.metrics import Call, store_for
from lab.settings import Settings, get_settings

PATTERN = "background"
PLAIN, DISKCACHE, CELERY = "plain", "diskcache", "celery"
MODES = {PLAIN: N_("Plain callback"), DISKCACHE: N_("Background: Diskcache"), CELERY: N_("Background: Celery")}
BACKGROUND_MODES = (DISKCACHE, CELERY)
VALUES = tuple("ABCDEFGH")  # shown as "Report A" (`report`): the crowd's users each pick another one
MAX_USERS = len(VALUES)
PROGRESS_TICKS = 10
POLL_MS = 250  # how often the browser (and a simulated user) asks a background callback how it is doing
PING_EVERY = 0.2  # seconds between the crowd's pings of the cheap callback
ROUND_PURPOSE = "background-crowd"
GENERATION_KEY = f"{PATTERN}:generation"
BACKGROUND_LANE = "bg"
JOBS_DIR = "background-jobs"


class ids:
    """Every id of the lesson, defined once (the page, the crowd and the benchmark use them)."""

    value = f"{PATTERN}-value"
    crowd_round = f"{PATTERN}-round"  # empty in the browser; a simulated crowd's private namespace
    ping = f"{PATTERN}-live-ping"
    ping_note = f"{PATTERN}-live-ping-note"
    clear = f"{PATTERN}-clear"
    cleared = f"{PATTERN}-cleared"
    users = f"{PATTERN}-crowd-users"
    crowd_mode = f"{PATTERN}-crowd-mode"
    fire = f"{PATTERN}-crowd-fire"
    crowd = f"{PATTERN}-crowd-results"
    crowd_view = f"{PATTERN}-crowd-view"
    run = {m: f"{PATTERN}-live-{m}-run" for m in MODES}
    result = {m: f"{PATTERN}-live-{m}-result" for m in MODES}
    view = {m: f"{PATTERN}-live-{m}-view" for m in MODES}
    cancel = {m: f"{PATTERN}-live-{m}-cancel" for m in BACKGROUND_MODES}
    progress = {m: f"{PATTERN}-live-{m}-progress" for m in BACKGROUND_MODES}


def report(value: str) -> str:
    return _("Report %(name)s", name=value)


def answer_of(value: str) -> int:
    """The report's figure: the same in every process (no per-process randomness)."""
    return int(hashlib.sha256(f"report {value}".encode()).hexdigest()[:6], 16) % 100_000


def step_for(mode: str, crowd_round: str | None) -> str:
    """A simulated crowd's executions are counted apart from the learner's own."""
    return f"crowd-{mode}" if crowd_round else mode


def progress_of(done: int, total: int = PROGRESS_TICKS) -> tuple[int, str]:
    """What the progress bar shows after `done` of `total` ticks: its value and its label."""
    percent = round(100 * done / total)
    return percent, f"{percent} %"


# -- the expensive step, three ways ------------------------------------------------------------


def generation() -> int:
    """Part of every background result's cache key (`cache_by`): clearing bumps it."""
    return int(cache.get(GENERATION_KEY) or 0)


def forget_results() -> int:
    """Make every cached background result unreachable (a new generation); returns it."""
    new = generation() + 1
    cache.set(GENERATION_KEY, new, timeout=0)
    return new


def done_key(mode: str, value: str, crowd_round: str | None, gen: int) -> str:
    return f"{PATTERN}:done:{mode}:{crowd_round or 'shared'}:{gen}:{value}"


def run_step(value: str, mode: str, crowd_round: str | None = None, session: str | None = None,
             set_progress: Callable | None = None, web_worker: bool = True) -> dict:
    """STEP_SECONDS of work in PROGRESS_TICKS ticks (reporting progress), counted as one execution
    wherever it runs, then a small result: the report's figure and who computed it when."""
    settings = get_settings()
    started = time.time()
    with expensive_step(PATTERN, step_for(mode, crowd_round), session, web_worker=web_worker):
        for tick in range(PROGRESS_TICKS):
            if set_progress:
                set_progress(progress_of(tick))
            simulate_work(settings.step_seconds / PROGRESS_TICKS)
        if set_progress:
            set_progress(progress_of(PROGRESS_TICKS))
    return {"value": value, "mode": mode, "answer": answer_of(value), "pid": os.getpid(),
            "started": round(started, 3), "ended": round(time.time(), 3), "web_worker": web_worker}


def round_of(token) -> str | None:
    """The private namespace of a simulated crowd (a server-signed token), or None."""
    return sessions.verify_or_none(get_settings().secret_key, token, purpose=ROUND_PURPOSE) if token else None


@contextlib.contextmanager
def app_context() -> Iterator[None]:
    """The Flask app context the shared cache needs; a job process or a Celery worker has none."""
    if has_app_context():
        yield
        return
    import dash

    with dash.get_app().server.app_context():
        yield


def background_job(value: str, mode: str, round_token: str | None, headers: dict,
                   set_progress: Callable | None = None) -> dict:
    """The body of a background callback, in a job process or a Celery worker: the result if an
    earlier job of this generation made it, otherwise the step; its span goes to the visit's
    timeline on a lane of its own."""
    with app_context():
        return _background_job(value, mode, round_of(round_token), headers, set_progress)


def _background_job(value, mode, crowd_round, headers, set_progress) -> dict:
    session = visit_of(headers)
    gen = generation()
    key = done_key(mode, value, crowd_round, gen)
    earlier = cache.get(key)
    if earlier:
        return earlier
    result = run_step(value, mode, crowd_round, session, set_progress, web_worker=False)
    cache.set(key, result, timeout=get_settings().cache_timeout)
    record_span(mode, result, session)
    return result


def visit_of(headers: dict | None) -> str | None:
    """The visit that asked (its signed header, as Dash hands a background job the request's headers)."""
    token = next((v for k, v in (headers or {}).items() if k.lower() == SESSION_HEADER.lower()), None)
    return sessions.verify_or_none(get_settings().secret_key, token) if token else None


def job_callback_key(mode: str) -> str:
    return f"{PATTERN}-live-{mode}-job.run"


def record_span(mode: str, result: dict, session: str | None) -> None:
    """Put the job on the visit's timeline, on a lane of its own (`lane="bg"`), counted nowhere else."""
    settings = get_settings()
    if not (session and settings.instruments):
        return
    ms = (result["ended"] - result["started"]) * 1000
    store_for(settings).record_many([Call(PATTERN, job_callback_key(mode), result["pid"], result["started"],
                                          result["ended"], 0, 0, session, 200, {"step": round(ms, 1)}, 1,
                                          lane=BACKGROUND_LANE)])


# -- the managers ------------------------------------------------------------------------------


def jobs_dir(settings: Settings) -> Path:
    """One directory every worker shares (not DiskcacheManager's per-process default)."""
    return settings.data_dir / JOBS_DIR


def _shared_diskcache_manager_class():
    from dash import DiskcacheManager

    class SharedDiskcacheManager(DiskcacheManager):
        """Dash's DiskcacheManager, fit for several web workers: a finished job is reaped by the
        worker that started it as soon as it ends (a thread joins it), and terminating a job that
        has already ended returns at once. Without these, the poll that collects a result on
        another worker waits a full second on the job's zombie (`psutil.wait(1)`), holding that
        web worker, and a job that ends while it is being terminated answers 500."""

        def call_job_fn(self, key, job_fn, args, context):
            from multiprocess import Process

            process = Process(target=job_fn, args=(key, self._make_progress_key(key), args, context))
            process.start()
            threading.Thread(target=process.join, name="lab-job-reaper", daemon=True).start()
            return process.pid

        def terminate_job(self, job):
            import psutil

            try:
                if job is None or psutil.Process(int(job)).status() == psutil.STATUS_ZOMBIE:
                    return
                super().terminate_job(job)
            except (psutil.NoSuchProcess, ValueError):
                return  # it ended meanwhile (Dash's own terminate_job lets that race escape as a 500)

    return SharedDiskcacheManager


@functools.lru_cache(maxsize=2)
def diskcache_manager(settings: Settings):
    import diskcache

    handle = diskcache.Cache(str(jobs_dir(settings)))
    handle.close()  # opened again in each process that uses it (diskcache reconnects after a fork)
    return _shared_diskcache_manager_class()(handle, cache_by=[generation], expire=settings.cache_timeout)


@functools.lru_cache(maxsize=2)
def celery_app(settings: Settings):
    """The Celery application: Redis as broker and result store. `celery -A app:celery_app worker`
    imports the Dash app, whose background callbacks register their tasks on this instance."""
    from celery import Celery

    app = Celery(PATTERN, broker=settings.redis_url, backend=settings.redis_url)
    app.conf.update(worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True,
                    worker_hijack_root_logger=False, result_expires=settings.cache_timeout,
                    task_track_started=True)
    return app


def celery_workers_online(settings: Settings, timeout: float = 1.0) -> int:
    """How many Celery workers answer a ping through the broker (0 without Redis, or none running)."""
    if not settings.redis_url:
        return 0
    app = celery_app(settings)
    try:
        # A connection of its own, closed at once: a pooled channel left waiting on its reply queue
        # is what kombu's after-fork cleanup blocks on in a process forked later.
        with app.connection_for_write() as connection:
            return len(app.control.ping(timeout=timeout, connection=connection) or [])
    except Exception:  # an unreachable broker: nobody answers  # noqa: BLE001
        return 0


@functools.lru_cache(maxsize=2)
def celery_manager(settings: Settings):
    from dash import CeleryManager

    return CeleryManager(celery_app(settings), cache_by=[generation], expire=settings.cache_timeout)


# -- request bodies (what dash-renderer posts; the crowd and the benchmark send the same) ----------


def run_body(mode: str, value: str, round_token: str | None = None, clicks: int = 1) -> dict:
    return callback_body([f"{ids.result[mode]}.data"], {f"{ids.run[mode]}.n_clicks": clicks},
                         {f"{ids.value}.value": value, f"{ids.crowd_round}.data": round_token})


def ping_body(clicks: int = 1) -> dict:
    return callback_body([f"{ids.ping_note}.children"], {f"{ids.ping}.n_clicks": clicks})


# -- a crowd of users, and a cheap callback pinged beside them --------------------------------------


@dataclass
class Outcome:
    user: int
    value: str
    status: int = 0
    seconds: float = 0.0
    polls: int = 0
    result: dict | None = None
    web_workers: set = field(default_factory=set)
    error: str | None = None


def _post(address: Address, body: bytes, query: str, headers: dict, timeout: float):
    conn = connect_to(address, timeout)
    try:
        conn.request("POST", CALLBACK_PATH + query, body=body,
                     headers={"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        raw = response.read()
        return response.status, raw, response.getheader("X-Lab-Worker")
    finally:
        conn.close()


def ask(address: Address, body: dict, headers: dict, timeout: float, outcome: Outcome) -> Outcome:
    """One user's callback, as dash-renderer runs it: POST; if the server answers with a background
    job (`cacheKey`, `job`), POST again with them every POLL_MS until the result comes."""
    import json
    from urllib.parse import urlencode

    data = json.dumps(body, separators=(",", ":")).encode()
    t0 = time.perf_counter()
    query = ""
    try:
        while True:
            status, raw, worker = _post(address, data, query, headers, timeout)
            outcome.status = status
            if worker:
                outcome.web_workers.add(int(worker))
            if status != 200:
                outcome.error = raw[:200].decode(errors="replace")
                break
            reply = json.loads(raw) if raw else {}
            if "response" in reply:
                outcome.result = next(iter(next(iter(reply["response"].values())).values()))
                break
            if "cacheKey" in reply:
                query = "?" + urlencode({"cacheKey": reply["cacheKey"], "job": reply["job"]})
            if not query or time.perf_counter() - t0 > timeout:
                outcome.error = "no result in time" if query else f"unexpected answer {str(reply)[:120]}"
                break
            outcome.polls += 1
            time.sleep(POLL_MS / 1000)
    except (OSError, ValueError) as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
    outcome.seconds = time.perf_counter() - t0
    return outcome


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def simulate_users(mode: str, users: int) -> dict:
    """Fire a crowd from this web worker at its own server (see `crowd`), or say why not."""
    from lab.crowd import own_address
    from lab.guard import listening_addresses
    from lab.workers import server_info

    settings = get_settings()
    if mode == CELERY and not settings.redis_url:
        return {"error": _("The Celery variant needs Redis: start the lab with REDIS_URL set.")}
    if mode == CELERY and not celery_workers_online(settings):
        return {"error": _("No Celery worker answers: start one beside the app (python app.py does it when "
                           "REDIS_URL is set; with plain gunicorn run: celery -A app:celery_app worker).")}
    workers = server_info()
    if workers["server"] == "gunicorn" and len(workers["workers"]) < 2:
        return {"error": _("This needs at least 2 workers: the worker that fires the users waits for their answers, "
                           "so another worker must serve them. Press + in the worker strip.")}
    timeout = settings.step_seconds * users + 30
    run = crowd(own_address(listening_addresses(settings)), mode, users, settings.secret_key, timeout)
    return {**run, "step": settings.step_seconds, "live_workers": len(workers["workers"]), "at": time.time()}


def crowd(address: Address, mode: str, users: int, secret: str, timeout: float) -> dict:
    """`users` users (each a fresh visit) ask for `users` different values of `mode` at once, in a
    private round (uncached for them); meanwhile a cheap callback is pinged every PING_EVERY s.
    Returns what each user got and how long the pings waited."""
    round_token = sessions.mint(secret, purpose=ROUND_PURPOSE)
    outcomes = [Outcome(i + 1, VALUES[i]) for i in range(users)]
    threads = [threading.Thread(target=ask, daemon=True, args=(
        address, run_body(mode, o.value, round_token), {SESSION_HEADER: sessions.mint(secret)}, timeout, o))
        for o in outcomes]
    pings: list[Outcome] = []
    ping_threads: list[threading.Thread] = []
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    ping_headers = {SESSION_HEADER: sessions.mint(secret)}
    while any(t.is_alive() for t in threads) and time.perf_counter() - t0 < timeout:
        ping = Outcome(len(pings) + 1, "")
        pings.append(ping)
        ping_threads.append(threading.Thread(target=ask, args=(address, ping_body(), ping_headers, timeout, ping),
                                             daemon=True))
        ping_threads[-1].start()
        time.sleep(PING_EVERY)
    for thread in threads + ping_threads:
        thread.join(timeout)
    wall = time.perf_counter() - t0
    return summarize(mode, outcomes, pings, wall)


def summarize(mode: str, outcomes: list[Outcome], pings: list[Outcome], wall: float) -> dict:
    """The crowd's figures: did every user get its own value's result, what the pings waited (p95),
    which web workers answered, which processes ran the step."""
    waits = [p.seconds * 1000 for p in pings if p.status == 200]
    right = [o for o in outcomes if o.result and o.result.get("value") == o.value
             and o.result.get("answer") == answer_of(o.value)]
    return {
        "mode": mode, "users": len(outcomes), "wall": round(wall, 3),
        "served": len(right), "failed": len(outcomes) - len(right),
        "ping_p95_ms": _rounded(percentile(waits, 95)), "ping_max_ms": _rounded(max(waits, default=None)),
        "pings": len(waits), "pings_failed": len(pings) - len(waits),
        "web_workers": sorted({w for o in outcomes for w in o.web_workers}),
        "step_pids": sorted({o.result["pid"] for o in right}),
        "rows": [{"user": o.user, "value": o.value, "status": o.status, "seconds": round(o.seconds, 3),
                  "polls": o.polls, "pid": o.result and o.result.get("pid"), "error": o.error} for o in outcomes],
    }


def _rounded(ms: float | None) -> float | None:
    return None if ms is None else round(ms, 1)
