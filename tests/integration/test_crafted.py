"""Crafted input at scale, against real gunicorn: every server callback listed by /_dash-dependencies,
one value spoiled at a time (wrong types, huge and negative numbers, NaN and infinities, long strings,
deep nesting, unknown options, traversal strings, malformed ids, missing fields), the instructor
API and Dash's own routes. Never a 5xx; the server keeps serving; a refused request runs no
expensive step (the instruments record, per request, the steps it ran); nothing is written outside
DATA_DIR."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import requests

import app  # noqa: F401  (the declared rules, to start each request from values the page offers)
from lab import schema
from lab.http_client import exchange, visit_token

pytestmark = pytest.mark.gunicorn
PROJECT_DIR = Path(__file__).resolve().parents[2]
TOKEN = "crafted-suite-instructor-token"
DEEP = json.loads("[" * 200 + "]" * 200)
NASTY = [None, True, 0, -1, 10**18, -(10**18), 2.5, float("nan"), float("inf"), float("-inf"), "", "x" * 100_000,
         "../../etc/passwd", "<script>alert(1)</script>", "ünïcødé ☃", [], list(range(5000)), {}, {"__proto__": 1},
         DEEP, "%2e%2e%2f%2e%2e%2f"]
RECENT_PER_VISIT = 50  # under the instruments' 60 recent calls per visit


def concrete(raw_id: str, wildcard_value=None):
    """A component id as a browser would send it: pattern-matching wildcards filled in."""
    if not raw_id.startswith("{"):
        return raw_id
    parsed = json.loads(raw_id)
    id_rule = schema.rule_for(parsed, "id")
    example = id_rule.example() if id_rule else {}
    return {k: (example.get(k, wildcard_value or "x") if isinstance(v, list) else v) for k, v in parsed.items()}


def is_all(raw_id: str) -> bool:
    return raw_id.startswith("{") and any(isinstance(v, list) and v[0] in ("ALL", "ALLSMALLER")
                                          for v in json.loads(raw_id).values())


def entry(dep: dict, value) -> dict | list:
    item = {"id": concrete(dep["id"]), "property": dep["property"], "value": value}
    return [item] if is_all(dep["id"]) else item


def base_body(cb: dict) -> dict:
    """A request for `cb` built from /_dash-dependencies, every value an example its rule accepts."""
    key = cb["output"]
    inner = key[2:-2] if key.startswith("..") else key
    outs = [{"id": concrete(c), "property": p} for c, _, p in (part.rpartition(".") for part in inner.split("..."))]
    outs = [[o] if is_all(json.dumps(o["id"]) if isinstance(o["id"], dict) else o["id"]) else o for o in outs]

    def value(dep):
        rule = schema.rule_for(json.loads(dep["id"]) if dep["id"].startswith("{") else dep["id"], dep["property"])
        return rule.example() if rule else None

    body = {"output": key, "outputs": outs if key.startswith("..") else outs[0],
            "inputs": [entry(d, value(d)) for d in cb["inputs"]],
            "changedPropIds": [f"{cb['inputs'][0]['id']}.{cb['inputs'][0]['property']}"] if cb["inputs"] else []}
    if cb.get("state"):
        body["state"] = [entry(d, value(d)) for d in cb["state"]]
    return body


def spoiled(cb: dict) -> list[dict]:
    """The base body, then one value replaced by each NASTY value, and some broken shapes."""
    base = base_body(cb)
    bodies = [base]
    for part in ("inputs", "state"):
        for i, dep in enumerate(cb.get(part, [])):
            for nasty in NASTY:
                body = json.loads(json.dumps(base))
                body[part][i] = entry(dep, nasty)
                bodies.append(body)
            body = json.loads(json.dumps(base))
            body[part][i] = {"id": {"type": dep["id"][:40], "x": ["ALL"]}, "property": "value", "value": 1}
            bodies.append(body)  # a malformed pattern-matching id
    for broken in ({"inputs": []}, {"inputs": None}, {"outputs": {"id": "nobody", "property": "x"}},
                   {"outputs": [[{"id": {"type": 1}}]]}, {"changedPropIds": [[1]]}, {"state": "x"}):
        bodies.append({**base, **broken})
    return bodies


def project_files() -> set[str]:
    skip = {".venv", ".git", "node_modules", "__pycache__", ".pytest_cache", "build"}
    found = set()
    for root, dirs, files in os.walk(PROJECT_DIR):
        dirs[:] = [d for d in dirs if d not in skip and not d.endswith(".egg-info")]
        found.update(os.path.join(root, f) for f in files)
    return found


def test_crafted_callback_requests(lab_server):
    server = lab_server(workers=2, env={"STEP_SECONDS": "0", "INSTRUCTOR_TOKEN": TOKEN})
    before_files = project_files()
    deps = [d for d in requests.get(server.url + "/_dash-dependencies", timeout=30).json()
            if not d.get("clientside_function")]
    assert len(deps) > 50
    bodies = [body for cb in deps for body in spoiled(cb)]
    statuses: dict[int, int] = {}
    failures, visits, visit = [], [], None
    t0 = time.monotonic()
    for n, body in enumerate(bodies):
        if n % RECENT_PER_VISIT == 0:
            visit = visit_token(server.url)
            visits.append(visit)
        reply = exchange(server.url, json.dumps(body, allow_nan=True).encode(), headers={"X-Lab-Session": visit})
        statuses[reply.status] = statuses.get(reply.status, 0) + 1
        if reply.status >= 500:
            failures.append((body["output"][:80], json.dumps(body)[:300], reply.content[:200]))
    print(f"\n{len(bodies)} crafted callback requests in {time.monotonic() - t0:.0f} s: statuses {statuses}")
    assert len(bodies) >= 1000 and statuses.get(400, 0) > 500
    assert failures == [], f"{len(failures)} got a 5xx, first: {failures[:3]}"
    time.sleep(1)  # the instruments write within ~0.25 s
    figures = []
    for i in range(0, len(visits), 60):
        answer = server.post("/api/metrics/visits", json={"visits": visits[i:i + 60], "pattern": "compare"})
        figures += answer.json()["visits"]
    # Steps run by refused requests, on every lesson: read each visit's calls for every pattern.
    patterns = {p for p in server.get("/api/metrics").json()["patterns"]}
    refused_steps = 0
    for pattern in patterns:
        for i in range(0, len(visits), 60):
            answer = server.post("/api/metrics/visits", json={"visits": visits[i:i + 60], "pattern": pattern})
            refused_steps += sum(v["refused_steps"] for v in answer.json()["visits"])
    assert refused_steps == 0, "a refused request ran an expensive step"
    health = server.health()
    assert len(health["workers"]) == 2
    assert project_files() - before_files == set(), "something was written outside DATA_DIR"


def test_crafted_api_and_dash_routes(lab_server):
    server = lab_server(workers=2, env={"STEP_SECONDS": "0", "INSTRUCTOR_TOKEN": TOKEN})
    url = server.url
    guarded = {"X-Instructor-Token": TOKEN}
    cases = [
        ("POST", "/api/workers", {"count": "9" * 400}, guarded), ("POST", "/api/workers", [1], guarded),
        ("POST", "/api/workers", {"count": float("nan")}, guarded), ("POST", "/api/compare", {"users": DEEP}, guarded),
        ("POST", "/api/compare", {"workers": list(range(10**4))}, guarded), ("POST", "/api/compare", "x", guarded),
        ("POST", "/api/compare/cancel", None, {"X-Instructor-Token": "x" * 10_000}),
        ("POST", "/api/metrics/visits", {"visits": [DEEP], "pattern": "x"}, {}),
        ("POST", "/api/metrics/visits", {"visits": ["../../etc/passwd"], "pattern": "compare"}, {}),
        ("POST", "/api/metrics/reset", {}, {"X-Instructor-Token": "wrong"}),
        ("GET", "/api/nothing-here", None, {}), ("GET", "/api/compare/latest.exe", None, {}),
        ("GET", "/api/compare/latest.json", None, {}), ("GET", "/_dash-layout?x=" + "a" * 5000, None, {}),
        ("GET", "/_dash-component-suites/../../app.py", None, {}), ("GET", "/assets/../app.py", None, {}),
        ("GET", "/assets/%2e%2e/app.py", None, {}), ("POST", "/_dash-dependencies", {"x": 1}, {}),
        ("GET", "/_dash-update-component", None, {}), ("GET", "/_reload-hash", None, {}),
        ("GET", "/" + "a/" * 500, None, {}), ("GET", "/global-variable?%ff", None, {}),
    ]
    for method, path, body, headers in cases:
        data = None if body is None else json.dumps(body, allow_nan=True).encode()
        reply = requests.request(method, url + path, data=data, timeout=30,
                                 headers={"Content-Type": "application/json", **headers})
        assert reply.status_code < 500, (method, path, reply.status_code, reply.text[:200])
        assert "app.py" not in path or "dash.register_page" not in reply.text and "Dash(" not in reply.text
    raw = [b"\xff\xfe not utf-8", b"{" * 20_000, b"[" * 100_000 + b"]" * 100_000, b'{"output": 1e999999}',
           b'{"output": "lab-snapshot.data", "inputs": ' + b"[" * 5000 + b"]" * 5000 + b"}"]
    for data in raw:
        reply = requests.post(url + "/_dash-update-component", data=data, timeout=30,
                              headers={"Content-Type": "application/json"})
        assert 400 <= reply.status_code < 500, (data[:40], reply.status_code, reply.text[:200])
    huge = requests.post(url + "/_dash-update-component", data=b" " * (20 * 1024 * 1024), timeout=60,
                         headers={"Content-Type": "application/json"})
    assert huge.status_code == 413
    assert server.get("/api/health").status_code == 200
