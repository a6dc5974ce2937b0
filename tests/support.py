"""Helpers the fixtures and tests share. The servers (real gunicorn, real Redis) and the HTTP client
that speaks Dash's callback protocol live in the engine (`lab.local_servers`, `lab.http_client`),
which the benchmarks use too; what is only the tests' own is here."""

from __future__ import annotations

import json
import socket
import time

# Moved to the engine, where the benchmarks share them; still importable from here.
from lab.http_client import Exchange, callback_body, exchange, post_callback, render_page, visit_token  # noqa: F401
from lab.local_servers import LAB_ENV, LabServer, RedisServer, free_port, redis_answers, stop_process  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-quic", "--disable-sync"]


class UnixHTTP:
    """A tiny HTTP client for a server bound to a unix socket (as behind a reverse proxy)."""

    def __init__(self, path: str):
        self.path = path

    def request(self, method: str, url: str, body: dict | None = None, headers: dict | None = None):
        import http.client

        class Connection(http.client.HTTPConnection):
            def connect(inner):
                inner.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                inner.sock.settimeout(30)
                inner.sock.connect(self.path)

        conn = Connection("lab.local")
        data = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        conn.request(method, url, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        payload = response.read()
        conn.close()
        return response.status, json.loads(payload) if payload else None


def eventually(read, ready, timeout: float = 5.0, settle: float = 0.5):
    """Poll `read()` until `ready(value)`, then wait `settle` seconds more and read again, so a
    count that overshoots is caught too. The instruments write in batches within ~0.25 s."""
    deadline = time.monotonic() + timeout
    value = read()
    while not ready(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"not ready after {timeout}s: {value}")
        time.sleep(0.05)
        value = read()
    time.sleep(settle)
    return read()


def wait_for_element(page, selector: str, condition: str = "true", arg=None, timeout: float = 15_000):
    """Wait until `selector` matches and the JavaScript `condition` holds for it (`el` is the element,
    `arg` the argument). A missing element means "not yet": Dash replaces parts of the page while it
    renders (after a reload, say), and a predicate that throws on null would fail the wait at once.
    Returns the condition's value (a Playwright JSHandle). The check is `labProbes.when`
    (tests/browser/probes.js, in every page the `page` fixture opens)."""
    return page.wait_for_function("labProbes.when", arg=[selector, condition, arg], timeout=timeout)


def metrics_once(server, pattern: str, callbacks: int) -> dict:
    """/api/metrics once `pattern` has recorded at least `callbacks` callbacks (and settled)."""
    return eventually(lambda: server.get("/api/metrics").json(),
                      lambda m: m["patterns"].get(pattern, {}).get("callbacks", 0) >= callbacks)
