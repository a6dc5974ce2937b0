"""The instructor guard against real gunicorn on loopback: with INSTRUCTOR_TOKEN set, every guarded
action needs it even from 127.0.0.1 (a proxy or tunnel to the lab looks local); with none set, a
private run is open. (A unix socket, which is never private, is covered in test_worker_control.)"""

import pytest

pytestmark = pytest.mark.gunicorn
TOKEN = "room-42-instructor"
GUARDED = [("/api/workers", {"count": 1}), ("/api/metrics/reset", None), ("/api/cache/clear", None),
           ("/api/compare", {"users": 2, "workers": [1], "rows": 1000, "patterns": ["aggregates"]}),
           ("/api/compare/cancel", None)]


def test_a_set_token_guards_a_loopback_run(lab_server):
    server = lab_server(workers=1, env={"INSTRUCTOR_TOKEN": TOKEN})
    assert server.health()["guard"] == {"open": False, "token_required": True, "token_configured": True}
    for path, body in GUARDED:
        for headers in ({}, {"X-Instructor-Token": "wrong"}, {"X-Instructor-Token": TOKEN.upper()}):
            answer = server.post(path, json=body, headers=headers)
            assert answer.status_code == 403 and "instructor token" in answer.json()["error"], (path, headers)
    assert server.get("/api/compare").json()["progress"] is None  # nothing started
    allowed = server.post("/api/metrics/reset", headers={"X-Instructor-Token": TOKEN})
    assert allowed.status_code == 200


def test_no_token_leaves_a_loopback_run_open(lab_server):
    server = lab_server(workers=1)
    assert server.health()["guard"]["open"] is True
    assert server.post("/api/metrics/reset").status_code == 200
