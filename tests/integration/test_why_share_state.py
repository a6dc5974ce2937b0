"""Lesson 1 under gunicorn with 4 workers and real Redis: a unit-only change downloads again with
one multi-output callback, and not with a download callback + a display callback."""

import re

import pytest

from lab.http_client import callback_body, exchange, visit_token
from tests.support import metrics_once

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis]
DAY = "2026-06-02"


def left(day, unit):
    return callback_body(["why-share-state-left-graph.figure", "why-share-state-left-summary.children"],
                         {"why-share-state-day.value": day, "why-share-state-unit.value": unit})


def right_download(day):
    return callback_body(["why-share-state-right-store.data"], {"why-share-state-day.value": day})


def right_display(data, unit):
    return callback_body(["why-share-state-right-graph.figure", "why-share-state-right-summary.children"],
                         {"why-share-state-right-store.data": data, "why-share-state-unit.value": unit})


def downloads(server) -> dict:
    return server.get("/api/metrics").json()["patterns"]["why-share-state"]["recomputes_by_step"]


def test_unit_only_change_downloads_on_the_left_only(lab_server, redis_url):
    server = lab_server(workers=4, redis_url=redis_url, env={"STEP_SECONDS": "0.3"})
    visit = {"X-Lab-Session": visit_token(server.url)}

    # The page loads: each side downloads once.
    first_left = exchange(server.url, left(DAY, "C"), headers=visit)
    store = exchange(server.url, right_download(DAY), headers=visit)
    data = store.json()["response"]["why-share-state-right-store"]["data"]
    first_right = exchange(server.url, right_display(data, "C"), headers=visit)
    assert {first_left.status, store.status, first_right.status} == {200}
    metrics_once(server, "why-share-state", 3)
    assert downloads(server) == {"left-download": 1, "right-download": 1}

    # Only the unit changes: the left callback runs (and downloads); the right one converts.
    second_left = exchange(server.url, left(DAY, "F"), headers=visit)
    second_right = exchange(server.url, right_display(data, "F"), headers=visit)
    metrics_once(server, "why-share-state", 5)
    assert downloads(server) == {"left-download": 2, "right-download": 1}
    log = server.log_text()
    assert len(re.findall(r"step=left-download", log)) == 2 and len(re.findall(r"step=right-download", log)) == 1

    # Same answer on both sides, in °F.
    left_summary = second_left.json()["response"]["why-share-state-left-summary"]["children"]
    right_summary = second_right.json()["response"]["why-share-state-right-summary"]["children"]
    assert left_summary == right_summary and "°F" in left_summary


def test_crafted_values_get_a_clear_error_and_change_nothing(lab_server):
    """Well-formed requests with values the page never offers answer 400 at the boundary, with a
    message naming the property, before any download runs; the server keeps serving everyone and
    the figures count them as errors."""
    server = lab_server(workers=2, env={"STEP_SECONDS": "0"})
    hours = {"hour": list(range(24)), "temp_c": [20.0] * 24}
    for body, words in ((right_display(hours, "K"), 'why-share-state-unit.value must be one of "C", "F" (got "K")'),
                        (left("not-a-date", "C"), "why-share-state-day.value must be one of"),
                        (right_display({"hour": list(range(24))}, "C"), "lacks the field 'temp_c'")):
        result = exchange(server.url, body)
        assert result.status == 400, result.content
        error = result.json()["error"]
        assert error.startswith("The callback for ") and "refused its inputs" in error and words in error
    ok = exchange(server.url, right_display(hours, "F"))
    assert ok.status == 200 and "°F" in ok.json()["response"]["why-share-state-right-summary"]["children"]
    figures = metrics_once(server, "why-share-state", 4)["patterns"]["why-share-state"]
    assert figures["callbacks"] == 4 and figures["errors"] == 3
    assert figures["recomputes"] == 0  # no download ran for a refused request (nor for the display)
    assert "Traceback" not in server.log_text()
