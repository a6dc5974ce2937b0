"""Signed session ids: a token minted here verifies, anything else is refused with InvalidSession
(and a message that says whether the id was missing, malformed or forged), never another error."""

import re

import pytest

from lab.sessions import InvalidSession, mint, verify, verify_or_none

SECRET = "s" * 32
OTHER_SECRET = "o" * 32

MISSING = "no session id was sent"
MALFORMED = "the session id is malformed"
FORGED = "not issued by this server"


def test_round_trip():
    token = mint(SECRET)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{43}", token)  # id, time, signature
    session_id = verify(SECRET, token)
    assert session_id == token.split(".")[0]
    assert verify_or_none(SECRET, token) == session_id
    assert verify(SECRET, mint(SECRET, purpose="admin"), purpose="admin")


def test_two_mints_differ():
    tokens = {mint(SECRET) for _ in range(50)}
    assert len(tokens) == 50
    assert len({t.split(".")[0] for t in tokens}) == 50


def test_token_from_another_secret_is_refused():
    token = mint(OTHER_SECRET)
    with pytest.raises(InvalidSession, match=FORGED):
        verify(SECRET, token)
    assert verify_or_none(SECRET, token) is None


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]


@pytest.mark.parametrize("part, index", [(0, 0), (0, 21), (1, 0), (1, 5), (2, 0), (2, 21), (2, 42)])
def test_tampered_token_is_refused(part, index):
    """Changing one character of the id, of the time or of the signature breaks the token."""
    pieces = mint(SECRET).split(".")
    pieces[part] = _flip(pieces[part], index)
    tampered = ".".join(pieces)
    with pytest.raises(InvalidSession, match=FORGED):
        verify(SECRET, tampered)
    assert verify_or_none(SECRET, tampered) is None


def test_a_signature_in_another_base64_spelling_is_refused():
    """The last character of a signature carries two unused bits: base64 decoders accept it with
    those bits changed (itsdangerous' `unsign` does), this server does not."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for _ in range(20):
        session_id, issued, signature = mint(SECRET).split(".")
        respelled = signature[:-1] + alphabet[alphabet.index(signature[-1]) ^ 1]
        with pytest.raises(InvalidSession, match=FORGED):
            verify(SECRET, f"{session_id}.{issued}.{respelled}")


def test_trailing_newline_never_verifies():
    """A genuine token with a newline appended is refused (whatever the message says)."""
    assert verify_or_none(SECRET, mint(SECRET) + "\n") is None


def test_id_with_another_ids_signature_is_refused():
    first, second = mint(SECRET).split("."), mint(SECRET).split(".")
    with pytest.raises(InvalidSession, match=FORGED):
        verify(SECRET, f"{first[0]}.{second[1]}.{second[2]}")


def test_wrong_purpose_is_refused():
    visit = mint(SECRET)
    with pytest.raises(InvalidSession, match=FORGED):
        verify(SECRET, visit, purpose="admin")
    with pytest.raises(InvalidSession, match=FORGED):
        verify(SECRET, mint(SECRET, purpose="admin"))
    assert verify_or_none(SECRET, visit, purpose="admin") is None


SIGNATURE = 43  # characters of an HMAC-SHA256 in URL-safe base64
VALID_SHAPE = "A" * 22 + ".AAAAAA." + "B" * SIGNATURE  # the shape of a token: id, time, signature


@pytest.mark.parametrize("token, message", [
    (None, MISSING),
    ("", MISSING),
    (123, MISSING),
    (b"A" * 22 + b"." + b"B" * SIGNATURE, MISSING),
    (["a", "b"], MISSING),
    ("a.b", MALFORMED),
    ("nodot", MALFORMED),
    (".", MALFORMED),
    ("A" * 22 + "." + "B" * (SIGNATURE - 1), MALFORMED),
    ("A" * 22 + ".." + "B" * SIGNATURE, MALFORMED),
    (VALID_SHAPE + "." + "C" * 22, MALFORMED),
    ("A" * 22 + "." + "B" * SIGNATURE, MALFORMED),  # the old, undated shape
    ("A" * 10_000 + "." + "B" * 10_000, MALFORMED),
    ("é" * 22 + "." + "B" * SIGNATURE, MALFORMED),
    ("A" * 21 + "é." + "B" * SIGNATURE, MALFORMED),
    ("A" * 22 + "." + "B" * (SIGNATURE - 1) + "\u0663", MALFORMED),
    ("A" * 22 + "+" + "B" * SIGNATURE, MALFORMED),
    (" " + VALID_SHAPE, MALFORMED),
    (VALID_SHAPE + "\n", MALFORMED),
    ("A" * 21 + "=" + "." + "B" * SIGNATURE, MALFORMED),
    (VALID_SHAPE, FORGED),
])
def test_bad_tokens_raise_invalid_session(token, message):
    """Whatever a client sends, the answer is InvalidSession (a ValueError) naming what is wrong."""
    with pytest.raises(InvalidSession) as caught:
        verify(SECRET, token)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert verify_or_none(SECRET, token) is None


def test_messages_are_distinct():
    messages = set()
    for token in (None, "a.b", VALID_SHAPE):
        with pytest.raises(InvalidSession) as caught:
            verify(SECRET, token)
        messages.add(str(caught.value))
    assert len(messages) == 3


def test_an_old_token_expires(monkeypatch):
    """A token carries when it was issued: past its maximum age it is refused, with a message."""
    import time as clock

    token = mint(SECRET)
    assert verify(SECRET, token, max_age=60)
    later = clock.time() + 3600
    monkeypatch.setattr("lab.sessions.time.time", lambda: later)
    with pytest.raises(InvalidSession, match="expired"):
        verify(SECRET, token, max_age=60)
    assert verify_or_none(SECRET, token, max_age=60) is None  # the per-process memory keeps no stale answer
    assert verify(SECRET, token) == token.split(".")[0]  # the default age is a day


def test_a_token_from_the_future_is_refused(monkeypatch):
    token = mint(SECRET)
    earlier = __import__("time").time() - 3600
    monkeypatch.setattr("lab.sessions.time.time", lambda: earlier)
    with pytest.raises(InvalidSession, match="future"):
        verify(SECRET, token)
