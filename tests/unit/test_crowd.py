"""Simulated users: the app's own address from what it listens on (wildcards, IPv6, unix
sockets), and N requests that really are in flight at the same time, over TCP and a unix socket."""

import json
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lab.crowd import Address, callback_body, fire_at_once, own_address


@pytest.mark.parametrize("listening, expected", [
    (["http://0.0.0.0:8050"], Address("http", "127.0.0.1", 8050)),
    (["http://127.0.0.1:8151"], Address("http", "127.0.0.1", 8151)),
    (["http://[::]:8050"], Address("http", "::1", 8050)),
    (["https://10.0.0.5:443"], Address("https", "10.0.0.5", 443)),
    (["unix:/run/lab.sock", "http://0.0.0.0:9000"], Address("http", "127.0.0.1", 9000)),
    (["unix:/run/lab.sock"], Address("unix", path="/run/lab.sock")),
    (["127.0.0.1:8050"], Address("http", "127.0.0.1", 8050)),  # the dev server, from the settings
])
def test_own_address(listening, expected):
    assert own_address(listening) == expected


def test_callback_body_matches_dash_renderer():
    body = callback_body(["a.data", "b.children"], {"x.value": 1, "y.value": "m"}, {"s.data": None})
    assert body["output"] == "..a.data...b.children.."
    assert body["outputs"] == [{"id": "a", "property": "data"}, {"id": "b", "property": "children"}]
    assert body["inputs"][1] == {"id": "y", "property": "value", "value": "m"}
    assert body["state"] == [{"id": "s", "property": "data", "value": None}]
    assert callback_body(["a.data"], {"x.value": 1})["output"] == "a.data"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.active += 1
            self.server.peak = max(self.server.peak, self.server.active)
        time.sleep(0.3)
        with self.server.lock:
            self.server.active -= 1
        reply = json.dumps({"echo": body["output"], "user": self.headers.get("X-User")}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("unix", 0)


def serve(server):
    server.lock, server.active, server.peak = threading.Lock(), 0, 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_requests_are_in_flight_together(transport, tmp_path):
    if transport == "tcp":
        server = serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        address = own_address([f"http://0.0.0.0:{server.server_address[1]}"])
    else:
        path = str(tmp_path / "lab.sock")
        server = serve(UnixServer(path, Handler))
        address = own_address([f"unix:{path}"])
    try:
        body = callback_body(["a.data"], {"x.value": 1})
        wall, replies = fire_at_once(address, [(body, {"X-User": str(i)}) for i in range(6)], timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert [r.status for r in replies] == [200] * 6
    assert [r.body["user"] for r in replies] == [str(i) for i in range(6)]
    assert server.peak == 6, "all six were in flight at once"
    # Concurrency is proven by the peak above; times are only checked for sense (no thresholds that
    # a loaded machine could break).
    assert all(0 <= r.started <= wall for r in replies)


def test_a_refused_connection_is_a_reply_not_an_exception():
    from lab.local_servers import free_port

    _, replies = fire_at_once(Address("http", "127.0.0.1", free_port()), [({"output": "a.b"}, {})], timeout=2)
    assert replies[0].status == 0 and "ConnectionRefused" in replies[0].error
