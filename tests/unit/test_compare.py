"""The comparison's engine, piece by piece: the workload, the judgement of what readers showed
(a leak must be caught), the requests built as dash-renderer builds them, the chains a renderer
follows (against a small real HTTP server), the config checks, and what a result says."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lab.compare import workload as w
from lab.compare.client import CallbackGraph, Lab, Renderer, parse_props
from lab.compare.findings import BAD, findings
from lab.compare.judge import Reading, figures, judge, percentile
from lab.compare.report import COLUMNS, csv_text, table
from lab.compare.runner import Config
from lab.crowd import Address

# -- the workload ------------------------------------------------------------------------------


def test_scripted_users_share_one_popular_shop_and_differ_otherwise():
    users = w.scripted_users(8)
    assert [u.shop for u in users] == ["A", "A", "A", "A", "B", "C", "D", "E"]
    assert [u.number for u in users] == list(range(1, 9))
    assert [u.shop for u in w.scripted_users(3)] == ["A", "A", "B"]
    assert len({u.shop for u in w.scripted_users(w.MAX_USERS)}) == w.MAX_USERS // 2 + 1
    for bad in (1, w.MAX_USERS + 1):
        with pytest.raises(ValueError):
            w.scripted_users(bad)


def test_a_shops_numbers_survive_json_and_differ_between_shops():
    frame = w.shop_sales("A", 1_000)
    assert len(frame) == 1_000 and list(frame.columns)[:2] == ["date", "region"]
    through_json = w.from_columns(json.loads(json.dumps(w.to_columns(frame))))
    assert w.monthly_revenue(through_json) == w.monthly_revenue(frame)
    assert w.fingerprint(w.monthly_revenue(frame)) == w.expected_fingerprint("A", 1_000)
    assert w.expected_fingerprint("A", 1_000) != w.expected_fingerprint("B", 1_000)
    assert w.expected_fingerprint("A", 1_000) != w.expected_fingerprint("A", 10_000)


@pytest.mark.parametrize("check, bad", [(w.check_shop, "Z"), (w.check_shop, None), (w.check_rows, 999),
                                        (w.check_rows, True), (w.check_rows, "1000"), (w.check_currency, "GBP")])
def test_inputs_are_checked_before_any_work(check, bad):
    with pytest.raises(ValueError):
        check(bad)


def test_readers_report_the_shop_and_the_fingerprint_of_what_they_drew():
    monthly = w.monthly_revenue(w.shop_sales("C", 1_000))
    total = w.read_total("C", monthly, "USD")
    assert total["shop"] == "C" and total["fp"] == w.fingerprint(monthly) and total["shown"].endswith("USD")
    assert w.read_best_month(None, None) == {"shop": None, "fp": None, "shown": "nothing to show"}


# -- the judgement -----------------------------------------------------------------------------

FP = {"A": "aaaa", "B": "bbbb"}


def reading(user, picked, shop, fp=None, status=200):
    shown = None if shop is None else {"shop": shop, "fp": fp or FP.get(shop), "shown": "x"}
    return Reading(user, picked, "read-total", "pick", status, shown)


def test_every_reader_right_is_correct_and_isolated():
    verdict = judge([reading(1, "A", "A"), reading(2, "B", "B")], FP, expected=2)
    assert verdict.correct and verdict.isolated and verdict.right == 2


def test_a_leaked_value_is_caught():
    verdict = judge([reading(1, "A", "A"), reading(2, "B", "A")], FP, expected=2)
    assert not verdict.isolated and not verdict.correct
    assert verdict.leaks == 1 and verdict.right == 1
    assert verdict.examples == ["user 2 picked B; read-total (pick) showed shop A"]


def test_empty_failed_wrong_numbers_and_missing_readers_are_not_correct_but_not_leaks():
    verdict = judge([reading(1, "A", None), reading(2, "A", "A", fp="ffff"), reading(3, "B", None, status=500)],
                    FP, expected=4)
    assert (verdict.empty, verdict.wrong_numbers, verdict.failed, verdict.missing) == (1, 1, 1, 1)
    assert verdict.isolated and not verdict.correct
    assert not judge([], FP, expected=0).correct  # nothing measured is not a pass


def test_figures_add_up_the_visits_and_take_percentiles():
    visits = [{"callbacks": 3, "bytes_up": 100, "bytes_down": 50, "recomputes": {"once": 1, "other": 9},
               "durations_ms": [1.0, 2.0, 30.0], "errors": 0, "max_up": 60, "pids": [7]},
              {"callbacks": 2, "bytes_up": 10, "bytes_down": 5, "recomputes": {}, "durations_ms": [4.0, 5.0],
               "errors": 1, "max_up": 9, "pids": [8, 7]}]
    got = figures(visits, "once")
    assert (got["executions"], got["callbacks"], got["bytes_up"], got["bytes_down"]) == (1, 5, 110, 55)
    assert (got["errors"], got["max_up"], got["pids"], got["p50_ms"], got["p95_ms"]) == (1, 60, [7, 8], 4.0, 30.0)
    assert percentile([], 50) is None


# -- requests as dash-renderer builds them -----------------------------------------------------

DEPENDENCIES = [
    {"output": "p-kept.data", "inputs": [{"id": "p-shop", "property": "value"}],
     "state": [{"id": "p-rows", "property": "data"}]},
    {"output": "..p-read-total.data...p-note.children..", "inputs": [{"id": "p-kept", "property": "data"},
                                                                    {"id": "p-currency", "property": "value"}]},
    {"output": "p-read-month.data@1a2b", "inputs": [{"id": "p-kept", "property": "data"}]},
    {"output": "p-draw.children", "inputs": [{"id": "p-kept", "property": "data"}],
     "clientside_function": {"namespace": "x", "function_name": "y"}},
    {"output": "q-other.data", "inputs": [{"id": "p-shop", "property": "value"}]},
]


def test_output_keys_are_parsed_like_dash_does():
    assert parse_props("a.b") == [("a", "b")]
    assert parse_props("..a.x...b.y..") == [("a", "x"), ("b", "y")]
    assert parse_props("a.data@1a2b") == [("a", "data")]


def test_bodies_carry_outputs_inputs_state_and_the_changed_property():
    graph = CallbackGraph(DEPENDENCIES)
    pick, readers = graph.callbacks[0], graph.callbacks[1]
    body = pick.body({("p-shop", "value"): "A", ("p-rows", "data"): 1000}, {("p-shop", "value")})
    assert body == {"output": "p-kept.data", "outputs": {"id": "p-kept", "property": "data"},
                    "inputs": [{"id": "p-shop", "property": "value", "value": "A"}],
                    "changedPropIds": ["p-shop.value"],
                    "state": [{"id": "p-rows", "property": "data", "value": 1000}]}
    multi = readers.body({}, {("p-currency", "value")})
    assert multi["outputs"] == [{"id": "p-read-total", "property": "data"}, {"id": "p-note", "property": "children"}]
    assert multi["changedPropIds"] == ["p-currency.value"] and "state" not in multi


def test_a_change_fires_the_callbacks_that_read_it_and_within_keeps_a_prefix():
    graph = CallbackGraph(DEPENDENCIES)
    assert [cb.key for cb in graph.triggered_by({("p-shop", "value")})] == ["p-kept.data", "q-other.data"]
    assert [cb.key for cb in graph.within("p-").triggered_by({("p-shop", "value")})] == ["p-kept.data"]


class DashLike(BaseHTTPRequestHandler):
    """Answers Dash's callback endpoint for DEPENDENCIES: the pick echoes the shop, readers read it."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.seen.append((body["output"], self.headers.get("X-Lab-Session")))
        values = {f"{i['id']}.{i['property']}": i.get("value") for i in body["inputs"] + body.get("state", [])}
        if body["output"] == "p-kept.data":
            response = {"p-kept": {"data": {"shop": values["p-shop.value"]}}}
        elif body["output"].startswith("..p-read-total"):
            response = {"p-read-total": {"data": {"shop": values["p-kept.data"]["shop"], "in": values["p-currency.value"]}},
                        "p-note": {"children": "ok"}}
        else:
            response = {"p-read-month": {"data": {"shop": values["p-kept.data"]["shop"]}}}
        raw = json.dumps({"multi": True, "response": response}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def dash_like():
    server = ThreadingHTTPServer(("127.0.0.1", 0), DashLike)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_renderer_follows_the_chain_and_sends_the_visit(dash_like):
    lab = Lab(Address("http", "127.0.0.1", dash_like.server_address[1]))
    page = Renderer(lab, CallbackGraph(DEPENDENCIES).within("p-"), "visit-1", {("p-currency", "value"): "EUR"})
    page.change(("p-shop", "value"), "B", "pick")
    page.change(("p-currency", "value"), "USD", "currency")
    assert [(parse_props(c.callback)[0][0], c.phase) for c in page.calls] == [
        ("p-kept", "pick"), ("p-read-total", "pick"), ("p-read-month", "pick"), ("p-read-total", "currency")]
    assert page.values[("p-read-total", "data")] == {"shop": "B", "in": "USD"}
    assert {visit for _, visit in dash_like.seen} == {"visit-1"}
    assert all(c.reply.status == 200 for c in page.calls)


# -- the config, the findings, the report ---------------------------------------------------------


@pytest.mark.parametrize("config", [Config(users=1), Config(users=True), Config(workers=()), Config(workers=(1, 1)),
                                    Config(workers=(1, 2, 3, 4, 5)), Config(workers=(0,)), Config(workers=(99,)),
                                    Config(rows=5), Config(patterns=("nope",)), Config(patterns=())])
def test_bad_configs_are_refused_with_a_message(config):
    with pytest.raises(ValueError):
        config.checked(max_workers=32)


def test_a_good_config_passes():
    assert Config(users=8, workers=[1, 4]).checked(32).workers == (1, 4)


def result_with(global_leaks: int, memoize_runs: int) -> dict:
    def row(pattern, label, workers, executions, leaks=0, right=24):
        return {"pattern": pattern, "label": label, "lesson": "/", "keeps": "", "workers": workers, "users": 8,
                "shops": 5, "rows": 1000, "executions": executions, "callbacks": 32, "bytes_up": 2000,
                "bytes_down": 1000, "max_up": 400, "p50_ms": 1.0, "p95_ms": 2.0, "wait_p50_ms": 3.0,
                "wait_p95_ms": 4.0, "errors": 0, "unanswered": 0, "seconds": 1.0, "pids": [1],
                "verdict": {"expected": 24, "right": right, "leaks": leaks, "wrong_numbers": 0, "empty": 0,
                            "failed": 0, "missing": 0, "correct": right == 24, "isolated": leaks == 0,
                            "examples": []}}

    return {"finished_at": 1e9, "seconds": 60.0, "config": {"users": 8, "rows": 1000, "workers": [1]},
            "lab": {"backend": "redis", "step_seconds": 1.0},
            "rows": [row("global", "Module-level global", 1, 8, leaks=global_leaks, right=24 - global_leaks),
                     row("once", "Server cache, compute once", 1, 5),
                     row("memoize", "Server cache, plain memoize", 1, memoize_runs)]}


def test_findings_are_built_from_the_measured_figures():
    texts = [f.text for f in findings(result_with(global_leaks=21, memoize_runs=8))]
    assert "The global variable leaked at 1 worker: 21 of 24 readings showed a shop another user picked." in texts
    assert "At 1 worker, compute-once ran the step 5 times for 5 shops; plain memoize 8 times." in texts
    quiet = findings(result_with(global_leaks=0, memoize_runs=5))
    assert not any("leaked" in f.text for f in quiet)
    assert any("happened to be right" in f.text for f in quiet)


def test_an_unexpected_failure_is_reported_as_bad():
    result = result_with(global_leaks=0, memoize_runs=5)
    result["rows"][1]["verdict"].update(correct=False, right=20)
    assert any(f.tone == BAD and "compute once was not right" in f.text for f in findings(result))


def test_csv_has_one_line_per_row_and_the_table_prints_each():
    result = result_with(global_leaks=3, memoize_runs=5)
    lines = csv_text(result).strip().split("\n")
    assert lines[0].split(",") == list(COLUMNS) and len(lines) == 4
    assert "Module-level global" in table(result) and "✗ 21/24" in table(result)
