"""gunicorn settings and hooks, shared by `python app.py` and by a plain `gunicorn app:server`.

`gunicorn.conf.py` at the project root re-exports these names, and gunicorn reads that file by
default when started from the project directory (as the Dockerfile and compose file do);
`lab.launcher` passes the same values through gunicorn's embedding API. Options given on the
gunicorn command line (`--workers 8`, `--bind …`) win over these defaults.
"""

from __future__ import annotations

import os
import socket
import sys

import psutil

from lab.board import prepare_board
from lab.disk import disk_link
from lab.guard import LISTENERS_ENV
from lab import worker_copies
from lab.metrics import prepare_stores, retire_this_worker
from lab.settings import SettingsError, get_settings
from lab.workers import MASTER_PID_ENV

try:
    _settings = get_settings()
except SettingsError as exc:  # one line, then stop: no traceback, no worker boot loop
    sys.stderr.write(f"Configuration error: {exc}\n")
    raise SystemExit(2) from None

bind = [f"{_settings.host}:{_settings.port}"]
workers = _settings.workers
worker_class = "sync"
# Import the app once in the master and fork workers from it: workers start in milliseconds
# (which makes changing the worker count from a page snappy) and share memory pages. Every
# per-process resource (Redis pools, SQLite connections) is opened lazily after the fork.
preload_app = True
# Long enough for the largest lesson (a 1,000,000-row session DataFrame serialized as JSON).
timeout = 120
graceful_timeout = 10
# gunicorn 27's control socket has one default path per user, shared by every instance; the
# lab changes its worker count with signals instead, so the socket stays off.
control_socket_disable = True
errorlog = "-"
loglevel = "info"
accesslog = None


def on_starting(server) -> None:
    """In the master, before any worker forks: a fresh start. Create what the workers will open
    after the fork, fold the figures of an earlier run's workers away, forget their copies.
    A full data directory does not stop the start: the lab serves in degraded mode and says so."""
    disk = disk_link(get_settings().data_dir)
    for prepare in (prepare_stores, prepare_board, worker_copies.prepare):
        disk.call(prepare, get_settings())


def worker_exit(server, worker) -> None:
    """A worker leaving gracefully (fewer workers, shutdown) writes its last figures, then folds
    them into the retired workers' total."""
    retire_this_worker(get_settings())


def when_ready(server) -> None:
    # Workers inherit the environment at fork: this is how they find their master, and which
    # addresses the lab is served on (the instructor guard needs it).
    os.environ[MASTER_PID_ENV] = str(server.pid)
    os.environ[LISTENERS_ENV] = ",".join(str(listener) for listener in server.LISTENERS)
    settings = get_settings()
    urls = ", ".join(_listener_urls(server))
    backend = f"redis ({settings.redis_url_display})" if settings.redis_url else f"filesystem ({settings.cache_dir})"
    server.log.info("Live lab ready on %s  backend: %s  workers: %d", urls, backend, server.num_workers)
    print(
        f"\n  Sharing data between Dash callbacks: a live lab\n"
        f"  Open      {urls}\n"
        f"  Backend   {backend}\n"
        f"  Workers   {server.num_workers} (gunicorn master PID {server.pid})\n"
        + "".join(f"  Learners  {url}\n" for url in _room_urls(server)),
        flush=True,
    )


def _room_urls(server) -> list[str]:
    """When the lab listens on every interface: the addresses learners in the room can type."""
    ports = [str(listener).rsplit(":", 1)[-1] for listener in server.LISTENERS
             if str(listener).startswith(("http://0.0.0.0:", "0.0.0.0:"))]
    if not ports:
        return []
    addresses = [a.address for nic in psutil.net_if_addrs().values() for a in nic
                 if a.family == socket.AF_INET and not a.address.startswith("127.")]
    return [f"http://{address}:{port}" for port in ports for address in addresses]


def _listener_urls(server) -> list[str]:
    urls = []
    for listener in server.LISTENERS:
        address = str(listener)
        if address.startswith("http://0.0.0.0:"):
            address = address.replace("0.0.0.0", "127.0.0.1", 1)
        urls.append(address if address.startswith(("http", "unix")) else f"http://{address}")
    return urls or [_settings.url]
