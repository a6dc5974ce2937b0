"""The server-side patterns' figures, side by side in one run: lesson 5 (cache + signal) with
plain memoize against compute-once, lesson 6 (per-session cache), and JSON against Arrow IPC.

    python -m bench.patterns [--backend filesystem|redis|both] [--step 3] [--workers 4]
                             [--sessions 10000] [--rows 1000000]

For each backend it starts gunicorn with `--workers` workers and STEP_SECONDS=`--step`, then:

- 8 users at once select the same uncached value (real concurrent requests, each with its own
  visit), with plain memoize and with compute-once: executions (from /api/metrics), whether all
  8 got the same data, and the wall time;
- a page load of lesson 5: the select callback, then its four graph callbacks at once; cold, then
  a reload (cache hit);
- a page load of lesson 6: its two outputs at once: executions, and whether both show the same data;
- `--sessions` new sessions in a loop on a second server (STEP_SECONDS=0, MAX_SESSIONS=100): the
  number stored, sampled all along, against the bound; failed requests.

Then, in this process, a `--rows`-row DataFrame (a datetime, two floats, a category) round-trips
through JSON and through Arrow IPC (median of 3).

Targets (issue 5): exactly 1 execution with compute-once, the same data for all 8, wall ≤ step +
0.5 s; one execution per session page load, both outputs identical; four graphs ≤ step + 0.5 s
cold and ≤ 0.3 s cached; Arrow ≥ 50× faster than JSON and exact; stored sessions never above
the bound, no request failed. Prints a table and exits 1 if a target is missed.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.common import arguments, on_backends
from lab.crowd import Address, fire_at_once
from lab.datasets import session_frame
from lab.http_client import callback_body, executions, find_component, render_page, visit_token
from lab.local_servers import LabServer, Peak, free_port
from lab.serialization import ARROW, JSON, round_trip

PROJECT_DIR = Path(__file__).resolve().parent.parent
CS, SC = "cache-signal", "session-cache"
KINDS = ("scatter", "line", "histogram", "contour")
USERS = 8


def address(server: LabServer) -> Address:
    return Address("http", "127.0.0.1", server.port)


def select(value: str, mode: str) -> dict:
    return callback_body([f"{CS}-live-signal.data", f"{CS}-live-status.children"],
                         {f"{CS}-value.value": value, f"{CS}-mode.value": mode}, {f"{CS}-round.data": None})


def signal_of(reply) -> dict:
    return reply.body["response"][f"{CS}-live-signal"]["data"]


def crowd(server: LabServer, value: str, mode: str) -> dict:
    """USERS different visits select `value` at the same moment."""
    before = executions(server.url, CS, "compute")
    requests_ = [(select(value, mode), {"X-Lab-Session": visit_token(server.url)}) for _ in range(USERS)]
    wall, replies = fire_at_once(address(server), requests_)
    ok = [r for r in replies if r.status == 200]
    return {"executions": executions(server.url, CS, "compute") - before, "wall": wall, "failed": USERS - len(ok),
            "same": len({signal_of(r)["fingerprint"] for r in ok}) == 1}


def four_graphs(server: LabServer, value: str) -> float:
    """A page load of lesson 5 as the browser makes it: select, then the four graphs at once."""
    token = visit_token(server.url)
    t0 = time.perf_counter()
    _, (reply,) = fire_at_once(address(server), [(select(value, "once"), {"X-Lab-Session": token})])
    signal = signal_of(reply)
    bodies = [(callback_body([f"{CS}-live-{k}.figure", f"{CS}-live-{k}-note.children"],
                             {f"{CS}-live-signal.data": signal}), {"X-Lab-Session": token}) for k in KINDS]
    _, replies = fire_at_once(address(server), bodies)
    assert all(r.status == 200 for r in replies), [r.status for r in replies]
    return time.perf_counter() - t0


def shown(tree, css_class: str):
    found = find_component(tree, lambda props: css_class in (props.get("className") or "").split())
    return found and found["props"]["children"]


def session_load(server: LabServer) -> dict:
    """A page load of lesson 6: its two output callbacks at once."""
    layout = render_page(server.url, f"/{SC}")["layout"]
    token = find_component(layout, lambda props: props.get("id") == f"{SC}-token")["props"]["data"]
    before = executions(server.url, SC, "session-data")
    bodies = [(callback_body([f"{SC}-out-{n}.children"], {f"{SC}-get.n_clicks": 0, f"{SC}-token.data": token,
                                                            f"{SC}-rows.value": 1_000, f"{SC}-codec.value": "arrow"}),
               {"X-Lab-Session": visit_token(server.url)}) for n in (1, 2)]
    _, replies = fire_at_once(address(server), bodies)
    outputs = [r.body["response"][f"{SC}-out-{n}"]["children"] for n, r in zip((1, 2), replies, strict=True)]
    seen = [(shown(o, f"{SC}-checksum"), shown(o, f"{SC}-created")) for o in outputs]
    return {"executions": executions(server.url, SC, "session-data") - before, "same": seen[0] == seen[1] and seen[0][0]}


def many_sessions(server: LabServer, count: int) -> dict:
    """`count` new sessions (lesson 6's "start another session"), 8 at a time; the number stored
    is sampled all along from the store itself."""
    body = json.dumps(callback_body([f"{SC}-other.children", f"{SC}-other-token.data"], {f"{SC}-other-start.n_clicks": 1},
                                    {f"{SC}-rows.value": 1_000, f"{SC}-codec.value": "arrow"})).encode()

    def one(_):
        try:
            return requests.post(server.url + "/_dash-update-component", data=body, timeout=60,
                                 headers={"Content-Type": "application/json"}).status_code
        except requests.RequestException:
            return 0

    t0 = time.perf_counter()
    with Peak(server.stored_sessions, every=0.005) as peak:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(one, range(count)))
    seconds = time.perf_counter() - t0
    return {"count": count, "failed": sum(s != 200 for s in statuses), "max_stored": peak.highest,
            "stored": server.stored_sessions(), "seconds": seconds}


def serialization(rows: int) -> dict:
    frame = session_frame(rows, 7, dt.datetime(2026, 6, 1, 12, 0, 0, 123456))
    round_trip(frame.head(1000), ARROW)  # warm pyarrow's pandas bridge once
    runs = {"json": [], "arrow": []}
    for _ in range(3):
        for codec in (JSON, ARROW):
            runs[codec.name].append(round_trip(frame, codec)[0])
    return {name: {"ms": statistics.median(m.total_ms for m in ms), "bytes": ms[0].nbytes, "exact": ms[0].exact,
                   "differences": ms[0].differences} for name, ms in runs.items()}


def start(directory: Path, name: str, workers: int, redis_url: str | None, env: dict) -> LabServer:
    server = LabServer(PROJECT_DIR, directory / name, port=free_port(), host="127.0.0.1", workers=workers,
                       redis_url=redis_url, env=env, argv=None)
    server.start()
    server.wait_ready()
    return server


def measure(backend: str, redis_url: str | None, args, directory: Path) -> dict:
    server = start(directory, f"{backend}-patterns", args.workers, redis_url, {"STEP_SECONDS": str(args.step)})
    try:
        rounds = {"memoize": [], "once": []}
        for memoize_value, once_value in (("A", "B"), ("C", "D")):  # interleaved, every value uncached
            rounds["memoize"].append(crowd(server, memoize_value, "memoize"))
            rounds["once"].append(crowd(server, once_value, "once"))
        cold = four_graphs(server, "E")
        cached = min(four_graphs(server, "E") for _ in range(3))
        loads = [session_load(server) for _ in range(3)]
    finally:
        server.stop()
    result = {"backend": backend, "crowd": rounds, "cold": cold, "cached": cached, "loads": loads}
    if args.sessions:
        server = start(directory, f"{backend}-sessions", args.workers, redis_url, {"STEP_SECONDS": "0"})
        try:
            result["sessions"] = many_sessions(server, args.sessions)
            result["bound"] = 100  # MAX_SESSIONS' default, which this server runs with
        finally:
            server.stop()
    return result


def main(argv=None) -> int:
    parser = arguments(__doc__, workers=4)
    parser.add_argument("--step", type=float, default=3.0, help="STEP_SECONDS for the lessons' expensive step")
    parser.add_argument("--sessions", type=int, default=10_000, help="new sessions in the bound test (0: skip)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the serialized DataFrame")
    args = parser.parse_args(argv)

    results = on_backends(args.backend, lambda backend, redis_url, tmp: measure(backend, redis_url, args, tmp))
    print(f"measuring JSON and Arrow IPC on {args.rows:,} rows …", file=sys.stderr, flush=True)
    codecs = serialization(args.rows)

    rows: list[tuple[str, str, str, str, bool]] = []
    step = args.step
    for r in results:
        b, memoize, once = r["backend"], r["crowd"]["memoize"], r["crowd"]["once"]
        rows.append((b, f"{USERS} users, one uncached value: executions",
                     f"memoize {'/'.join(str(x['executions']) for x in memoize)}",
                     f"compute-once {'/'.join(str(x['executions']) for x in once)}",
                     all(x["executions"] == 1 for x in once)))
        rows.append((b, f"{USERS} users: all got the same data, none failed",
                     f"memoize {'yes' if all(x['same'] and not x['failed'] for x in memoize) else 'no'}",
                     f"compute-once {'yes' if all(x['same'] and not x['failed'] for x in once) else 'no'}",
                     all(x["same"] and not x["failed"] for x in once)))
        rows.append((b, f"{USERS} users: wall time ≤ step + 0.5 s = {step + 0.5:g} s",
                     f"memoize {max(x['wall'] for x in memoize):.2f} s",
                     f"compute-once {max(x['wall'] for x in once):.2f} s",
                     max(x["wall"] for x in once) <= step + 0.5))
        rows.append((b, f"four graphs, first load ≤ {step + 0.5:g} s", "", f"{r['cold']:.2f} s", r["cold"] <= step + 0.5))
        rows.append((b, "four graphs, cached reload ≤ 0.30 s", "", f"{r['cached']:.3f} s", r["cached"] <= 0.3))
        rows.append((b, "session page load: 1 execution, outputs identical", "",
                     f"{'/'.join(str(x['executions']) for x in r['loads'])} · "
                     f"{'identical' if all(x['same'] for x in r['loads']) else 'DIFFER'}",
                     all(x["executions"] == 1 and x["same"] for x in r["loads"])))
        if "sessions" in r:
            s = r["sessions"]
            rows.append((b, f"{s['count']:,} new sessions: stored ≤ {r['bound']}, none failed",
                         f"{s['count'] / s['seconds']:,.0f} sessions/s",
                         f"max stored {s['max_stored']} · {s['failed']} failed",
                         s["max_stored"] <= r["bound"] and s["failed"] == 0))
    js, ar = codecs["json"], codecs["arrow"]
    ratio = js["ms"] / ar["ms"]
    rows.append(("in process", f"{args.rows:,} rows round trip: Arrow ≥ 50× faster, exact",
                 f"JSON {js['ms']:,.0f} ms, {js['bytes'] / 1e6:.1f} MB, {'exact' if js['exact'] else 'lossy'}",
                 f"Arrow {ar['ms']:,.1f} ms, {ar['bytes'] / 1e6:.1f} MB, {'exact' if ar['exact'] else 'LOSSY'} · {ratio:,.0f}×",
                 ratio >= 50 and ar["exact"] and not js["exact"]))

    print(f"\nServer-side patterns: gunicorn {args.workers} workers, STEP_SECONDS={step:g}, measured side by side in one run")
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    header = ("backend", "target", "baseline", "measured")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + "  verdict")
    failed = False
    for row in rows:
        failed |= not row[4]
        print("  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + f"  {'PASS' if row[4] else 'FAIL'}")
    if not js["exact"]:
        print("JSON changed: " + "; ".join(js["differences"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
