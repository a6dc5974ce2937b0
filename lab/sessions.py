"""Session ids: unguessable, minted by the server and signed with its secret key.

A token is `<id>.<time>.<signature>`: 16 random bytes as URL-safe base64 (22 characters), when
it was issued (itsdangerous' `TimestampSigner`: seconds, base64), then the HMAC-SHA256 signature
of both (43 characters). The `purpose` is the signer's salt, so a token minted for one kind of
session cannot stand for another. The server never trusts an id it did not sign, so a client
cannot pick an id (no session fixation) nor read another session by guessing one; and a token
older than `MAX_AGE_SECONDS` is refused, so a leaked one does not work forever.

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

import time

from itsdangerous import TimestampSigner
from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int

from lab.i18n import _, decimal
from lab.schema import Refused

_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{4,8}\.[A-Za-z0-9_-]{43}")
MAX_AGE_SECONDS = 24 * 3600  # a workshop day: a page left open overnight asks for a reload
CLOCK_SKEW_SECONDS = 60  # several servers' clocks may differ a little


class InvalidSession(Refused):
    """The session token is missing, malformed, or not signed by this server."""


@functools.lru_cache(maxsize=64)
def _signer(secret: str, purpose: str) -> TimestampSigner:
    return TimestampSigner(secret, salt=purpose, sep=".", key_derivation="hmac", digest_method=hashlib.sha256)


def mint(secret: str, purpose: str = "visit") -> str:
    """A new signed token. `purpose` separates kinds of session, so one cannot stand for another."""
    session_id = base64_encode(secrets.token_bytes(16)).decode()
    return _signer(secret, purpose).sign(session_id).decode()


def verify(secret: str, token: object, purpose: str = "visit", max_age: float = MAX_AGE_SECONDS) -> str:
    """The session id inside `token`, or InvalidSession with a message fit to show the user."""
    session_id, issued = _signed(secret, token, purpose)
    age = time.time() - issued
    if age > max_age:
        raise InvalidSession(_("the session id has expired (issued %(hours)s hours ago): reload the page",
                               hours=decimal(age / 3600, 1)))
    if age < -CLOCK_SKEW_SECONDS:
        raise InvalidSession(_("the session id was issued in the future: check the server clocks"))
    return session_id


def _signed(secret: str, token: object, purpose: str) -> tuple[str, int]:
    if not isinstance(token, str) or not token:
        raise InvalidSession(_("no session id was sent"))
    if not _TOKEN.fullmatch(token):
        raise InvalidSession(_("the session id is malformed"))
    session_id, issued, signature = token.split(".")
    signed_text = f"{session_id}.{issued}"
    if not hmac.compare_digest(signature.encode(), _signer(secret, purpose).get_signature(signed_text)):
        raise InvalidSession(_("the session id was not issued by this server (forged or tampered)"))
    return session_id, bytes_to_int(base64_decode(issued))


def verify_or_none(secret: str, token: object, purpose: str = "visit", max_age: float = MAX_AGE_SECONDS) -> str | None:
    """`verify`, or None for a bad or expired token."""
    if not isinstance(token, str) or len(token) >= 100:
        return None
    signed = _verified(secret, token, purpose)
    if signed is None or not -CLOCK_SKEW_SECONDS <= time.time() - signed[1] <= max_age:
        return None
    return signed[0]


@functools.lru_cache(maxsize=8192)
def _verified(secret: str, token: str, purpose: str) -> tuple[str, int] | None:
    # Remembered per process: a visit sends its token with every callback, and checking the
    # signature once per worker is enough (its age is checked on every call).
    try:
        return _signed(secret, token, purpose)
    except InvalidSession:
        return None
