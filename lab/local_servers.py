"""Real servers started and stopped by PID, for the tests and the benchmarks: the app under gunicorn
(`LabServer`, as users start it) and a private `redis-server` (`RedisServer`). Nothing is faked.

Not part of the running app: it needs `requests`, which the test extras install.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import psutil
import redis
import requests

from lab.session_store import RedisSessionStore

LAB_ENV = ("REDIS_URL", "CACHE_DIR", "DATA_DIR", "WORKERS", "HOST", "PORT", "STEP_SECONDS", "MAX_SESSIONS",
           "CACHE_TIMEOUT", "INSTRUCTOR_TOKEN", "SECRET_KEY", "LAB_GUNICORN_MASTER_PID", "VISIT_IDLE_SECONDS",
           "MAX_VISITS", "INSTRUMENTS", "CELERY_WORKERS", "LAB_NOT_WEB_WORKERS")


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

    def __init__(self, host: str, port: int, proc: subprocess.Popen | None = None, base_db: int = 0,
                 binary: str | None = None):
        self.host, self.port, self.proc = host, port, proc
        self.binary = binary
        self._next_db = base_db
        self._dbs = 16

    @classmethod
    def start(cls, binary: str, port: int) -> "RedisServer":
        server = cls("127.0.0.1", port, None, binary=binary)
        server._dbs = 64
        server._launch()
        return server

    def _launch(self) -> None:
        # No persistence, like the compose file's Redis: a restart starts empty.
        self.proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--databases", "64"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not redis_answers(self.url(0)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def restart(self) -> None:
        """Start a server this object started (and stopped) again, on the same port, empty."""
        if self.binary is None:
            raise RuntimeError("only a private redis-server can be restarted")
        self.stop()
        self._launch()

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
        self._store = None  # a client of the server's session store, for `stored_sessions`

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

    def stored_sessions(self) -> int:
        """How many sessions lesson 6's store holds now, read from the store itself."""
        if self._store is None:
            self._store = (redis.Redis.from_url(self.redis_url) if self.redis_url else
                           sqlite3.connect(f"file:{self.data_dir / 'sessions.sqlite3'}?mode=ro", uri=True, timeout=30,
                                           check_same_thread=False))
        if self.redis_url:
            return self._store.zcard(RedisSessionStore.PREFIX + "lru")
        return self._store.execute("SELECT COUNT(*) FROM entries").fetchone()[0]

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self._log.close()


class Peak:
    """The highest value `read()` gives while the block runs, sampled every `every` seconds from a
    thread of its own. A read that fails (the store is not created yet) counts as nothing."""

    def __init__(self, read: Callable[[], int], every: float = 0.002):
        self.read, self.every = read, every
        self.highest = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._done.is_set():
            try:
                self.highest = max(self.highest, self.read())
            except (redis.RedisError, sqlite3.Error):
                pass
            time.sleep(self.every)

    def __enter__(self) -> "Peak":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._done.set()
        self._thread.join()
