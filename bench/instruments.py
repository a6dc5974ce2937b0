"""What the instruments cost: the same cache-hit callback with the instruments on and off.

    python -m bench.instruments [--backend filesystem|redis|both] [--rounds 10] [--workers 2]

Starts two identical gunicorn servers per backend, one with INSTRUMENTS=off, warms the cache,
then measures both side by side in one run, interleaving rounds (and alternating which goes
first) so that noise on a shared machine hits both alike:

- latency: sequential requests, one at a time; the median of each server;
- throughput: several client threads for a few seconds per round; requests per second. The
  ratio is the median of each round's on/off ratio: the two servers of a round run back to back,
  so a round compares them under the same machine load, and one noisy round cannot decide.

Targets (issue "instruments"): at most 1 ms added to the median, throughput ratio at least 0.95.
Prints a table and exits 1 if a target is missed. Requests go over raw sockets with prebuilt
bytes, so the client's own overhead stays small next to the server's.
"""

from __future__ import annotations

import json
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

from bench.common import arguments, on_backends
from lab.http_client import callback_body, visit_token
from lab.local_servers import LabServer, free_port

PROJECT_DIR = Path(__file__).resolve().parent.parent
ADDED_MS_TARGET = 1.0
RATIO_TARGET = 0.95


def raw_request(port: int, body: bytes, session: str) -> bytes:
    """The bytes a browser sends: its visit's signed session id included, as assets/lab.js adds it."""
    head = (f"POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nAccept-Encoding: gzip\r\nContent-Length: {len(body)}\r\n"
            f"X-Lab-Session: {session}\r\nConnection: close\r\n\r\n").encode()
    return head + body


def send(port: int, request: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        reply = bytearray()
        while chunk := sock.recv(65536):
            reply += chunk
    if not reply.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"unexpected reply: {bytes(reply[:200])!r}")


def latency_ms(port: int, request: bytes, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        t0 = time.perf_counter()
        send(port, request)
        samples.append((time.perf_counter() - t0) * 1000.0)
    return samples


def throughput(port: int, request: bytes, threads: int, seconds: float) -> float:
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def client(i):
        while time.perf_counter() < stop:
            send(port, request)
            done[i] += 1

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done) / (time.perf_counter() - t0)


def start_pair(backend: str, redis_url: str | None, workers: int, directory: Path) -> dict[str, LabServer]:
    servers = {}
    for mode in ("off", "on"):
        server = LabServer(PROJECT_DIR, directory / f"{backend}-{mode}", port=free_port(), host="127.0.0.1",
                           workers=workers, redis_url=redis_url,
                           env={"STEP_SECONDS": "0", "INSTRUMENTS": mode}, argv=None)
        server.start()
        servers[mode] = server
    for server in servers.values():
        server.wait_ready()
    return servers


def measure(backend: str, redis_url: str | None, args, directory: Path) -> dict:
    servers = start_pair(backend, redis_url, args.workers, directory)
    try:
        run = json.dumps(callback_body(["overview-result.children"], {"overview-run.n_clicks": 1},
                                       state={"overview-size.value": 1_000})).encode()
        fetch = json.dumps(callback_body(["overview-store.data", "overview-fetched.children"],
                                         {"overview-fetch.n_clicks": 1}, state={"overview-size.value": 1_000})).encode()
        requests = {mode: raw_request(s.port, fetch, visit_token(s.url)) for mode, s in servers.items()}
        for mode, server in servers.items():
            send(server.port, raw_request(server.port, run, visit_token(server.url)))  # fill the cache
            latency_ms(server.port, requests[mode], 50)  # warm every worker
        assert servers["off"].get("/api/metrics").json()["instruments"] is False
        lat = {"off": [], "on": []}
        thr = {"off": [], "on": []}
        for r in range(args.rounds):
            order = ("off", "on") if r % 2 == 0 else ("on", "off")
            for mode in order:
                lat[mode] += latency_ms(servers[mode].port, requests[mode], args.requests)
            for mode in order:
                thr[mode].append(throughput(servers[mode].port, requests[mode], args.threads, args.seconds))
        recorded = servers["on"].get("/api/metrics").json()["patterns"]["overview"]["callbacks"]
    finally:
        for server in servers.values():
            server.stop()
    off_ms, on_ms = statistics.median(lat["off"]), statistics.median(lat["on"])
    off_rps, on_rps = statistics.median(thr["off"]), statistics.median(thr["on"])
    ratios = [on / off for on, off in zip(thr["on"], thr["off"])]  # paired: same round, same load
    return {"backend": backend, "off_ms": off_ms, "on_ms": on_ms, "added_ms": on_ms - off_ms,
            "off_rps": off_rps, "on_rps": on_rps, "ratio": statistics.median(ratios),
            "ratio_range": (min(ratios), max(ratios)), "recorded": recorded, "samples": len(lat["on"])}


def main(argv=None) -> int:
    parser = arguments(__doc__, workers=2)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per server per round")
    parser.add_argument("--threads", type=int, default=4, help="client threads for throughput")
    parser.add_argument("--seconds", type=float, default=2.0, help="throughput seconds per server per round")
    args = parser.parse_args(argv)

    results = on_backends(args.backend, lambda backend, redis_url, tmp: measure(backend, redis_url, args, tmp))

    print(f"\nInstruments on vs off: the overview's cache-hit callback (1 KB), gunicorn {args.workers} workers "
          f"per server, {args.rounds} interleaved rounds")
    print(f"{'backend':<11} {'median off':>10} {'median on':>10} {'added':>9} {'req/s off':>10} {'req/s on':>9} "
          f"{'ratio':>6}  verdict")
    failed = False
    for r in results:
        ok = r["added_ms"] <= ADDED_MS_TARGET and r["ratio"] >= RATIO_TARGET
        failed |= not ok
        print(f"{r['backend']:<11} {r['off_ms']:>7.3f} ms {r['on_ms']:>7.3f} ms {r['added_ms']:>+6.3f} ms "
              f"{r['off_rps']:>10.0f} {r['on_rps']:>9.0f} {r['ratio']:>6.3f}  {'PASS' if ok else 'FAIL'}"
              f"   (rounds {r['ratio_range'][0]:.3f}–{r['ratio_range'][1]:.3f}; {r['samples']} latency samples; "
              f"{r['recorded']} callbacks recorded by the instruments)")
    print(f"targets: added median ≤ {ADDED_MS_TARGET:.2f} ms and throughput ratio ≥ {RATIO_TARGET:.2f} "
          f"(the median of the rounds' paired on/off ratios)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
