"""Changing the number of gunicorn workers while the lab runs, and the instructor guard on every
mutating action (worker count, metrics reset, cache clearing)."""

import os
import signal
import sys
import time

import pytest
import requests

from lab.http_client import callback_body, exchange
from tests.support import metrics_once, UnixHTTP

pytestmark = pytest.mark.gunicorn
CHANGE_DEADLINE = 15.0


def wait_for_workers(health, count, deadline=CHANGE_DEADLINE):
    """Poll `health()` until it lists `count` live workers; returns the seconds it took."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline:
        if len(health()["workers"]) == count:
            return time.monotonic() - t0
        time.sleep(0.1)
    raise AssertionError(f"still {len(health()['workers'])} workers after {deadline}s, expected {count}")


def test_workers_2_to_4_to_1(lab_server):
    """Each change is observed through /api/health within 15 s, and the app keeps serving."""
    server = lab_server(workers=2)
    master = server.health()["master_pid"]
    timings = {}
    for target in (4, 1):
        response = server.post("/api/workers", json={"count": target})
        assert response.status_code == 202, response.text
        assert response.json()["target"] == target
        timings[target] = wait_for_workers(server.health, target)
        health = server.health()
        assert health["master_pid"] == master and len(health["workers"]) == target
        assert server.get("/").status_code == 200
    print(f"\nworker changes became live in: 2→4 {timings[4]:.2f}s, 4→1 {timings[1]:.2f}s")


@pytest.mark.parametrize("count", [0, 33, "4", 2.5, None, True])
def test_bad_worker_counts_are_refused(lab_server, count):
    server = lab_server(workers=1)
    response = server.post("/api/workers", json={"count": count})
    assert response.status_code == 400 and "from 1 to 32" in response.json()["error"]
    assert len(server.health()["workers"]) == 1


def test_single_process_says_how_to_get_workers(lab_server):
    server = lab_server(workers=1, argv=lambda port: [sys.executable, "app.py", "--dev", "--port", str(port)])
    response = server.post("/api/workers", json={"count": 3})
    assert response.status_code == 409 and "python app.py --workers N" in response.json()["error"]


@pytest.fixture
def unix_server(lab_server, tmp_path):
    """The lab bound to a unix socket only: served to others (through a proxy), so guarded."""
    def start(token):
        sock = tmp_path / f"lab-{len(token or '')}.sock"
        env = {"INSTRUCTOR_TOKEN": token} if token else {}
        server = lab_server(workers=2, env=env, wait=False,
                            argv=[sys.executable, "-m", "gunicorn", "app:server", "--bind", f"unix:{sock}",
                                  "--workers", "2"])
        client = UnixHTTP(str(sock))
        deadline = time.monotonic() + 60
        while True:
            try:
                status, health = client.request("GET", "/api/health")
                if status == 200 and len(health["workers"]) == 2:
                    return client
            except OSError:
                pass
            assert time.monotonic() < deadline, server.log_text()
            time.sleep(0.1)
    return start


def test_guard_needs_the_instructor_token(unix_server):
    client = unix_server("s3cret-token")
    status, health = client.request("GET", "/api/health")
    assert status == 200 and health["guard"] == {"open": False, "token_required": True, "token_configured": True}

    for headers in ({}, {"X-Instructor-Token": "wrong"}):
        for method, url, body in (("POST", "/api/workers", {"count": 3}), ("POST", "/api/metrics/reset", None),
                                  ("POST", "/api/cache/clear", None)):
            status, answer = client.request(method, url, body, headers)
            assert status == 403 and "instructor token" in answer["error"], (url, headers)
    time.sleep(1.5)
    assert len(client.request("GET", "/api/health")[1]["workers"]) == 2, "a refused change changes nothing"

    good = {"X-Instructor-Token": "s3cret-token"}
    status, answer = client.request("POST", "/api/workers", {"count": 3}, good)
    assert status == 202
    wait_for_workers(lambda: client.request("GET", "/api/health")[1], 3)
    assert client.request("POST", "/api/metrics/reset", None, good)[0] == 200
    assert client.request("POST", "/api/cache/clear", None, good)[0] == 200


def test_guard_without_a_configured_token_turns_controls_off(unix_server):
    client = unix_server(None)
    status, answer = client.request("POST", "/api/workers", {"count": 3}, {"X-Instructor-Token": ""})
    assert status == 403 and "no INSTRUCTOR_TOKEN was set" in answer["error"]


def test_private_run_is_open(lab_server):
    server = lab_server(workers=1)
    assert server.health()["guard"] == {"open": True, "token_required": False, "token_configured": False}
    assert server.post("/api/metrics/reset").status_code == 200
    assert server.post("/api/cache/clear").status_code == 200


def test_killed_worker_is_replaced_and_nothing_is_lost(lab_server, redis_url):
    """SIGKILL a worker: gunicorn replaces it, the others keep serving, the figures survive."""
    server = lab_server(workers=2, redis_url=redis_url, env={"STEP_SECONDS": "0"})
    body = callback_body(["overview-result.children"], {"overview-run.n_clicks": 1}, state={"overview-size.value": 1000})
    for _ in range(4):
        assert exchange(server.url, body).status == 200
    before = metrics_once(server, "overview", 4)["patterns"]["overview"]
    victim = server.health()["workers"][0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + CHANGE_DEADLINE
    while True:
        workers = server.health()["workers"]
        if victim not in workers and len(workers) == 2:
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    for _ in range(4):
        assert exchange(server.url, body).status == 200
    after = metrics_once(server, "overview", before["callbacks"] + 4)["patterns"]["overview"]
    assert after["callbacks"] == before["callbacks"] + 4 and after["recomputes"] == before["recomputes"] + 4
    assert requests.get(server.url + "/", timeout=10).status_code == 200
