"""A lab started for one command and stopped after it: gunicorn (and, if asked, a private Redis) on
free loopback ports with a data directory of their own (`lab.local_servers`, which the tests use
too). Everything started here is stopped by its PID."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from lab.local_servers import LabServer, RedisServer, free_port
from lab.settings import PROJECT_DIR


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """A redis-server of our own on a free port (no persistence); yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server), or pass --redis-url")
    server = RedisServer.start(binary, free_port())
    try:
        yield server.url(0)
    finally:
        server.stop()


@contextlib.contextmanager
def local_lab(workers: int, step_seconds: float, redis_url: str | None = None,
              secret: str | None = None) -> Iterator[str]:
    """`gunicorn app:server` on 127.0.0.1 with `workers` workers (and SECRET_KEY=`secret` when given);
    yields its base URL once every worker is live."""
    env = {"STEP_SECONDS": f"{step_seconds:g}", **({"SECRET_KEY": secret} if secret else {})}
    with tempfile.TemporaryDirectory(prefix="lab-compare-") as data_dir:
        server = LabServer(PROJECT_DIR, Path(data_dir), free_port(), "127.0.0.1", workers, redis_url, env, None)
        server.start()
        try:
            server.wait_ready()
            yield server.url
        finally:
            server.stop()
