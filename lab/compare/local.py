"""A lab started for one command and stopped after it: gunicorn (and, if asked, a private Redis) on
free loopback ports, with their own data directory. Processes are stopped by the PID started."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import redis

from lab.settings import PROJECT_DIR

LAB_VARIABLES = ("REDIS_URL", "CACHE_DIR", "DATA_DIR", "WORKERS", "HOST", "PORT", "STEP_SECONDS", "MAX_SESSIONS",
                 "CACHE_TIMEOUT", "INSTRUCTOR_TOKEN", "SECRET_KEY", "INSTRUMENTS", "LAB_GUNICORN_MASTER_PID",
                 "LAB_LISTENERS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM the process started here, then SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """A redis-server of our own on a free port (no persistence); yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server), or pass --redis-url")
    port = free_port()
    process = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
                break
            except redis.RedisError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        yield url
    finally:
        stop(process, grace=5)


@contextlib.contextmanager
def local_lab(workers: int, step_seconds: float, redis_url: str | None = None, log: Path | None = None,
              extra_env: dict | None = None) -> Iterator[str]:
    """`gunicorn app:server` on 127.0.0.1 with `workers` workers; yields its base URL once every
    worker is live, stops it (by its PID) afterwards."""
    import requests

    with tempfile.TemporaryDirectory(prefix="lab-compare-") as data_dir:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in LAB_VARIABLES}
        env.update(DATA_DIR=data_dir, PORT=str(port), HOST="127.0.0.1", WORKERS=str(workers),
                   STEP_SECONDS=f"{step_seconds:g}", PYTHONUNBUFFERED="1", **(extra_env or {}))
        if redis_url:
            env["REDIS_URL"] = redis_url
        out = open(log or Path(data_dir) / "server.log", "ab")
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:server", "--bind", f"127.0.0.1:{port}",
                                    "--workers", str(workers)], cwd=PROJECT_DIR, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the lab exited with status {process.returncode} (log: {out.name})")
                try:
                    if len(requests.get(url + "/api/health", timeout=5).json().get("workers", [])) == workers:
                        break
                except (requests.RequestException, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the lab did not start in 60 s (log: {out.name})")
                time.sleep(0.1)
            yield url
        finally:
            stop(process)
            out.close()
