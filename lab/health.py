"""What the navbar badge, the degraded-mode banner and `GET /api/health` report."""

from __future__ import annotations

from lab.backend import redis_link
from lab.cache import active_backend
from lab.disk import disk_link
from lab.settings import Settings
from lab.workers import server_info


def backend_status(app, settings: Settings, fresh: bool = False) -> dict:
    """The active cache backend and, when Redis is configured, whether it answers. With `fresh`
    Redis is pinged now; otherwise a failure in the last second answers without a new try (the
    once-a-second snapshots of every open page must stay cheap while Redis is down)."""
    backend = active_backend(app)
    if not settings.redis_url:
        # The filesystem backend keeps everything shared in DATA_DIR: a full or read-only disk is
        # its "Redis unreachable". A probe write at most once a second per worker (now, if `fresh`).
        disk = disk_link(settings.data_dir)
        writable = disk.writable(fresh)
        return {"backend": backend, "degraded": not writable,
                "redis": {"configured": False, "reachable": None, "url": None, "error": None},
                "data_dir": {"path": str(settings.data_dir), "writable": writable,
                             "error": None if writable else disk.last_error}}
    link = redis_link(settings.redis_url)
    reachable = link.reachable(fresh)
    return {
        "backend": backend,
        "degraded": not reachable,
        "redis": {"configured": True, "reachable": reachable, "url": link.display_url,
                  "error": None if reachable else link.last_error},
    }


def health(app, settings: Settings) -> dict:
    """What `GET /api/health` answers: Redis is pinged afresh by whichever worker answers."""
    return {**backend_status(app, settings, fresh=True), **server_info(), "step_seconds": settings.step_seconds,
            "instruments": settings.instruments}
