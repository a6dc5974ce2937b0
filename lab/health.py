"""What the navbar badge, the degraded-mode banner and `GET /api/health` report."""

from __future__ import annotations

from lab.backend import redis_link
from lab.cache import active_backend
from lab.settings import Settings
from lab.workers import server_info


def backend_status(app, settings: Settings) -> dict:
    """The active cache backend and, when Redis is configured, whether it answers right now."""
    backend = active_backend(app)
    if not settings.redis_url:
        return {"backend": backend, "degraded": False,
                "redis": {"configured": False, "reachable": None, "url": None, "error": None}}
    link = redis_link(settings.redis_url)
    reachable = link.reachable()
    return {
        "backend": backend,
        "degraded": not reachable,
        "redis": {"configured": True, "reachable": reachable, "url": link.display_url,
                  "error": None if reachable else link.last_error},
    }


def health(app, settings: Settings) -> dict:
    return {**backend_status(app, settings), **server_info()}
