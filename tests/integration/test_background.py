"""Lesson 8 under real gunicorn: 8 users asking for 8 different reports at once keep every web
worker busy with plain callbacks (a cheap callback waits about a step), and leave them free with
background callbacks on Diskcache (job processes) and on Celery (a real Celery worker that
`python app.py` starts beside gunicorn on the tests' private Redis, and stops with it); every
user gets its own report; a result is shared through `cache_by` by another visit; executions in
background processes are counted, and their spans land on the visit's timeline."""

import sys
import time

import psutil
import pytest

from lab import background as lesson
from lab.crowd import Address
from lab.http_client import callback_body, exchange, render_page, visit_token

pytestmark = pytest.mark.gunicorn

P = lesson.PATTERN
STEP = 2.0  # long enough that a busy web worker and a free one differ even on a loaded machine


def fire(server, mode, users=8, token=None):
    body = callback_body([f"{P}-crowd-results.data", f"{P}-crowd-view.children"], {f"{P}-crowd-fire.n_clicks": 1},
                         state={f"{P}-crowd-mode.value": mode, f"{P}-crowd-users.value": users,
                                "lab-workers-token.value": token, f"{P}-crowd-results.data": {}})
    reply = exchange(server.url, body, timeout=120)
    assert reply.status == 200, reply.content[:500]
    return reply


def crowd_run(server, mode):
    reply = fire(server, mode)
    data = reply.json()["response"][f"{P}-crowd-results"]["data"]
    assert mode in data, reply.json()["response"][f"{P}-crowd-view"]["children"]
    return reply.json()["response"][f"{P}-crowd-results"]["data"][mode], int(reply.headers["X-Lab-Worker"])


def steps(server) -> dict:
    return server.get("/api/metrics").json()["patterns"].get(P, {}).get("recomputes_by_step", {})


def run_once(server, mode, value, visit, clicks=1):
    outcome = lesson.Outcome(1, value)
    lesson.ask(Address("http", "127.0.0.1", server.port), lesson.run_body(mode, value, clicks=clicks),
               {"X-Lab-Session": visit}, 30, outcome)
    assert outcome.result and not outcome.error, outcome
    return outcome


def visit_figures(server, visit):
    reply = server.post("/api/metrics/visits", json={"visits": [visit], "pattern": P})
    return reply.json()["visits"][0]


@pytest.fixture(scope="module")
def fs_server(module_server):
    return module_server(workers=3, env={"STEP_SECONDS": str(STEP)})


def wait_for_celery(redis_url: str, timeout: float = 30) -> None:
    """gunicorn answers before the Celery worker beside it does: wait until it answers a ping."""
    from celery import Celery

    # A connection of its own, closed at the end: a pooled one would stay in this process, and
    # kombu's after-fork hook would hang any later multiprocessing fork of the test run on it.
    app = Celery(broker=redis_url, backend=redis_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with app.connection_for_write() as connection:
                if app.control.ping(timeout=0.5, connection=connection):
                    return
            assert time.monotonic() < deadline, "no Celery worker answered"
    finally:
        app.close()


@pytest.fixture(scope="module")
def redis_lab(module_server, redis_server):
    """`python app.py` with REDIS_URL: gunicorn and, beside it, a Celery worker."""
    url = redis_server.fresh_db_url()
    server = module_server(workers=3, redis_url=url, env={"STEP_SECONDS": str(STEP), "CELERY_WORKERS": "4"},
                           argv=lambda port: [sys.executable, "app.py", "--workers", "3", "--port", str(port)])
    wait_for_celery(url)
    return server


def test_plain_callbacks_hold_every_web_worker(fs_server):
    before = steps(fs_server).get("crowd-plain", 0)
    run, firing = crowd_run(fs_server, lesson.PLAIN)
    assert run["served"] == 8 and run["failed"] == 0
    assert run["ping_p95_ms"] >= STEP * 1000 * 0.9, "the cheap callback waited about a step for a web worker"
    assert set(run["step_pids"]) <= set(fs_server.health()["workers"]) - {firing}, "the web workers ran the step"
    assert steps(fs_server)["crowd-plain"] - before == 8


def test_diskcache_jobs_leave_the_web_workers_free(fs_server):
    before = steps(fs_server).get("crowd-diskcache", 0)
    run, _ = crowd_run(fs_server, lesson.DISKCACHE)
    assert run["served"] == 8 and run["failed"] == 0, run["rows"]
    assert run["ping_p95_ms"] < STEP * 1000 / 2, f"the cheap callback did not wait for the step: {run}"
    web = set(fs_server.health()["workers"])
    assert len(run["step_pids"]) == 8 and not set(run["step_pids"]) & web, "one job process per user"
    assert steps(fs_server)["crowd-diskcache"] - before == 8, "executions in job processes are counted"


def test_cache_by_shares_a_result_with_every_visit_and_worker(fs_server):
    first_visit, second_visit = visit_token(fs_server.url), visit_token(fs_server.url)
    before = steps(fs_server).get(lesson.DISKCACHE, 0)
    first = run_once(fs_server, lesson.DISKCACHE, "G", first_visit)
    assert first.result["web_worker"] is False and first.polls >= 2
    second = run_once(fs_server, lesson.DISKCACHE, "G", second_visit, clicks=2)
    assert second.result == first.result, "the second visit (its second click) read the first one's result"
    assert second.seconds < STEP and steps(fs_server)[lesson.DISKCACHE] - before == 1
    time.sleep(0.6)  # callback records reach the shared store within ~0.25 s
    mine = visit_figures(fs_server, first_visit)
    assert mine["recomputes"] == {lesson.DISKCACHE: 1}
    assert first.result["pid"] in mine["pids"], "the job's span is on the visit's timeline"
    assert visit_figures(fs_server, second_visit)["recomputes"] == {}


def test_without_redis_the_celery_variant_says_so(fs_server):
    reply = fire(fs_server, lesson.CELERY)
    view = str(reply.json()["response"][f"{P}-crowd-view"]["children"])
    assert "needs Redis" in view
    assert "needs Redis" in str(render_page(fs_server.url, "/background")["layout"])


@pytest.mark.redis
def test_celery_worker_runs_the_jobs_beside_gunicorn(redis_lab):
    health = redis_lab.health()
    assert len(health["workers"]) == 3, "the Celery worker is not listed as a web worker"
    celery = [p for p in psutil.Process(health["master_pid"]).children()
              if "celery" in " ".join(p.cmdline()) and p.pid not in health["workers"]]
    assert len(celery) == 1
    run, _ = crowd_run(redis_lab, lesson.CELERY)
    assert run["served"] == 8 and run["failed"] == 0, run["rows"]
    assert run["ping_p95_ms"] < STEP * 1000 / 2
    pool = {p.pid for p in celery[0].children(recursive=True)}
    assert run["step_pids"] and set(run["step_pids"]) <= pool | {celery[0].pid}, "Celery's pool ran the step"
    assert steps(redis_lab)["crowd-celery"] == 8
    visit = visit_token(redis_lab.url)
    first = run_once(redis_lab, lesson.CELERY, "B", visit)
    again = run_once(redis_lab, lesson.CELERY, "B", visit_token(redis_lab.url))
    assert again.result == first.result and steps(redis_lab)[lesson.CELERY] == 1


@pytest.mark.redis
def test_the_comparison_runs_the_crowd_on_celery_too(redis_lab):
    """A run started from /compare on a lab with Redis and its Celery worker: lesson 8's crowd
    three ways at the same worker count; only the plain way occupies web workers."""
    started = redis_lab.post("/api/compare", json={"users": 4, "workers": [3], "rows": 1000, "patterns": ["once"]})
    assert started.status_code == 202, started.text
    assert started.json()["progress"]["total"] == 1 + 3
    deadline = time.monotonic() + 120
    while (progress := redis_lab.get("/api/compare").json()["progress"])["status"] not in {"done", "failed", "lost"}:
        assert time.monotonic() < deadline, progress
        time.sleep(0.3)
    assert progress["status"] == "done" and progress["done"] == progress["total"] == 4, progress
    offload = redis_lab.get("/api/compare/latest.json").json()["offload"]
    ways = {row["mode"]: row for row in offload["rows"]}
    assert set(ways) == {lesson.PLAIN, lesson.DISKCACHE, lesson.CELERY} and offload["missing"] is None, offload
    assert all(row["served"] == 4 and row["workers"] == 3 == row["live_workers"] for row in ways.values()), ways
    assert ways[lesson.PLAIN]["web_workers_busy"] == 3, "4 different reports on 3 web workers: all busy"
    assert ways[lesson.DISKCACHE]["web_workers_busy"] == ways[lesson.CELERY]["web_workers_busy"] == 0
    plain, celery = ways[lesson.PLAIN]["cheap_p95_ms"], ways[lesson.CELERY]["cheap_p95_ms"]
    assert plain >= STEP * 1000 * 0.75 and celery < STEP * 1000 / 2, ways  # the pings waited for a step, or not


@pytest.mark.redis
def test_stopping_the_lab_stops_its_celery_worker(module_server, redis_server):
    server = module_server(workers=2, redis_url=redis_server.fresh_db_url(), env={"STEP_SECONDS": "0.2"},
                           argv=lambda port: [sys.executable, "app.py", "--workers", "2", "--port", str(port)])
    master = psutil.Process(server.health()["master_pid"])
    everything = [master, *master.children(recursive=True)]
    assert any("celery" in " ".join(p.cmdline()) for p in everything)
    server.stop()
    gone, alive = psutil.wait_procs(everything, timeout=20)
    assert not alive, [p.cmdline() for p in alive]
