"""Helpers the fixtures and tests share: servers started and stopped by PID, and an HTTP client
that speaks to Dash's callback endpoint the way the browser's dash-renderer does."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import redis
import requests

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-quic", "--disable-sync"]
LAB_ENV = ("REDIS_URL", "CACHE_DIR", "DATA_DIR", "WORKERS", "HOST", "PORT", "STEP_SECONDS", "MAX_SESSIONS",
           "CACHE_TIMEOUT", "INSTRUCTOR_TOKEN", "SECRET_KEY", "LAB_GUNICORN_MASTER_PID")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def stop_process(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM the process we started, then SIGKILL it and its own children if it lingers."""
    if proc.poll() is not None:
        return
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        children = []
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            pass


class RedisServer:
    """A real Redis: private (started here, on a free port) or external (named by a URL)."""

    def __init__(self, host: str, port: int, proc: subprocess.Popen | None = None, base_db: int = 0):
        self.host, self.port, self.proc = host, port, proc
        self._next_db = base_db
        self._dbs = 16

    @classmethod
    def start(cls, binary: str, port: int) -> "RedisServer":
        proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
             "--databases", "64"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        server = cls("127.0.0.1", port, proc)
        server._dbs = 64
        deadline = time.monotonic() + 10
        while not redis_answers(server.url(0)):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        return server

    @classmethod
    def external(cls, url: str) -> "RedisServer":
        client = redis.Redis.from_url(url)
        kwargs = client.connection_pool.connection_kwargs
        return cls(kwargs.get("host", "127.0.0.1"), kwargs.get("port", 6379), base_db=kwargs.get("db", 0))

    def url(self, db: int) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def fresh_db_url(self) -> str:
        """A database index not handed out before in this session, with no `lab:` keys in it."""
        db = self._next_db % self._dbs
        self._next_db += 1
        url = self.url(db)
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter("lab:*", count=1000))
        if keys:
            client.delete(*keys)
        return url

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, grace=5)


class LabServer:
    """The app under real gunicorn (or any command line given as `argv`), as a subprocess."""

    def __init__(self, project_dir: Path, data_dir: Path, port: int, host: str, workers: int,
                 redis_url: str | None, env: dict, argv):
        self.project_dir, self.data_dir = project_dir, data_dir
        self.port, self.host, self.workers = port, host, workers
        self.redis_url = redis_url
        self.extra_env = env
        self.argv = argv
        self.proc: subprocess.Popen | None = None
        self.log_path = data_dir / "server.log"

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host == "0.0.0.0" else self.host
        return f"http://{host}:{self.port}"

    def command(self) -> list[str]:
        """gunicorn with `workers` on `host:port`, or `argv` (a list, or a function of the port)."""
        if callable(self.argv):
            return self.argv(self.port)
        if self.argv is not None:
            return self.argv
        return [sys.executable, "-m", "gunicorn", "app:server",
                "--bind", f"{self.host}:{self.port}", "--workers", str(self.workers)]

    def environment(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in LAB_ENV}
        env.update(DATA_DIR=str(self.data_dir), PYTHONUNBUFFERED="1", PORT=str(self.port), HOST=self.host,
                   WORKERS=str(self.workers))
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), cwd=self.project_dir, env=self.environment(),
                                     stdout=self._log, stderr=subprocess.STDOUT)

    def describe(self) -> str:
        return f"{' '.join(self.command())} (pid {self.proc.pid if self.proc else '-'})"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_ready(self, timeout: float = 60.0, workers: int | None = None) -> dict:
        """Poll /api/health until it answers and reports the expected number of live workers."""
        expected = self.workers if workers is None else workers
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_text()[-4000:]}")
            try:
                last = requests.get(self.url + "/api/health", timeout=5).json()
                if len(last.get("workers", [])) == expected:
                    return last
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.describe()} not ready with {expected} workers in {timeout}s; last health: "
                           f"{last}\n{self.log_text()[-4000:]}")

    def health(self) -> dict:
        return requests.get(self.url + "/api/health", timeout=10).json()

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return requests.get(self.url + path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return requests.post(self.url + path, **kwargs)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self._log.close()


# -- Dash's callback protocol ---------------------------------------------------------------------


def _prop(spec: str) -> dict:
    component, prop = spec.rsplit(".", 1)
    return {"id": component, "property": prop}


def callback_body(outputs: list[str], inputs: dict[str, object], state: dict[str, object] | None = None,
                  changed: list[str] | None = None) -> dict:
    """The JSON the dash-renderer posts for a callback: outputs as `id.prop`, inputs/state as
    {`id.prop`: value}. A single output is sent the way the renderer sends it."""
    if len(outputs) == 1:
        output, outs = outputs[0], _prop(outputs[0])
    else:
        output = ".." + "...".join(outputs) + ".."
        outs = [_prop(o) for o in outputs]
    body = {
        "output": output,
        "outputs": outs,
        "inputs": [{**_prop(k), "value": v} for k, v in inputs.items()],
        "changedPropIds": changed if changed is not None else list(inputs)[:1],
    }
    if state:
        body["state"] = [{**_prop(k), "value": v} for k, v in state.items()]
    return body


def post_callback(base_url: str, body: dict, headers: dict | None = None, timeout: float = 60) -> requests.Response:
    data = json.dumps(body, separators=(",", ":")).encode()
    return requests.post(base_url + "/_dash-update-component", data=data, timeout=timeout,
                         headers={"Content-Type": "application/json", **(headers or {})})


def render_page(base_url: str, path: str) -> dict:
    """Ask the Pages router callback for `path`, as a click on a link does; returns the title and layout."""
    body = callback_body(["_pages_content.children", "_pages_store.data"],
                         {"_pages_location.pathname": path, "_pages_location.search": ""})
    response = post_callback(base_url, body)
    response.raise_for_status()
    result = response.json()["response"]
    return {"title": result["_pages_store"]["data"]["title"], "layout": result["_pages_content"]["children"]}


class Exchange:
    """One callback request as the wire saw it: bytes up, bytes down (compressed, if it was)."""

    def __init__(self, status: int, sent: int, received: int, body: bytes, headers, decoded: bytes):
        self.status, self.sent, self.received = status, sent, received
        self.wire_body, self.headers, self.content = body, headers, decoded

    def json(self):
        return json.loads(self.content)


def exchange(base_url: str, body: dict | bytes, headers: dict | None = None, timeout: float = 120) -> Exchange:
    """POST a callback like a browser (compact JSON, accepting compression) and keep the response
    body's wire size."""
    data = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
    response = requests.post(
        base_url + "/_dash-update-component", data=data, timeout=timeout, stream=True,
        headers={"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate, br, zstd", **(headers or {})},
    )
    wire = response.raw.read(decode_content=False)
    decoded = response.content if not wire else _decode(wire, response.headers.get("Content-Encoding"))
    return Exchange(response.status_code, len(data), len(wire), wire, response.headers, decoded)


def _decode(wire: bytes, encoding: str | None) -> bytes:
    if not encoding or encoding == "identity":
        return wire
    if encoding == "gzip":
        import gzip
        return gzip.decompress(wire)
    if encoding == "deflate":
        import zlib
        return zlib.decompress(wire)
    if encoding == "br":
        import brotli
        return brotli.decompress(wire)
    if encoding == "zstd":
        from flask_compress.compat import compression  # the app's own zstd binding
        return compression.zstd.decompress(wire)
    raise ValueError(f"unknown Content-Encoding {encoding}")


def visit_token(base_url: str) -> str:
    """A fresh visit's signed session id, as the shell layout hands it to the browser."""
    layout = requests.get(base_url + "/_dash-layout", timeout=30).json()
    return layout["props"]["data-lab-session"]


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
    Returns the condition's value (a Playwright JSHandle)."""
    return page.wait_for_function(
        "([sel, arg]) => { const el = document.querySelector(sel); return el !== null && (" + condition + "); }",
        arg=[selector, arg], timeout=timeout)


def metrics_once(server, pattern: str, callbacks: int) -> dict:
    """/api/metrics once `pattern` has recorded at least `callbacks` callbacks (and settled)."""
    return eventually(lambda: server.get("/api/metrics").json(),
                      lambda m: m["patterns"].get(pattern, {}).get("callbacks", 0) >= callbacks)
