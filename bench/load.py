"""Load: simulated learners on several workers, on loopback, with a real visit's mix of requests.

    python -m bench.load [--users 50] [--seconds 60] [--workers 4] [--warmup 10] [--step 0.5]

Starts a private redis-server and the lab under gunicorn (both stopped at the end), then runs
`users` learners for `seconds` after `warmup` seconds of the same load. A learner does what a
browser on `/cache-signal` does: a page load (the HTML, the layout that mints its visit, the
dependencies, the Pages router's callback), then picks a sensor (the signal callback, then its
four graph callbacks, as the renderer fires them), polls the shell's snapshot once a second (204
when nothing changed) while it reads, picks another sensor a few seconds later, and reloads the
page (a new visit) every few picks.

It prints: requests and 5xx (target: none), p50/p95/p99 latency per kind of request, the
workers' RSS after warm-up and at the end (target: within 1.5×), and Redis's keys after warm-up
and at the end (target: no more than the bound the settings give, MAX_VISITS visits' keys plus
the lessons' fixed keys). Exits 1 if a target is missed.

The runner is our own, not locust: a learner is a thread with a `requests` session (about 50 on a
laptop is fine), the requests are the lab's own callback bodies (`lab.http_client`), and what we
judge beside latency (worker RSS, Redis keys, 5xx) is read from the processes and Redis directly;
`run_load` is what tests/integration/test_load.py runs, shorter. Locust would add gevent and its
monkey-patching to the test process, report what we need only through its own stats, and still
need this code around it.

Figures are for the machine it runs on, with the client on the same cores as the server:
compare runs on one machine, not across machines.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import redis
import requests

from lab.http_client import CALLBACK_PATH, SESSION_HEADER, callback_body
from lab.local_servers import LabServer, RedisServer, free_port

PROJECT_DIR = Path(__file__).resolve().parent.parent
P = "cache-signal"
SENSORS = "ABCDEF"
GRAPHS = ("scatter", "line", "histogram", "contour")
RSS_TARGET = 1.5
# Keys the meters keep per visit on Redis: its counters (`lab:m:c:S|<visit>`) and its recent
# calls (`lab:m:recent:<visit>`); see docs/ARCHITECTURE.md, "What the shared stores keep".
KEYS_PER_VISIT = 2


def select(value: str) -> dict:
    return callback_body([f"{P}-live-signal.data", f"{P}-live-status.children"],
                         {f"{P}-value.value": value, f"{P}-mode.value": "once"}, state={f"{P}-round.data": None})


def graph(kind: str, signal: dict) -> dict:
    return callback_body([f"{P}-live-{kind}.figure", f"{P}-live-{kind}-note.children"], {f"{P}-live-signal.data": signal})


def router(path: str) -> dict:
    return callback_body(["_pages_content.children", "_pages_store.data"],
                         {"_pages_location.pathname": path, "_pages_location.search": ""})


def snapshot(tick: int, digest: str | None, path: str) -> dict:
    return callback_body(["lab-snapshot.data", "lab-snapshot-digest.data"],
                         {"lab-tick.n_intervals": tick, "_pages_location.pathname": path},
                         state={"lab-snapshot-digest.data": digest})


@dataclass
class Record:
    """Every request's (kind, status, seconds), and what failed before a status came back."""

    samples: list[tuple[str, int, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counting: bool = False  # False during warm-up

    def add(self, kind: str, status: int, seconds: float) -> None:
        if self.counting:
            with self.lock:
                self.samples.append((kind, status, seconds))

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Learner(threading.Thread):
    """One simulated learner on /cache-signal, until `stop` is set."""

    def __init__(self, url: str, seed: int, record: Record, stop: threading.Event):
        super().__init__(name=f"learner-{seed}", daemon=True)
        self.url, self.record, self.stop = url, record, stop
        self.rng = random.Random(seed)
        self.http = requests.Session()
        self.visit: str | None = None
        self.digest: str | None = None
        self.tick = 0

    def request(self, kind: str, method: str, path: str, body: dict | None = None):
        headers = {"Accept-Encoding": "gzip, br"}
        if self.visit:
            headers[SESSION_HEADER] = self.visit
        t0 = time.perf_counter()
        try:
            response = self.http.request(method, self.url + path, json=body, headers=headers, timeout=60)
        except requests.RequestException as exc:
            self.record.error(f"{kind}: {type(exc).__name__}: {exc}")
            return None
        self.record.add(kind, response.status_code, time.perf_counter() - t0)
        return response

    def page_load(self) -> None:
        self.visit, self.digest, self.tick = None, None, 0
        self.request("page", "GET", f"/{P}")
        layout = self.request("layout", "GET", "/_dash-layout")
        if layout is not None and layout.status_code == 200:
            self.visit = layout.json()["props"]["data-lab-session"]
        self.request("dependencies", "GET", "/_dash-dependencies")
        self.request("callback", "POST", CALLBACK_PATH, router(f"/{P}"))

    def pick(self) -> None:
        reply = self.request("callback", "POST", CALLBACK_PATH, select(self.rng.choice(SENSORS)))
        if reply is None or reply.status_code != 200:
            return
        signal = reply.json()["response"][f"{P}-live-signal"]["data"]
        for kind in GRAPHS:
            self.request("callback", "POST", CALLBACK_PATH, graph(kind, signal))

    def read_for(self, seconds: float) -> None:
        """The shell's poll, once a second, while the learner reads."""
        end = time.monotonic() + seconds
        while not self.stop.is_set() and time.monotonic() < end:
            self.tick += 1
            reply = self.request("snapshot", "POST", CALLBACK_PATH, snapshot(self.tick, self.digest, f"/{P}"))
            if reply is not None and reply.status_code == 200:
                self.digest = reply.json()["response"]["lab-snapshot-digest"]["data"]
            self.stop.wait(1.0)

    def run(self) -> None:
        self.stop.wait(self.rng.uniform(0, 1.0))  # learners do not all arrive in the same millisecond
        while not self.stop.is_set():
            self.page_load()
            for _pick in range(self.rng.randint(2, 4)):
                if self.stop.is_set():
                    break
                self.pick()
                self.read_for(self.rng.uniform(2.0, 5.0))


def workers_rss(server: LabServer) -> dict[int, int]:
    """Resident memory of each live gunicorn worker, in bytes."""
    rss = {}
    for pid in server.health()["workers"]:
        try:
            rss[pid] = psutil.Process(pid).memory_info().rss
        except psutil.Error:
            pass
    return rss


def redis_keys(url: str) -> dict[str, int]:
    """The lab's keys in Redis by kind: `visits` (per-visit meters), `cache`, `other`."""
    client = redis.Redis.from_url(url)
    kinds: dict[str, int] = defaultdict(int)
    for key in client.scan_iter("*", count=1000):
        key = key.decode()
        if key.startswith(("lab:m:c:S|", "lab:m:recent:")):
            kinds["visits"] += 1
        elif key.startswith("lab:cache:"):
            kinds["cache"] += 1
        else:
            kinds["other"] += 1
    kinds["total"] = sum(kinds.values())
    return dict(kinds)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run_load(server: LabServer, redis_url: str, users: int, seconds: float, warmup: float, max_visits: int) -> dict:
    """Drive `server` with `users` learners: `warmup` seconds, then `seconds` measured."""
    record, stop = Record(), threading.Event()
    learners = [Learner(server.url, seed, record, stop) for seed in range(users)]
    for learner in learners:
        learner.start()
    try:
        time.sleep(warmup)
        rss_warm, keys_warm = workers_rss(server), redis_keys(redis_url)
        record.counting = True
        t0 = time.monotonic()
        time.sleep(seconds)
        record.counting = False
        elapsed = time.monotonic() - t0
        rss_end, keys_end = workers_rss(server), redis_keys(redis_url)
    finally:
        stop.set()
        for learner in learners:
            learner.join(90)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, _status, secs in record.samples:
        by_kind[kind].append(secs * 1000)
    all_ms = [ms for values in by_kind.values() for ms in values]
    statuses: dict[int, int] = defaultdict(int)
    for _kind, status, _secs in record.samples:
        statuses[status] += 1
    # Visits' keys are bounded by MAX_VISITS; the cache holds one entry per sensor; the rest (indexes,
    # the lessons' bookkeeping) is what the warm-up left, plus a compute-once lock per sensor in flight.
    key_bound = max_visits * KEYS_PER_VISIT + len(SENSORS) + keys_warm.get("other", 0) + len(SENSORS)
    return {
        "users": users, "seconds": round(elapsed, 1), "requests": len(record.samples),
        "per_second": round(len(record.samples) / elapsed, 1),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": sum(n for status, n in statuses.items() if status >= 500),
        "failed": len(record.errors), "first_failures": record.errors[:5],
        "latency_ms": {kind: {"n": len(v), "p50": percentile(v, 50), "p95": percentile(v, 95), "p99": percentile(v, 99)}
                       for kind, v in sorted({**by_kind, "all": all_ms}.items())},
        "rss_warm": rss_warm, "rss_end": rss_end,
        "rss_ratio": sum(rss_end.values()) / max(1, sum(rss_warm.values())),
        "workers_same": set(rss_warm) == set(rss_end),
        "redis_keys_warm": keys_warm, "redis_keys_end": keys_end, "redis_key_bound": key_bound,
    }


def verdicts(result: dict) -> list[tuple[str, bool, str]]:
    return [
        ("no 5xx, no failed request", result["server_errors"] == 0 and result["failed"] == 0,
         f"{result['server_errors']} × 5xx, {result['failed']} failed of {result['requests']}"),
        (f"worker RSS at the end within {RSS_TARGET}× of warm-up", result["rss_ratio"] <= RSS_TARGET,
         f"{result['rss_ratio']:.2f}×"),
        ("Redis keys within the bound", result["redis_keys_end"]["total"] <= result["redis_key_bound"],
         f"{result['redis_keys_end']['total']} ≤ {result['redis_key_bound']}"),
    ]


def start_lab(directory: Path, redis_url: str, workers: int, step: float, max_visits: int) -> LabServer:
    server = LabServer(PROJECT_DIR, directory / "data", port=free_port(), host="127.0.0.1", workers=workers,
                       redis_url=redis_url, env={"STEP_SECONDS": str(step), "MAX_VISITS": str(max_visits),
                                                 "CACHE_TIMEOUT": "20"}, argv=None)
    server.start()
    server.wait_ready()
    return server


def report(result: dict, workers: int) -> bool:
    mb = 1024 * 1024
    print(f"\nLoad: {result['users']} learners on /cache-signal for {result['seconds']} s, {workers} gunicorn workers,"
          f" Redis, loopback")
    print(f"  requests {result['requests']} ({result['per_second']}/s), statuses {result['statuses']}")
    print(f"  {'kind':<14}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for kind, figures in result["latency_ms"].items():
        print(f"  {kind:<14}{figures['n']:>7}{figures['p50']:>10.1f}{figures['p95']:>10.1f}{figures['p99']:>10.1f}")
    warm, end = result["rss_warm"], result["rss_end"]
    print(f"  worker RSS after warm-up: {', '.join(f'{v / mb:.0f}' for v in warm.values())} MB "
          f"(total {sum(warm.values()) / mb:.0f} MB); at the end: {', '.join(f'{v / mb:.0f}' for v in end.values())} MB "
          f"(total {sum(end.values()) / mb:.0f} MB){'' if result['workers_same'] else ' — a worker was replaced'}")
    print(f"  Redis keys after warm-up: {result['redis_keys_warm']}; at the end: {result['redis_keys_end']}")
    ok = True
    for name, passed, detail in verdicts(result):
        ok &= passed
        print(f"  {'PASS' if passed else 'FAIL'}  {name}: {detail}")
    for failure in result["first_failures"]:
        print(f"    {failure}")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--step", type=float, default=0.5, help="STEP_SECONDS of the lab under load")
    parser.add_argument("--max-visits", type=int, default=100, help="MAX_VISITS: the meters' bound on visits")
    args = parser.parse_args(argv)
    binary = shutil.which("redis-server")
    if binary is None:
        print("redis-server is not installed: the load benchmark needs it", file=sys.stderr)
        return 2
    redis_server = RedisServer.start(binary, free_port())
    server = None
    try:
        with tempfile.TemporaryDirectory(prefix="lab-load-") as tmp:
            server = start_lab(Path(tmp), redis_server.url(0), args.workers, args.step, args.max_visits)
            print(f"running {args.users} learners: {args.warmup:g} s warm-up, then {args.seconds:g} s …",
                  file=sys.stderr, flush=True)
            result = run_load(server, redis_server.url(0), args.users, args.seconds, args.warmup, args.max_visits)
            server.stop()
            server = None
    finally:
        if server is not None:
            server.stop()
        redis_server.stop()
    return 0 if report(result, args.workers) else 1


if __name__ == "__main__":
    sys.exit(main())
