"""Lesson 2 under real gunicorn and real Redis, with two real sessions (two visits).

With 1 worker, another session's load overwrites the global your readers read: every answer is
theirs. With 4 workers, loads made at the same time land on different workers, the workers' copies
disagree, and each read answers with whatever the answering worker holds. The dcc.Store version
answers every read with your own data, however many workers there are.
"""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from lab.http_client import exchange, visit_token
from tests.support import eventually, metrics_once

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis]

P = "global-variable"
PICK = f"{P}-pick"
READS = 24


def _key(component_id) -> str:
    return json.dumps(component_id, separators=(",", ":"), sort_keys=True) if isinstance(component_id, dict) \
        else component_id


def _match(component_id: dict) -> dict:
    return {k: (["MATCH"] if k == "user" else v) for k, v in component_id.items()}


def body(outputs, inputs, state=(), match=False) -> dict:
    """A callback request as dash-renderer sends it: `outputs` [(id, prop)], `inputs`/`state`
    [(id, prop, value)]; with `match`, the output key names the MATCH wildcard."""
    keys = [f"{_key(_match(i) if match else i)}.{prop}" for i, prop in outputs]
    outs = [{"id": i, "property": prop} for i, prop in outputs]
    return {
        "output": keys[0] if len(keys) == 1 else ".." + "...".join(keys) + "..",
        "outputs": outs[0] if len(outs) == 1 else outs,
        "inputs": [{"id": i, "property": prop, "value": v} for i, prop, v in inputs],
        "state": [{"id": i, "property": prop, "value": v} for i, prop, v in state],
        "changedPropIds": [f"{_key(inputs[0][0])}.{inputs[0][1]}"],
    }


def picker(user="you") -> dict:
    return {"type": PICK, "user": user}


def bad_load(fruit):
    return body([({"type": f"{P}-demo-bad-loaded", "user": "you"}, "children")],
                [(picker(), "value", fruit)], [(picker(), "id", picker())], match=True)


def good_load(fruit):
    return body([({"type": f"{P}-demo-good-store", "user": "you"}, "data"),
                 ({"type": f"{P}-demo-good-loaded", "user": "you"}, "children")],
                [(picker(), "value", fruit)], [(picker(), "id", picker())], match=True)


def bad_chart(picked, measure="revenue"):
    return body([(f"{P}-demo-bad-chart-got", "children"), (f"{P}-demo-bad-chart", "figure")],
                [({"type": f"{P}-demo-bad-loaded", "user": "you"}, "children", None),
                 (f"{P}-measure", "value", measure)],
                [(picker(), "value", picked)])


def good_chart(store, picked, measure="revenue"):
    return body([(f"{P}-demo-good-chart-got", "children"), (f"{P}-demo-good-chart", "figure")],
                [({"type": f"{P}-demo-good-store", "user": "you"}, "data", store), (f"{P}-measure", "value", measure)],
                [(picker(), "value", picked)])


def refresh_copies():
    return body([(f"{P}-copies-table", "children")], [(f"{P}-copies-tick", "n_intervals", 1)])


def post(server, payload, token):
    reply = exchange(server.url, payload, headers={"X-Lab-Session": token})
    assert reply.status == 200, reply.content[:500]
    return reply


def answer(reply, got_id) -> dict:
    """What a reader answered: the fruit it drew, the worker that answered, right or wrong."""
    props = reply.json()["response"][got_id]["children"]["props"]
    return {"fruit": props["data-fruit"] or None, "pid": int(props["data-pid"]), "right": props["data-right"] == "yes"}


def loaded_store(server, fruit, token) -> dict:
    response = post(server, good_load(fruit), token).json()["response"]
    return response[_key({"type": f"{P}-demo-good-store", "user": "you"})]["data"]


def many(fn, n, threads=6):
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda _: fn(), range(n)))


def copies(server, redis_url) -> dict[int, dict]:
    """Every worker's published copy, read straight from the shared store the page reads."""
    raw = redis.Redis.from_url(redis_url).hgetall(f"lab:copies:{P}:selection")
    return {int(pid): json.loads(value) for pid, value in raw.items()}


def test_one_worker_another_sessions_pick_leaks_into_yours(lab_server, redis_url):
    """1 worker: after another session loads figs, all 24 of your global reads show figs; the store
    version shows your apples every time."""
    server = lab_server(workers=1, redis_url=redis_url, env={"STEP_SECONDS": "0.3"})
    me, them = visit_token(server.url), visit_token(server.url)
    post(server, bad_load("apples"), me)
    mine = loaded_store(server, "apples", me)
    assert answer(post(server, bad_chart("apples"), me), f"{P}-demo-bad-chart-got")["right"]

    post(server, bad_load("figs"), them)  # another user, another session
    loaded_store(server, "figs", them)
    bad = [answer(post(server, bad_chart("apples"), me), f"{P}-demo-bad-chart-got") for _ in range(READS)]
    good = [answer(post(server, good_chart(mine, "apples"), me), f"{P}-demo-good-chart-got") for _ in range(READS)]
    assert {a["fruit"] for a in bad} == {"figs"} and not any(a["right"] for a in bad)
    assert {a["fruit"] for a in good} == {"apples"} and all(a["right"] for a in good)
    metrics = metrics_once(server, P, 4 + 2 * READS + 1)
    assert metrics["patterns"][P]["recomputes_by_step"] == {"bad-load": 2, "good-load": 2}


def test_four_workers_hold_different_copies_and_answers_follow_them(lab_server, redis_url):
    """4 workers: two loads at once land on two workers; the copies disagree, every global read
    answers with its own worker's copy (so yours depends on who answers), and every store read
    answers with your own data."""
    server = lab_server(workers=4, redis_url=redis_url, env={"STEP_SECONDS": "0.3"})
    me, them = visit_token(server.url), visit_token(server.url)
    with ThreadPoolExecutor(2) as pool:  # each load holds its worker for 0.3 s: two workers serve them
        loads = list(pool.map(lambda args: post(server, bad_load(args[0]), args[1]), [("apples", me), ("figs", them)]))
    load_pids = [int(reply.headers["X-Lab-Worker"]) for reply in loads]
    assert load_pids[0] != load_pids[1]
    mine, theirs = loaded_store(server, "apples", me), loaded_store(server, "figs", them)

    # Every live worker reports its copy when it serves this page (here: the copies table's refresh).
    live = set(server.health()["workers"])
    reported = eventually(lambda: many(lambda: post(server, refresh_copies(), me), 12) and copies(server, redis_url),
                          lambda c: live <= set(c), timeout=30, settle=0)
    held = {pid: reported[pid]["fruit"] for pid in live}
    assert held[load_pids[0]] == "apples" and held[load_pids[1]] == "figs"
    assert sum(fruit is None for fruit in held.values()) == 2  # the two workers that loaded nothing

    bad = many(lambda: answer(post(server, bad_chart("apples"), me), f"{P}-demo-bad-chart-got"), READS)
    assert all(a["fruit"] == held[a["pid"]] for a in bad), bad  # each answer is its worker's own copy
    assert all(a["right"] == (a["pid"] == load_pids[0]) for a in bad)
    assert len({a["pid"] for a in bad}) >= 2 and not all(a["right"] for a in bad), bad

    good_mine = many(lambda: answer(post(server, good_chart(mine, "apples"), me), f"{P}-demo-good-chart-got"), READS)
    good_theirs = many(lambda: answer(post(server, good_chart(theirs, "figs"), them), f"{P}-demo-good-chart-got"),
                       READS)
    assert all(a["right"] and a["fruit"] == "apples" for a in good_mine)
    assert all(a["right"] and a["fruit"] == "figs" for a in good_theirs)
    assert len({a["pid"] for a in good_mine + good_theirs}) >= 2  # several workers answered, all correctly
