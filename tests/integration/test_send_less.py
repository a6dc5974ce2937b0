"""Lesson 7 under gunicorn, with real callback bodies: the Patch's response is at least 100× smaller
than the whole figure's (on the wire, and in the meters' own records), a callback that reads a key
uploads a fraction of what one reading the whole store does (Redis keeping the table for every
worker), and values the page never offers are refused with 400 before anything runs."""

import pytest
import requests

from lab.http_client import callback_body, exchange, visit_token
from lab.send_less import BASE_POINTS, points
from tests.support import eventually, metrics_once

pytestmark = [pytest.mark.gunicorn]
P = "send-less"


def grow(side, length, append, clicks=1):
    return callback_body([f"{P}-grow-{side}-receipt.data", f"{P}-grow-{side}-graph.figure",
                          f"{P}-grow-{side}-length.data"],
                         {f"{P}-grow-append.n_clicks": clicks},
                         {f"{P}-grow-{side}-length.data": length, f"{P}-grow-points.value": append})


def load(side, rows):
    return callback_body([f"{P}-read-{side}-data.data"], {f"{P}-read-rows.value": rows})


def read(side, region, data):
    return callback_body([f"{P}-read-{side}-receipt.data", f"{P}-read-{side}-result.children"],
                         {f"{P}-read-region.value": region, f"{P}-read-{side}-data.data": data})


def visit_figures(server, visit):
    reply = requests.post(server.url + "/api/metrics/visits", json={"visits": [visit], "pattern": P}, timeout=30)
    return reply.json()["visits"][0]


def test_a_patch_sends_at_least_100_times_fewer_bytes_down(lab_server):
    """Appending 100 readings to 100,000: the whole figure against the Patch, each from its own visit."""
    server = lab_server(workers=2)
    visits = {side: visit_token(server.url) for side in ("whole", "patch")}
    replies = {side: exchange(server.url, grow(side, BASE_POINTS, 100), headers={"X-Lab-Session": visits[side]})
               for side in ("whole", "patch")}
    assert {r.status for r in replies.values()} == {200}
    whole = replies["whole"].json()["response"]
    patch = replies["patch"].json()["response"]
    assert len(whole[f"{P}-grow-whole-graph"]["figure"]["data"][0]["x"]) == BASE_POINTS + 100
    assert whole[f"{P}-grow-whole-length"]["data"] == patch[f"{P}-grow-patch-length"]["data"] == BASE_POINTS + 100

    # The Patch extends x and y with exactly the new readings.
    operations = patch[f"{P}-grow-patch-graph"]["figure"]["operations"]
    x, y = points(BASE_POINTS, BASE_POINTS + 100)
    assert [(o["operation"], o["location"], o["params"]["value"]) for o in operations] == [
        ("Extend", ["data", 0, "x"], x), ("Extend", ["data", 0, "y"], y)]

    ratio = replies["whole"].received / replies["patch"].received
    assert ratio >= 100, (replies["whole"].received, replies["patch"].received)
    assert len(replies["whole"].content) / len(replies["patch"].content) >= 100  # before compression too

    # The meters recorded the same bodies, each on its own visit.
    figures = {side: eventually(lambda s=side: visit_figures(server, visits[s]), lambda f: f["callbacks"] == 1)
               for side in visits}
    for side, reply in replies.items():
        assert figures[side]["bytes_down"] == reply.received and figures[side]["bytes_up"] == reply.sent
        assert figures[side]["recomputes"] == {f"grow-{side}": 1}


def test_reading_a_key_uploads_a_fraction_of_the_store(lab_server, redis_url):
    """Same answer from both sides; the key side's table is built once for every worker (Redis keeps it)."""
    server = lab_server(workers=3, redis_url=redis_url)
    table = exchange(server.url, load("store", 10_000)).json()["response"][f"{P}-read-store-data"]["data"]
    key = exchange(server.url, load("key", 10_000)).json()["response"][f"{P}-read-key-data"]["data"]
    assert key == {"rows": 10_000} and len(table["data"]) == 10_000
    for region in ("north", "south", "east", "west"):
        by_store = exchange(server.url, read("store", region, table))
        by_key = exchange(server.url, read("key", region, key))
        assert by_store.status == by_key.status == 200
        answers = [r.json()["response"] for r in (by_store, by_key)]
        assert answers[0][f"{P}-read-store-receipt"]["data"]["summary"] == \
            answers[1][f"{P}-read-key-receipt"]["data"]["summary"]
        assert by_store.sent > 400_000 and by_store.sent / by_key.sent >= 500, (by_store.sent, by_key.sent)
    steps = metrics_once(server, P, 10)["patterns"][P]["recomputes_by_step"]
    assert steps == {"table-store": 1, "table-key": 1}


def test_values_the_page_never_offers_are_refused(lab_server):
    """A number of readings outside 10/100/1000, a length the series never has, a crafted unit and a
    crafted key: 400 naming the property, and no update counted."""
    server = lab_server(workers=2)
    crafted = [
        (grow("patch", BASE_POINTS, 50), f"{P}-grow-points.value must be one of 10, 100, 1000 (got 50)"),
        (grow("whole", BASE_POINTS, 10**7), f"{P}-grow-points.value must be one of"),
        (grow("patch", 5, 100), f"{P}-grow-patch-length.data must be"),
        (callback_body([f"{P}-unit-server-graph.figure"], {f"{P}-unit.value": "K"}), f"{P}-unit.value must be"),
        (read("key", "north", {"rows": 10**9}), f"{P}-read-key-data.data"),
    ]
    for body, words in crafted:
        reply = exchange(server.url, body)
        assert reply.status == 400, reply.content[:300]
        assert words in reply.json()["error"], reply.json()["error"]
    ok = exchange(server.url, callback_body([f"{P}-unit-server-graph.figure"], {f"{P}-unit.value": "F"}))
    assert ok.status == 200 and ok.json()["response"][f"{P}-unit-server-graph"]["figure"]["data"][0]["meta"] == "°F"
    figures = metrics_once(server, P, len(crafted) + 1)["patterns"][P]
    assert figures["errors"] == len(crafted)
    assert figures["recomputes_by_step"] == {"unit-server": 1}  # refused requests ran nothing
    assert "Traceback" not in server.log_text()
