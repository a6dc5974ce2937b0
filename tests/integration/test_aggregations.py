"""Lesson 4 under real gunicorn (4 workers) and real Redis, at 100,000 rows: the three modes draw
identical figures; sending aggregates moves at least 1000× fewer bytes (up and down) than sending
the data, as recorded by the meters and as seen on the wire; the reference's filtered subsets
barely help. Requests are sent as compact JSON, byte for byte what dash-renderer sends."""

import json

import pytest
from dash._callback import GLOBAL_CALLBACK_MAP

import app  # noqa: F401  (registers the callbacks, to read their exact keys)
from lab.http_client import callback_body, exchange, visit_token
from tests.support import metrics_once

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis]

P = "aggregations"
MODES = ("full", "subsets", "aggregates")
FRUITS = ["apples", "oranges", "figs"]
ROWS = 100_000


def compact(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def key(part: str) -> str:
    """The exact callback key (allow_duplicate outputs carry a hash) of the callback whose output has `part`."""
    (found,) = [k for k in GLOBAL_CALLBACK_MAP if part in k]
    return found


def id_key(component_id: dict) -> str:
    return json.dumps(component_id, separators=(",", ":"), sort_keys=True)


def step_body(mode: str) -> bytes:
    outputs = [{"id": f"{P}-{mode}-receipt", "property": "data"}]
    outputs += ([{"id": {"type": f"{P}-aggregates-store", "fruit": f}, "property": "data"} for f in FRUITS]
                if mode == "aggregates" else [{"id": f"{P}-{mode}-store", "property": "data"}])
    trigger = f"{P}-{mode}-trigger"
    return compact({"output": key(f"{P}-{mode}-receipt.data"), "outputs": outputs,
                    "inputs": [{"id": trigger, "property": "data", "value": {"rows": ROWS, "at": 1}}],
                    "changedPropIds": [f"{trigger}.data"]})


def reader_body(mode: str, fruit: str, value) -> bytes:
    output = key(f'"type":"{P}-{mode}-drawn"')
    figure_prop = output[:-2].rsplit(".", 1)[1]  # "figure@<hash>"
    source = ({"type": f"{P}-aggregates-store", "fruit": fruit} if mode == "aggregates" else f"{P}-{mode}-store")
    graph = {"fruit": fruit, "type": f"{P}-graph"}
    return compact({
        "output": output,
        "outputs": [{"id": {"fruit": fruit, "type": f"{P}-{mode}-drawn"}, "property": "data"},
                    {"id": graph, "property": figure_prop}],
        "inputs": [{"id": source, "property": "data", "value": value}],
        "changedPropIds": [f"{id_key(source) if isinstance(source, dict) else source}.data"],
        "state": [{"id": graph, "property": "id", "value": {"type": f"{P}-graph", "fruit": fruit}}],
    })


def snapshot_callbacks(server, token) -> dict:
    body = callback_body(["lab-snapshot.data", "lab-snapshot-digest.data"],
                         {"lab-tick.n_intervals": 1, "_pages_location.pathname": f"/{P}"},
                         state={"lab-snapshot-digest.data": None})
    return exchange(server.url, body, headers={"X-Lab-Session": token}).json()["response"]["lab-snapshot"]["data"][
        "meters"]["callbacks"]


def test_aggregates_cut_the_bytes_1000x_with_identical_figures(lab_server, redis_url):
    """Full data, the reference's subsets and aggregates at 100,000 rows: same figures; ≥ 1000× fewer bytes."""
    server = lab_server(workers=4, redis_url=redis_url, env={"STEP_SECONDS": "0.3"})
    token = visit_token(server.url)
    visit = {"X-Lab-Session": token}
    wire, figures, drawn = {}, {}, {}
    for mode in MODES:
        step = exchange(server.url, step_body(mode), headers=visit)
        assert step.status == 200, step.content[:300]
        response = step.json()["response"]
        exchanges = [step]
        figures[mode], drawn[mode] = {}, {}
        for fruit in FRUITS:
            if mode == "aggregates":
                value = response[id_key({"type": f"{P}-aggregates-store", "fruit": fruit})]["data"]
            else:
                value = response[f"{P}-{mode}-store"]["data"]
            reply = exchange(server.url, reader_body(mode, fruit, value), headers=visit)
            assert reply.status == 200, reply.content[:300]
            result = reply.json()["response"]
            figures[mode][fruit] = result[id_key({"type": f"{P}-graph", "fruit": fruit})]["figure"]
            drawn[mode][fruit] = result[id_key({"type": f"{P}-{mode}-drawn", "fruit": fruit})]["data"]
            exchanges.append(reply)
        wire[mode] = {"up": sum(e.sent for e in exchanges), "down": sum(e.received for e in exchanges)}

    # Identical figures, to the last number, in all three modes.
    assert figures["full"] == figures["subsets"] == figures["aggregates"]
    assert drawn["full"] == drawn["subsets"] == drawn["aggregates"]
    assert all(d["values"] == 48 for d in drawn["aggregates"].values())

    # The meters recorded exactly these bytes; the ratio from the recorded bytes is ≥ 1000×.
    metrics = metrics_once(server, P, 12)["patterns"][P]
    assert metrics["bytes_up"] == sum(w["up"] for w in wire.values())
    assert metrics["bytes_down"] == sum(w["down"] for w in wire.values())
    assert metrics["recomputes_by_step"] == {"full": 1, "subsets": 1, "aggregates": 1}
    recorded = {mode: 0 for mode in MODES}
    for callback, figures_of in snapshot_callbacks(server, token).items():
        mode = next(m for m in MODES if f"{P}-{m}-" in callback)
        recorded[mode] += figures_of["in"] + figures_of["out"]
    assert recorded == {mode: wire[mode]["up"] + wire[mode]["down"] for mode in MODES}
    ratio = recorded["full"] / recorded["aggregates"]
    assert ratio >= 1000, (recorded, ratio)
    # The reference's subsets barely help: about as many bytes as the whole data (here, more).
    assert recorded["subsets"] > 0.8 * recorded["full"]
    print("\n" + "\n".join(f"{mode:>10}: up {wire[mode]['up']:>11,} B  down {wire[mode]['down']:>9,} B  "
                           f"total {recorded[mode]:>11,} B" for mode in MODES)
          + f"\n     ratio: {ratio:,.0f}× (full / aggregates, up + down)")
