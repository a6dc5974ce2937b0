"""The instruments tell the truth across workers: under gunicorn with 3 workers, on Redis and on
the filesystem, N callbacks fired from concurrent threads are reported as exactly N, with exactly
the request and response body lengths the client saw on the wire, and exactly as many executions
of the expensive step as really ran (counted independently from the server's log)."""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from lab.http_client import callback_body, exchange, visit_token
from tests.support import eventually, metrics_once

pytestmark = pytest.mark.gunicorn

SIZES = [1_000, 100_000, 1_000_000]


def run_body(size, clicks=1):
    return callback_body(["overview-result.children"], {"overview-run.n_clicks": clicks},
                         state={"overview-size.value": size})


def fetch_body(size, clicks=1):
    return callback_body(["overview-store.data", "overview-fetched.children"], {"overview-fetch.n_clicks": clicks},
                         state={"overview-size.value": size})


def send_body(payload, clicks=1):
    return callback_body(["overview-received.children"], {"overview-send.n_clicks": clicks},
                         state={"overview-store.data": payload})


def tick_body(pathname="/"):
    return callback_body(["lab-snapshot.data", "lab-snapshot-digest.data"],
                         {"lab-tick.n_intervals": 1, "_pages_location.pathname": pathname},
                         state={"lab-snapshot-digest.data": None})


def snapshot(server, token, pathname="/"):
    result = exchange(server.url, tick_body(pathname), headers={"X-Lab-Session": token})
    assert result.status == 200
    return result.json()["response"]["lab-snapshot"]["data"]


def step_runs_in_log(server) -> int:
    return len(re.findall(r"expensive step ran: pattern=overview step=demo", server.log_text()))


@pytest.fixture(params=["redis", "filesystem"])
def server(request, lab_server):
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    return lab_server(workers=3, redis_url=redis_url, env={"STEP_SECONDS": "0.2"})


def test_concurrent_callbacks_are_counted_exactly(server):
    """60 callbacks from 12 threads: exact count, exact bytes up and down, exact executions."""
    payload = "x" * 250_000
    bodies = ([run_body(SIZES[i % 3], i) for i in range(15)]
              + [fetch_body(SIZES[i % 3], i) for i in range(30)]
              + [send_body(payload[: 1000 * (i + 1)], i) for i in range(15)])
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda b: exchange(server.url, b), bodies))
    assert all(r.status == 200 for r in results), [r.status for r in results]
    assert len({r.headers["X-Lab-Worker"] for r in results}) > 1, "the work spread over several workers"
    assert any(r.headers.get("Content-Encoding") for r in results), "some responses were compressed"

    misses = sum("cache miss" in r.content.decode() for r in results)
    executions = 15 + misses
    figures = metrics_once(server, "overview", len(bodies))
    overview = figures["patterns"]["overview"]
    assert overview["callbacks"] == len(bodies)
    assert overview["bytes_up"] == sum(r.sent for r in results)
    assert overview["bytes_down"] == sum(r.received for r in results)
    assert overview["errors"] == 0
    assert overview["recomputes"] == executions == step_runs_in_log(server)
    assert overview["recomputes_by_step"] == {"demo": executions}
    assert overview["latency_ms"]["samples"] == len(bodies)
    assert 0 < overview["latency_ms"]["p50"] <= overview["latency_ms"]["p95"]

    workers = figures["workers"]
    assert sum(w["callbacks"] for w in workers.values()) == len(bodies)
    assert sum(w["recomputes"] for w in workers.values()) == executions
    by_worker = {}
    for r in results:
        by_worker[r.headers["X-Lab-Worker"]] = by_worker.get(r.headers["X-Lab-Worker"], 0) + 1
    assert {pid: w["callbacks"] for pid, w in workers.items()} == by_worker
    assert all(w["live"] for w in workers.values())


def test_visit_meters_count_only_that_visit(server):
    """A visit's snapshot shows its own callbacks and executions; another visit's stay out."""
    mine, other = visit_token(server.url), visit_token(server.url)
    assert mine != other
    sent = [exchange(server.url, run_body(1_000), headers={"X-Lab-Session": mine}),
            exchange(server.url, fetch_body(1_000), headers={"X-Lab-Session": mine}),
            exchange(server.url, run_body(1_000), headers={"X-Lab-Session": other})]
    assert all(r.status == 200 for r in sent)

    meters = eventually(lambda: snapshot(server, mine)["meters"], lambda m: len(m["calls"]) >= 2)
    assert meters["recomputes"] == {"mine": {"demo": 1}, "everyone": {"demo": 2}}
    assert meters["callbacks"] == {
        "overview-result.children": {"n": 1, "in": sent[0].sent, "out": sent[0].received,
                                     "ms": meters["callbacks"]["overview-result.children"]["ms"]},
        "..overview-store.data...overview-fetched.children..": {
            "n": 1, "in": sent[1].sent, "out": sent[1].received,
            "ms": meters["callbacks"]["..overview-store.data...overview-fetched.children.."]["ms"]},
    }
    calls = meters["calls"]
    assert [c["cb"] for c in calls] == ["..overview-store.data...overview-fetched.children..",
                                        "overview-result.children"]
    assert [c["pid"] for c in calls] == [int(sent[1].headers["X-Lab-Worker"]), int(sent[0].headers["X-Lab-Worker"])]
    assert calls[1]["sn"] == 1 and calls[1]["ph"]["step"] >= 200 * 0.9


def test_forged_session_header_counts_for_nobody(server):
    """A session id the server did not sign is not attributed to any visit (nor trusted)."""
    token = visit_token(server.url)
    signed, _, signature = token.rpartition(".")
    forged = f"{signed}.{signature[::-1]}"
    assert exchange(server.url, run_body(1_000), headers={"X-Lab-Session": forged}).status == 200
    metrics_once(server, "overview", 1)
    meters = snapshot(server, token)["meters"]
    assert meters["recomputes"]["mine"] == {} and meters["calls"] == []
    assert meters["recomputes"]["everyone"] == {"demo": 1}


def test_instrument_requests_are_not_counted(server):
    """The meters' own refreshes (ids starting with lab-) never show up in the figures."""
    token = visit_token(server.url)
    for _ in range(5):
        snapshot(server, token)
    assert exchange(server.url, run_body(1_000)).status == 200
    figures = metrics_once(server, "overview", 1)
    assert list(figures["patterns"]) == ["overview"] and figures["patterns"]["overview"]["callbacks"] == 1


@pytest.mark.parametrize(
    "data, message",
    [
        (b"not json at all", "the body must be a JSON object"),
        (b"[1, 2, 3]", "the body must be a JSON object"),
        (json.dumps({"inputs": []}).encode(), "must name an 'output'"),
        (json.dumps({"output": "overview-result.children", "inputs": "nope"}).encode(), "must name an 'output'"),
        (json.dumps({"output": "nobody.children", "inputs": []}).encode(), "no server callback has the output 'nobody.children'"),
    ],
)
def test_malformed_callback_requests_get_a_clear_400(server, data, message):
    result = exchange(server.url, data)
    assert result.status == 400
    assert message in result.json()["error"]
    assert exchange(server.url, run_body(1_000)).status == 200, "the server keeps serving"
    figures = metrics_once(server, "overview", 1)
    assert list(figures["patterns"]) == ["overview"] and figures["patterns"]["overview"]["callbacks"] == 1
