"""Who may use the mutating controls (worker count, cache clearing, metrics reset, comparisons).

When INSTRUCTOR_TOKEN is set, every guarded action needs it, whatever the lab listens on: a lab
bound to 127.0.0.1 is often shared through a reverse proxy or a tunnel, and from the lab's side
those requests look local. With no token set, the controls are open only on a private run (every
listening address is a loopback TCP address: 127.0.0.1, ::1, localhost) and off otherwise
(0.0.0.0, a LAN address, a unix socket behind a proxy).

gunicorn's `when_ready` hook exports the addresses it listens on; the dev server's address comes
from the settings.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from lab.i18n import _
from lab.settings import Settings

LISTENERS_ENV = "LAB_LISTENERS"
TOKEN_HEADER = "X-Instructor-Token"


def listening_addresses(settings: Settings) -> list[str]:
    raw = os.environ.get(LISTENERS_ENV, "")
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return [a for a in raw.split(",") if a] or [f"{host}:{settings.port}"]


def is_loopback(address: str) -> bool:
    """`127.0.0.1:8050`, `http://[::1]:8050` and `localhost:8050` are; `0.0.0.0:…` and `unix:…` are not."""
    if address.startswith("unix:"):
        return False
    address = address.removeprefix("http://").removeprefix("https://")
    host = address.rsplit(":", 1)[0] if address.count(":") == 1 or address.startswith("[") else address
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def private_run(settings: Settings) -> bool:
    return all(is_loopback(a) for a in listening_addresses(settings))


def guard_info(settings: Settings) -> dict:
    """What the pages need to know to offer the controls (never the token itself)."""
    required = bool(settings.instructor_token) or not private_run(settings)
    return {"open": not required, "token_required": required, "token_configured": bool(settings.instructor_token)}


def authorize(settings: Settings, token: str | None) -> str | None:
    """None when the action is allowed, otherwise the reason it is refused (for a 403)."""
    if settings.instructor_token:
        if isinstance(token, str) and token and hmac.compare_digest(token.encode(), settings.instructor_token.encode()):
            return None
        return _("Instructor controls need the instructor token (INSTRUCTOR_TOKEN is set on this lab).")
    if private_run(settings):
        return None
    return _("This lab is served to other machines and no INSTRUCTOR_TOKEN was set when it started, "
             "so instructor controls are off.")
