"""Simulated users: N real HTTP requests fired at once at this app's own callback endpoint, from
threads of the process that asks, so they go through gunicorn like any browser's and spread
over its workers.

Two pitfalls, handled by the caller and here:

- the worker that fires the crowd is a sync worker: it is busy waiting for the replies, so the
  crowd is served by the *other* workers. With one worker it would wait for itself forever, so
  callers refuse to fire with fewer than two; every request also has a timeout.
- the app may listen on 0.0.0.0, on an IPv6 wildcard or on a unix socket behind a proxy:
  `own_address` turns what gunicorn listens on into an address this process can connect to.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from lab.http_client import CALLBACK_PATH, callback_body  # noqa: F401  (callback_body: the crowd's bodies)


@dataclass(frozen=True)
class Address:
    scheme: str  # http, https or unix
    host: str = "127.0.0.1"
    port: int = 80
    path: str = ""  # the socket's path, for unix


def own_address(listening: list[str]) -> Address:
    """Where to reach this server, from the addresses it listens on (as `lab.guard` lists them:
    `http://0.0.0.0:8050`, `http://[::]:8050`, `unix:/run/lab.sock`, `127.0.0.1:8050`)."""
    if not listening:
        raise ValueError("the server listens nowhere")
    tcp = [a for a in listening if not a.startswith("unix:")]
    if not tcp:
        return Address("unix", path=listening[0].removeprefix("unix:"))
    address = tcp[0]
    scheme = "https" if address.startswith("https://") else "http"
    rest = address.split("://", 1)[-1]
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    wildcard = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}
    return Address(scheme, wildcard.get(host, host), int(port))


@dataclass(frozen=True)
class Reply:
    user: int
    status: int  # 0 when the request failed before an answer
    started: float  # seconds after the crowd was fired
    ended: float
    body: dict | None
    error: str | None = None

    @property
    def seconds(self) -> float:
        return self.ended - self.started


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def connect_to(address: Address, timeout: float) -> http.client.HTTPConnection:
    """An HTTP connection (not yet opened) to `address`: TCP, TLS to our own name, or a unix socket."""
    if address.scheme == "unix":
        return _UnixConnection(address.path, timeout)
    if address.scheme == "https":
        # Our own loopback address: the certificate names the public host, not 127.0.0.1.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(address.host, address.port, timeout=timeout, context=context)
    return http.client.HTTPConnection(address.host, address.port, timeout=timeout)


def fire_at_once(address: Address, requests: list[tuple[dict, dict]], timeout: float = 60.0) -> tuple[float, list[Reply]]:
    """POST every (body, headers) at the same moment, each from its own thread and connection.
    Returns the wall time from firing to the last reply, and the replies in order."""
    barrier = threading.Barrier(len(requests) + 1)
    replies: list[Reply | None] = [None] * len(requests)
    fired = [0.0]

    def user(i: int, body: dict, headers: dict) -> None:
        data = json.dumps(body).encode()
        conn = connect_to(address, timeout)
        barrier.wait()
        started = time.perf_counter() - fired[0]
        try:
            conn.request("POST", CALLBACK_PATH, body=data,
                         headers={"Content-Type": "application/json", **headers})
            response = conn.getresponse()
            raw = response.read()
            ended = time.perf_counter() - fired[0]
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = None
            replies[i] = Reply(i, response.status, started, ended, parsed)
        except (OSError, http.client.HTTPException) as exc:
            replies[i] = Reply(i, 0, started, time.perf_counter() - fired[0], None, f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()

    threads = [threading.Thread(target=user, args=(i, body, headers), daemon=True)
               for i, (body, headers) in enumerate(requests)]
    for thread in threads:
        thread.start()
    fired[0] = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join(timeout + 5)
    wall = time.perf_counter() - fired[0]
    return wall, [r if r is not None else Reply(i, 0, 0.0, wall, None, "no reply in time")
                  for i, r in enumerate(replies)]
