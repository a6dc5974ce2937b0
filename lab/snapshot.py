"""What a page's instruments show, gathered in one light request per second per open page."""

from __future__ import annotations

import hashlib
import json

from lab.compare import runs as compare_runs
from lab.guard import guard_info
from lab.health import backend_status
from lab.metrics import store_for
from lab.settings import Settings
from lab.workers import server_info


def build(app, settings: Settings, session: str | None, pattern: str | None, with_summary: bool = False,
          with_comparison: bool = False) -> dict:
    """Server state (backend, workers, guard) and this visit's meters on `pattern`; with
    `with_summary`, everyone's figures for every pattern too (the overview's comparison table);
    with `with_comparison`, the comparison's progress and its latest verdicts.

    Which worker answers is left out: it changes on every request and would make every snapshot
    look new to `digest`.
    """
    info = server_info()
    info.pop("pid")
    health = {**backend_status(app, settings), **info, "guard": guard_info(settings)}
    snapshot = {"health": health, "pattern": pattern, "instruments": settings.instruments}
    if settings.instruments and not health["degraded"]:
        store = store_for(settings)
        snapshot["meters"] = store.session_view(session, pattern)
        if with_summary:
            snapshot["summary"] = store.summary()["patterns"]
    if with_comparison:
        snapshot["comparison"] = compare_runs.snapshot_state(settings)
    return snapshot


def digest(snapshot: dict) -> str:
    """A short fingerprint: the browser sends it back, and an unchanged snapshot is not resent."""
    return hashlib.blake2b(json.dumps(snapshot, sort_keys=True).encode(), digest_size=8).hexdigest()
