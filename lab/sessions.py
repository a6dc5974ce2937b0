"""Session ids: unguessable, minted by the server and signed with its secret key.

A token is `<id>.<signature>`: 16 random bytes, then an HMAC-SHA256 of the id truncated to 16
bytes, both URL-safe base64. The server never trusts an id it did not sign, so a client cannot
pick an id (no session fixation) nor read another session by guessing one.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets

_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}")


class InvalidSession(ValueError):
    """The session token is missing, malformed, or not signed by this server."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signature(secret: str, session_id: str, purpose: str) -> str:
    mac = hmac.new(secret.encode(), f"{purpose}\x00{session_id}".encode(), hashlib.sha256).digest()
    return _b64(mac[:16])


def mint(secret: str, purpose: str = "visit") -> str:
    """A new signed token. `purpose` separates kinds of session, so one cannot stand for another."""
    session_id = _b64(secrets.token_bytes(16))
    return f"{session_id}.{_signature(secret, session_id, purpose)}"


def verify(secret: str, token: object, purpose: str = "visit") -> str:
    """The session id inside `token`, or InvalidSession with a message fit to show the user."""
    if not isinstance(token, str) or not token:
        raise InvalidSession("no session id was sent")
    if not _TOKEN.fullmatch(token):
        raise InvalidSession("the session id is malformed")
    session_id, signature = token.split(".")
    if not hmac.compare_digest(signature, _signature(secret, session_id, purpose)):
        raise InvalidSession("the session id was not issued by this server (forged or tampered)")
    return session_id


def verify_or_none(secret: str, token: object, purpose: str = "visit") -> str | None:
    """`verify`, or None for a bad token."""
    return _verified(secret, token, purpose) if isinstance(token, str) and len(token) < 100 else None


@functools.lru_cache(maxsize=8192)
def _verified(secret: str, token: str, purpose: str) -> str | None:
    # Remembered per process: a visit sends its token with every callback, and checking the
    # signature once per worker is enough (the answer for a given token never changes).
    try:
        return verify(secret, token, purpose)
    except InvalidSession:
        return None
