"""Session ids: unguessable, minted by the server and signed with its secret key.

A token is `<id>.<signature>`: 16 random bytes as URL-safe base64 (22 characters), then
itsdangerous' HMAC-SHA256 signature of the id (43 characters). The `purpose` is the signer's salt,
so a token minted for one kind of session cannot stand for another. The server never trusts an id
it did not sign, so a client cannot pick an id (no session fixation) nor read another session by
guessing one.

The signature is compared as the exact text this server would write. itsdangerous' own `unsign`
decodes the base64 first, and base64 lets the last character of a 43-character signature change
in its two unused bits: a token altered that way would still unsign, and a learner who flips that
character in lesson 6 must see it refused.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets

from itsdangerous import Signer
from itsdangerous.encoding import base64_encode

from lab.schema import Refused

_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")


class InvalidSession(Refused):
    """The session token is missing, malformed, or not signed by this server."""


@functools.lru_cache(maxsize=64)
def _signer(secret: str, purpose: str) -> Signer:
    return Signer(secret, salt=purpose, sep=".", key_derivation="hmac", digest_method=hashlib.sha256)


def mint(secret: str, purpose: str = "visit") -> str:
    """A new signed token. `purpose` separates kinds of session, so one cannot stand for another."""
    session_id = base64_encode(secrets.token_bytes(16)).decode()
    return _signer(secret, purpose).sign(session_id).decode()


def verify(secret: str, token: object, purpose: str = "visit") -> str:
    """The session id inside `token`, or InvalidSession with a message fit to show the user."""
    if not isinstance(token, str) or not token:
        raise InvalidSession("no session id was sent")
    if not _TOKEN.fullmatch(token):
        raise InvalidSession("the session id is malformed")
    session_id, signature = token.split(".")
    if not hmac.compare_digest(signature.encode(), _signer(secret, purpose).get_signature(session_id)):
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
