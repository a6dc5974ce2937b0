"""Comparison runs started from the lab itself: one at a time, off the web workers, on the board.

`start` (the Run button, `POST /api/compare`) checks the request, takes the board's claim
`compare-run` (so a second run is refused, whichever worker or host is asked), and starts the
runner as a process of its own (`python -m lab.compare --publish <id>`): the request returns at
once, and no gunicorn worker is busy with the run, so a round at 1 worker measures that worker.

The runner process reports on the board as it goes: `compare-progress` (what runs now, how far),
renewing its claim every few seconds; when it ends it writes `compare-latest` (the result every
worker, every browser and the overview show) and releases the claim. A runner that dies stops
renewing: its claim frees itself, and `status` reports the run as lost.

Why a process and not a Dash background callback: the sweep changes the number of gunicorn
workers, and gunicorn retires its oldest workers first, which would take a background job's
parent worker (DiskcacheManager's job is a child of the web worker that started it) with it; the
progress must survive a page reload and be seen by every browser, which a background callback's
progress (tied to the page that started it) is not; and the same runner must run from a terminal
with no Dash app around it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time

from lab.board import Board, board_for
from lab.i18n import _
from lab.compare.offload import modes_expected
from lab.compare.runner import Config
from lab.settings import MAX_WORKERS, PROJECT_DIR, Settings

RUN_CLAIM = "compare-run"
PROGRESS = "compare-progress"
LATEST = "compare-latest"
CANCEL = "compare-cancel"
CLAIM_SECONDS = 20.0  # a runner that stops renewing for this long is gone
HEARTBEAT_SECONDS = 3.0
ACTIVE = ("starting", "running", "cancelling")


class RunRefused(Exception):
    """The run cannot start; the message says why, fit to show the instructor. `busy`: another
    run holds the claim (as opposed to a bad request or a lab that cannot run one)."""

    def __init__(self, message: str, busy: bool = False):
        super().__init__(message)
        self.busy = busy


def start(settings: Settings, config: Config) -> dict:
    """Check, claim, and start a run in its own process; returns its progress document."""
    try:
        config = config.checked(MAX_WORKERS)
    except ValueError as exc:
        raise RunRefused(str(exc)) from None
    if not settings.instruments:
        raise RunRefused(_("The comparison reads the instruments, and they are off (INSTRUMENTS=off)."))
    board = board_for(settings)
    if not board.available():
        raise RunRefused(_("Redis is unreachable (degraded mode): the comparison cannot record its figures now."))
    run_id = secrets.token_hex(6)
    if not board.claim(RUN_CLAIM, run_id, CLAIM_SECONDS):
        raise RunRefused(_busy_message(board), busy=True)
    progress = {"id": run_id, "status": "starting", "started_at": time.time(), "updated_at": time.time(),
                "config": config.as_dict(), "done": 0, "total": total_rounds(config, bool(settings.redis_url)),
                "workers": None, "pattern": None, "phase": "starting the runner", "error": None}
    board.put(PROGRESS, progress)
    board.delete(CANCEL)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "lab.compare", "--publish", run_id, "--users", str(config.users),
             "--workers", ",".join(map(str, config.workers)), "--rows", str(config.rows),
             "--patterns", ",".join(config.patterns), "--offload" if config.offload else "--no-offload"],
            cwd=PROJECT_DIR, env=os.environ.copy(), stdin=subprocess.DEVNULL)
    except OSError as exc:
        board.put(PROGRESS, {**progress, "status": "failed", "error": f"the runner did not start: {exc}"})
        board.release(RUN_CLAIM, run_id)
        raise RunRefused(_("The runner did not start: %(error)s", error=exc)) from None
    threading.Thread(target=process.wait, name="lab-compare-reaper", daemon=True).start()
    return progress


def total_rounds(config: Config, redis: bool) -> int:
    """The rounds a run will play: every pattern, then each way of lesson 8's crowd, per worker count
    (the runner reports the exact total once it knows whether a Celery worker answers)."""
    return len(config.workers) * (len(config.patterns) + (modes_expected(redis) if config.offload else 0))


def _busy_message(board: Board) -> str:
    progress = board.get(PROGRESS) or {}
    since = time.strftime("%H:%M:%S", time.localtime(progress.get("started_at", time.time())))
    doing = progress.get("phase") or "running"
    return _("A comparison is already running (started at %(since)s; now: %(doing)s). Wait for it to finish, or "
             "cancel it, then run again.", since=since, doing=doing)


def cancel(settings: Settings) -> bool:
    """Ask the running comparison to stop after its current step; False when none runs."""
    board = board_for(settings)
    run_id = board.holder(RUN_CLAIM)
    if run_id is None:
        return False
    board.put(CANCEL, {"id": run_id}, ttl=600)
    progress = board.get(PROGRESS)
    if progress and progress.get("id") == run_id and progress.get("status") in ACTIVE:
        board.put(PROGRESS, {**progress, "status": "cancelling", "phase": "cancelling after the current step",
                             "updated_at": time.time()})
    return True


def status(settings: Settings) -> dict:
    """The progress document as every page shows it: a run whose runner is gone says so."""
    board = board_for(settings)
    progress = board.get(PROGRESS)
    if progress and progress.get("status") in ACTIVE and board.holder(RUN_CLAIM) != progress.get("id"):
        if time.time() - progress.get("updated_at", 0) > CLAIM_SECONDS:
            progress = {**progress, "status": "lost",
                        "error": "The runner stopped without finishing (its process ended). Run again."}
    return progress or {}


def latest(settings: Settings) -> dict | None:
    return board_for(settings).get(LATEST)


class Publisher:
    """The runner's side: progress to the board, a heartbeat on the claim, the result at the end."""

    def __init__(self, board: Board, run_id: str):
        self.board, self.run_id = board, run_id
        self._stop = threading.Event()
        self._progress = board.get(PROGRESS) or {"id": run_id, "started_at": time.time()}
        if self._progress.get("id") != run_id:
            raise RunRefused(f"run {run_id} is not the one the board knows")

    def __enter__(self) -> Publisher:
        threading.Thread(target=self._beat, name="lab-compare-heartbeat", daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self.board.release(RUN_CLAIM, self.run_id)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            if not self.board.renew(RUN_CLAIM, self.run_id, CLAIM_SECONDS):
                return

    def progress(self, **fields) -> None:
        status = "cancelling" if self._progress.get("status") == "cancelling" else "running"
        self._progress = {**self._progress, "status": status, **fields, "updated_at": time.time()}
        self.board.put(PROGRESS, self._progress)

    def cancelled(self) -> bool:
        return (self.board.get(CANCEL) or {}).get("id") == self.run_id

    def finish(self, result: dict | None, status: str, error: str | None = None) -> None:
        if result is not None:
            self.board.put(LATEST, {**result, "id": self.run_id, "status": status})
        self._progress = {**self._progress, "status": status, "error": error, "updated_at": time.time(),
                          "finished_at": time.time(), "phase": {"done": "finished"}.get(status, status)}
        self.board.put(PROGRESS, self._progress)
        self.board.delete(CANCEL)


def verdicts(result: dict | None) -> dict | None:
    """What the overview needs of a result: when, on what, and each row's verdict."""
    if not result:
        return None
    return {
        "id": result.get("id"), "finished_at": result["finished_at"], "seconds": result["seconds"],
        "config": result["config"], "lab": result["lab"],
        "rows": [{"pattern": r["pattern"], "label": r["label"], "lesson": r["lesson"], "workers": r["workers"],
                  "correct": r["verdict"]["correct"], "isolated": r["verdict"]["isolated"],
                  "right": r["verdict"]["right"], "expected": r["verdict"]["expected"],
                  "leaks": r["verdict"]["leaks"], "executions": r["executions"]} for r in result["rows"]],
    }


def snapshot_state(settings: Settings) -> dict:
    """The comparison as the pages' once-a-second snapshot carries it (small; resent only on change)."""
    progress = status(settings)
    keep = ("id", "status", "started_at", "finished_at", "done", "total", "workers", "pattern", "phase", "error", "config")
    shown = {k: progress[k] for k in keep if k in progress} or None
    if shown and shown.get("status") in ACTIVE:
        shown["now"] = round(time.time())  # the elapsed time ticks by the server's clock, not the browser's
    return {"progress": shown, "latest": verdicts(latest(settings))}
