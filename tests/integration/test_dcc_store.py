"""Lesson 3 under real gunicorn (4 workers) and real Redis: the meters record exactly the HTTP
bodies; the store's JSON comes down once, compressed, and goes up whole with each of its two
readers; everything grows with the data. A store the browser already holds is not cleaned again,
and one that would overflow the browser's quota is kept in memory."""

import json

import pytest

from lab.http_client import callback_body, exchange, visit_token
from tests.support import metrics_once

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis]

P = "dcc-store"
STORAGES = ("memory", "session", "local")
CLEAN_OUTPUTS = [f"{P}-clean-receipt.data", f"{P}-clean-note.children"] + \
                [f"{P}-data-{s}.data" for s in STORAGES] + [f"{P}-clean-pending.data"]
GRAPH_OUTPUTS = [f"{P}-read-graph.figure", f"{P}-read-graph-note.children"]
TABLE_OUTPUTS = [f"{P}-read-table.children"]
CLEAN_KEY = ".." + "...".join(CLEAN_OUTPUTS) + ".."
GRAPH_KEY = ".." + "...".join(GRAPH_OUTPUTS) + ".."
TABLE_KEY = TABLE_OUTPUTS[0]
BIG_QUOTA = {s: {"free": 5_200_000, "used": 0, "ours": 0, "quota": 5_200_000} for s in ("local", "session")}


def compact(body: dict) -> bytes:
    """The body as dash-renderer sends it: JSON without spaces."""
    return json.dumps(body, separators=(",", ":")).encode()


def clean_body(rows, storage="memory", fruit="all", quota=BIG_QUOTA, held=None):
    return compact(callback_body(CLEAN_OUTPUTS,
                                 {f"{P}-fruit.value": fruit, f"{P}-rows.value": rows, f"{P}-storage.value": storage,
                                  f"{P}-quota.data": quota},
                                 state={f"{P}-held-{s}.data": (held or {}).get(s) for s in STORAGES}))


def reader_body(outputs, data, storage="memory"):
    return compact(callback_body(outputs, {f"{P}-data-{s}.data": data if s == storage else None for s in STORAGES}))


def snapshot(server, token):
    body = callback_body(["lab-snapshot.data", "lab-snapshot-digest.data"],
                         {"lab-tick.n_intervals": 1, "_pages_location.pathname": f"/{P}"},
                         state={"lab-snapshot-digest.data": None})
    reply = exchange(server.url, body, headers={"X-Lab-Session": token})
    assert reply.status == 200
    return reply.json()["response"]["lab-snapshot"]["data"]["meters"]


def test_meters_record_the_http_bodies_and_bytes_grow_with_the_data(lab_server, redis_url):
    """5,000 → 20,000 → 100,000 rows: recorded bytes equal the wire; down once, up twice, growing."""
    server = lab_server(workers=4, redis_url=redis_url, env={"STEP_SECONDS": "0.3"})
    token = visit_token(server.url)
    visit = {"X-Lab-Session": token}
    rounds = {}
    for rows in (5_000, 20_000, 100_000):
        clean = exchange(server.url, clean_body(rows), headers=visit)
        response = clean.json()["response"]
        data, receipt = response[f"{P}-data-memory"]["data"], response[f"{P}-clean-receipt"]["data"]
        assert response[f"{P}-data-local"]["data"] is None and receipt["kept_in"] == "memory"
        graph = exchange(server.url, reader_body(GRAPH_OUTPUTS, data), headers=visit)
        table = exchange(server.url, reader_body(TABLE_OUTPUTS, data), headers=visit)
        assert {clean.status, graph.status, table.status} == {200}
        rounds[rows] = {"clean": clean, "graph": graph, "table": table, "json": receipt["json_bytes"]}

    metrics = metrics_once(server, P, 9)["patterns"][P]
    calls = [c for r in rounds.values() for c in (r["clean"], r["graph"], r["table"])]
    assert metrics["bytes_up"] == sum(c.sent for c in calls)
    assert metrics["bytes_down"] == sum(c.received for c in calls)
    assert metrics["recomputes_by_step"] == {"clean": 3}
    meters = snapshot(server, token)["callbacks"]  # this visit's meters, per callback
    for key, role in ((CLEAN_KEY, "clean"), (GRAPH_KEY, "graph"), (TABLE_KEY, "table")):
        assert meters[key]["n"] == 3
        assert meters[key]["in"] == sum(r[role].sent for r in rounds.values())
        assert meters[key]["out"] == sum(r[role].received for r in rounds.values())

    small, medium, big = rounds[5_000], rounds[20_000], rounds[100_000]
    for role in ("clean", "graph", "table"):
        attr = "received" if role == "clean" else "sent"
        assert getattr(small[role], attr) < getattr(medium[role], attr) < getattr(big[role], attr)
    for r in rounds.values():
        # Down once, compressed: the body on the wire is a fraction of the JSON it carries.
        assert r["clean"].headers.get("Content-Encoding") in ("zstd", "br", "gzip", "deflate")
        assert len(r["clean"].content) > r["json"] and r["clean"].received * 2 < len(r["clean"].content)
        # Up with every reader, uncompressed: each request carries the whole store.
        assert r["graph"].sent > r["json"] and r["table"].sent > r["json"]
        assert abs(r["graph"].sent - r["table"].sent) < 1_000
        assert r["graph"].received < 20_000 and r["table"].received < 2_000  # what they send back is small
    assert big["json"] > 4_000_000 and big["graph"].sent + big["table"].sent > 8_000_000
    print(f"\n100,000 rows: store JSON {big['json']:,} B; clean response {len(big['clean'].content):,} B "
          f"({big['clean'].received:,} B on the wire, {big['clean'].headers.get('Content-Encoding')}); readers upload "
          f"{big['graph'].sent:,} + {big['table'].sent:,} = {big['graph'].sent + big['table'].sent:,} B")


def test_held_store_is_not_cleaned_again_and_an_oversized_one_stays_in_memory(lab_server, redis_url):
    """A choice the browser's session/local store already holds skips the clean step; a store too big
    for the measured quota is kept in memory instead of overflowing."""
    server = lab_server(workers=4, redis_url=redis_url, env={"STEP_SECONDS": "0.3"})
    visit = {"X-Lab-Session": visit_token(server.url)}
    first = exchange(server.url, clean_body(20_000, "local"), headers=visit).json()["response"]
    held = first[f"{P}-clean-pending"]["data"]["local"]  # what `held` becomes once the browser saved it
    assert first[f"{P}-clean-receipt"]["data"]["kept_in"] == "local" and first[f"{P}-data-local"]["data"]
    assert first[f"{P}-data-memory"]["data"] is None and held["rows"] == 20_000
    assert first[f"{P}-clean-pending"]["data"]["memory"] is None

    again = exchange(server.url, clean_body(20_000, "local", held={"local": held}), headers=visit)
    response = again.json()["response"]
    assert response[f"{P}-clean-receipt"]["data"]["skipped"] is True
    assert f"{P}-data-local" not in response  # no_update: the browser keeps what it has
    assert again.received < 2_000

    tight = {"local": {"free": 500_000, "used": 0, "ours": 0, "quota": 500_000}}
    response = exchange(server.url, clean_body(20_000, "local", quota=tight), headers=visit).json()["response"]
    receipt = response[f"{P}-clean-receipt"]["data"]
    assert receipt["storage"] == "local" and receipt["kept_in"] == "memory" and receipt["json_bytes"] > 500_000
    assert response[f"{P}-data-local"]["data"] is None and response[f"{P}-data-memory"]["data"]
    assert "Too big for localStorage" in str(response[f"{P}-clean-note"]["children"])
    metrics = metrics_once(server, P, 3)
    assert metrics["patterns"][P]["recomputes_by_step"] == {"clean": 2}  # the held choice did not run it
