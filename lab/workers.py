"""Which process answers, who its gunicorn master is, and how many workers it has.

gunicorn's `when_ready` hook (see `lab.gunicorn_config`) exports the master's PID before the
first worker forks, so every worker inherits it. A worker trusts it only when it really is its
parent: under `python app.py --dev` or pytest the parent is a shell or pytest, and sending it
SIGTTIN would stop it instead of adding a worker.
"""

from __future__ import annotations

import os
import signal
import time

import psutil

MASTER_PID_ENV = "LAB_GUNICORN_MASTER_PID"
# `python app.py` starts a Celery worker as a child of the process that becomes gunicorn's master:
# its PID is exported here (workers inherit it) so that it is never listed as a web worker.
NOT_WORKERS_ENV = "LAB_NOT_WEB_WORKERS"
SIGNAL_SPACING_SECONDS = 0.05


def gunicorn_master_pid() -> int | None:
    """The PID of this worker's gunicorn master, or None when not running under gunicorn."""
    raw = os.environ.get(MASTER_PID_ENV)
    if raw and raw.isdigit() and int(raw) == os.getppid():
        return int(raw)
    return None


def live_workers(master_pid: int | None) -> list[int]:
    """The PIDs of the master's live worker processes, sorted."""
    if master_pid is None:
        return [os.getpid()]
    try:
        children = psutil.Process(master_pid).children()
    except psutil.Error:
        return []
    others = {int(p) for p in os.environ.get(NOT_WORKERS_ENV, "").split(",") if p.isdigit()}
    pids = []
    for child in children:
        if child.pid in others:
            continue
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                pids.append(child.pid)
        except psutil.Error:
            continue
    return sorted(pids)


def server_info() -> dict:
    """What serves this request: the answering PID, the master and every live worker."""
    master = gunicorn_master_pid()
    return {
        "server": "gunicorn" if master else "single-process",
        "pid": os.getpid(),
        "master_pid": master,
        "workers": live_workers(master),
    }


class NotUnderGunicorn(RuntimeError):
    pass


def request_worker_count(target: int, maximum: int) -> dict:
    """Ask the gunicorn master for `target` workers: one SIGTTIN adds one, one SIGTTOU removes one.

    Returns at once with what was asked; the master forks or retires workers within about a
    second, and callers poll `server_info()` until the count is live. Signals are spaced
    because a signal of a kind already pending is merged into it by the kernel.
    """
    master = gunicorn_master_pid()
    if master is None:
        raise NotUnderGunicorn("this process is not a gunicorn worker")
    if not 1 <= target <= maximum:
        raise ValueError(f"the number of workers must be from 1 to {maximum}")
    current = len(live_workers(master))
    delta = target - current
    sig = signal.SIGTTIN if delta > 0 else signal.SIGTTOU
    for _ in range(abs(delta)):
        os.kill(master, sig)
        time.sleep(SIGNAL_SPACING_SECONDS)
    return {"previous": current, "target": target, "signals": abs(delta)}
