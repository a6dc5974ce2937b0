"""The comparison against real gunicorn, on Redis and on the filesystem: the verdicts and exact
execution counts the workload implies, the bytes at 100,000 rows, and runs started from the lab
itself (off its workers, one at a time, cancellable, downloadable, guarded)."""

import time

import pytest

from lab.compare import workload as w
from lab.compare.client import Lab
from lab.compare.runner import Config, run_comparison
from lab.crowd import Address

pytestmark = pytest.mark.gunicorn
STEP = "0.3"


def lab_of(server) -> Lab:
    return Lab(Address("http", "127.0.0.1", server.port))


def by(result, pattern, workers):
    return next(r for r in result["rows"] if r["pattern"] == pattern and r["workers"] == workers)


@pytest.mark.parametrize("backend", ["filesystem", pytest.param("redis", marks=pytest.mark.redis)])
def test_every_pattern_at_1_and_3_workers(lab_server, request, backend):
    """Global: isolated ✗ at 1 worker, correct ✗ at 3; every other pattern correct and isolated;
    executions exactly what each pattern implies; the worker count restored afterwards."""
    redis_url = request.getfixturevalue("redis_url") if backend == "redis" else None
    server = lab_server(workers=2, redis_url=redis_url, env={"STEP_SECONDS": STEP})
    users = w.scripted_users(8)
    shops = len({u.shop for u in users})
    t0 = time.monotonic()
    result = run_comparison(lab_of(server), Config(users=8, workers=(1, 3), rows=1_000))
    print(f"\nsweep on {backend}: {time.monotonic() - t0:.1f} s")
    assert result["lab"]["backend"] == backend and len(result["rows"]) == 14
    for count in (1, 3):
        for row in result["rows"]:
            if row["workers"] != count or row["pattern"] == "global":
                continue
            assert row["verdict"]["correct"] and row["verdict"]["isolated"], (count, row)
            assert row["errors"] == 0 and row["unanswered"] == 0
        assert by(result, "baseline", count)["executions"] == 8 * 3  # two readers, then one on the currency
        for pattern in ("global", "store", "aggregates", "session"):
            assert by(result, pattern, count)["executions"] == 8, pattern
        assert by(result, "once", count)["executions"] == shops
    assert not by(result, "global", 1)["verdict"]["isolated"]
    assert not by(result, "global", 3)["verdict"]["correct"]
    assert by(result, "memoize", 1)["executions"] == shops  # one worker: nobody asks while another computes
    assert by(result, "memoize", 3)["executions"] > shops  # three popular-shop users asked at once
    assert len(by(result, "store", 3)["pids"]) > 1 and by(result, "store", 1)["pids"] == by(result, "global", 1)["pids"]
    assert len(server.health()["workers"]) == 2


def test_bytes_at_100000_rows(lab_server):
    """Aggregates send ≥ 1000× fewer bytes down than the whole table in a dcc.Store; the per-session
    cache sends under 1 KB up per callback whatever the data size."""
    server = lab_server(workers=2, env={"STEP_SECONDS": "0"})
    result = run_comparison(lab_of(server), Config(users=2, workers=(2,), rows=100_000,
                                                   patterns=("store", "aggregates", "session")))
    store, aggregates, session = (by(result, p, 2) for p in ("store", "aggregates", "session"))
    print(f"\nbytes down at 100,000 rows: dcc.Store {store['bytes_down']:,}, aggregates {aggregates['bytes_down']:,} "
          f"({store['bytes_down'] / aggregates['bytes_down']:,.0f}×); session max up {session['max_up']} B")
    assert store["bytes_down"] >= 1000 * aggregates["bytes_down"]
    assert session["max_up"] <= 1000 and store["max_up"] > 1_000_000
    assert all(r["verdict"]["correct"] for r in result["rows"])


def wait_status(server, statuses, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        progress = server.get("/api/compare").json()["progress"]
        if progress and progress["status"] in statuses:
            return progress
        time.sleep(0.2)
    raise AssertionError(f"no status in {statuses} after {timeout}s: {progress}")


def test_a_run_started_from_the_lab_at_one_worker(lab_server):
    """The start request returns at once; a second run is refused; the run measures 1 worker (so
    it is not one of them); the latest result is shared, downloadable as JSON and CSV."""
    server = lab_server(workers=1, env={"STEP_SECONDS": "0.2"})
    assert server.get("/api/compare/latest.json").status_code == 404
    t0 = time.monotonic()
    started = server.post("/api/compare", json={"users": 4, "workers": [1], "rows": 1000,
                                                "patterns": ["global", "once"]})
    assert started.status_code == 202 and time.monotonic() - t0 < 2, started.text
    again = server.post("/api/compare", json={"users": 4, "workers": [1]})
    assert again.status_code == 409 and "already running" in again.json()["error"]
    progress = wait_status(server, {"done", "failed", "lost"})
    assert progress["status"] == "done", progress
    latest = server.get("/api/compare").json()["latest"]
    assert [r["pattern"] for r in latest["rows"]] == ["global", "once"]
    assert not latest["rows"][0]["verdict"]["isolated"] and latest["rows"][1]["verdict"]["correct"]
    assert latest["rows"][1]["executions"] == 3 and latest["rows"][0]["pids"] == server.health()["workers"]
    assert server.get("/api/compare/latest.json").json()["id"] == latest["id"]
    csv = server.get("/api/compare/latest.csv")
    assert csv.headers["Content-Type"].startswith("text/csv") and len(csv.text.strip().split("\n")) == 3 + 2
    # Lesson 8's crowd at the same worker count (filesystem: plain and Diskcache; no Redis, no Celery).
    offload = server.get("/api/compare/latest.json").json()["offload"]
    plain, disk = ({r["mode"]: r for r in offload["rows"]}[m] for m in ("plain", "diskcache"))
    assert offload["missing"] is None and len(offload["rows"]) == 2
    assert plain["served"] == disk["served"] == 4, offload
    assert plain["web_workers_busy"] == 1 == plain["live_workers"], "plain callbacks ran the step on the web worker"
    assert disk["web_workers_busy"] == 0 and disk["step_processes"] >= 1, "Diskcache ran it in job processes"
    assert plain["cheap_p95_ms"] >= 200 > disk["cheap_p95_ms"], offload  # STEP_SECONDS=0.2: a step's wait at least


def test_cancel_stops_the_run_and_keeps_the_count(lab_server):
    server = lab_server(workers=2, env={"STEP_SECONDS": "0.5"})
    assert server.post("/api/compare/cancel").status_code == 409
    assert server.post("/api/compare", json={"users": 8, "workers": [1, 3], "rows": 1000}).status_code == 202
    wait_status(server, {"running"})
    assert server.post("/api/compare/cancel").status_code == 202
    progress = wait_status(server, {"cancelled", "done", "failed"}, timeout=60)
    assert progress["status"] == "cancelled" and progress["done"] < progress["total"]
    assert server.get("/api/compare").json()["latest"] is None
    deadline = time.monotonic() + 15
    while len(server.health()["workers"]) != 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(server.health()["workers"]) == 2


@pytest.mark.parametrize("body", [{"users": 1}, {"users": "8"}, {"workers": [0]}, {"workers": [1, 2, 3, 4, 6]},
                                  {"rows": 123}, {"patterns": ["nope"]}, {"workers": 3}, {"offload": "yes"}, [1]])
def test_bad_requests_are_refused_and_start_nothing(lab_server, body):
    server = lab_server(workers=1)
    response = server.post("/api/compare", json=body)
    assert response.status_code == 400 and response.json()["error"]
    assert server.get("/api/compare").json()["progress"] is None


def test_starting_is_guarded_when_served_to_others(lab_server):
    server = lab_server(workers=1, host="0.0.0.0", env={"INSTRUCTOR_TOKEN": "room-42-token"})
    refused = server.post("/api/compare", json={"users": 2, "workers": [1]})
    assert refused.status_code == 403 and server.get("/api/compare").json()["progress"] is None
    assert server.post("/api/compare/cancel").status_code == 403


def test_visit_figures_refuse_forged_ids_and_bound_the_query(lab_server):
    server = lab_server(workers=1)
    answer = server.post("/api/metrics/visits", json={"visits": ["forged.token"], "pattern": "compare"})
    assert answer.status_code == 200 and "error" in answer.json()["visits"][0]
    assert server.post("/api/metrics/visits", json={"visits": ["x"] * 65, "pattern": "compare"}).status_code == 400
    assert server.post("/api/metrics/visits", json={"visits": "x", "pattern": "compare"}).status_code == 400
