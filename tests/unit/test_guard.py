"""The instructor guard: with INSTRUCTOR_TOKEN set, every guarded action needs it whatever the lab
listens on (a proxy or tunnel to 127.0.0.1 looks local); with none set, a run listening only on
loopback is open and any other listener (0.0.0.0, a LAN address, a unix socket) has the controls off.
The listeners come from LAB_LISTENERS (exported by gunicorn) or, without it, from the settings."""

import pytest

from lab.guard import LISTENERS_ENV, authorize, guard_info, is_loopback, private_run
from lab.settings import load_settings

TOKEN = "t0ken-for-the-instructor"


@pytest.mark.parametrize("address", [
    "127.0.0.1:8050", "http://127.0.0.1:8050", "https://127.0.0.1:8443", "[::1]:8050", "http://[::1]:8050",
    "localhost:8050", "127.0.0.2:1",
])
def test_loopback_addresses(address):
    assert is_loopback(address) is True


@pytest.mark.parametrize("address", [
    "0.0.0.0:8050", "http://0.0.0.0:8050", "192.168.1.5:8050", "http://10.0.0.1:80", "unix:/tmp/x.sock",
    "[::]:8050", "http://[::]:8050", "example.org:8050", "",
])
def test_other_addresses(address):
    assert is_loopback(address) is False


def settings(tmp_path, **values):
    return load_settings({"DATA_DIR": str(tmp_path), **{k: str(v) for k, v in values.items()}})


def test_private_run_is_open_without_token(tmp_path, monkeypatch):
    monkeypatch.setenv(LISTENERS_ENV, "http://127.0.0.1:8050,http://[::1]:8050")
    s = settings(tmp_path)
    assert private_run(s) is True
    assert authorize(s, None) is None and authorize(s, "anything") is None
    assert guard_info(s) == {"open": True, "token_required": False, "token_configured": False}


def test_a_set_token_is_required_on_loopback_too(tmp_path, monkeypatch):
    """Behind a reverse proxy or tunnel to 127.0.0.1 every visitor looks local: the token decides."""
    monkeypatch.setenv(LISTENERS_ENV, "http://127.0.0.1:8050")
    s = settings(tmp_path, INSTRUCTOR_TOKEN=TOKEN)
    assert private_run(s) is True
    assert guard_info(s) == {"open": False, "token_required": True, "token_configured": True}
    for wrong in (None, "", "wrong", TOKEN[:-1], 42):
        assert "instructor token" in authorize(s, wrong)
    assert authorize(s, TOKEN) is None


def test_public_run_without_configured_token_is_off(tmp_path, monkeypatch):
    monkeypatch.setenv(LISTENERS_ENV, "http://0.0.0.0:8050")
    s = settings(tmp_path)
    assert private_run(s) is False
    assert guard_info(s) == {"open": False, "token_required": True, "token_configured": False}
    for token in (None, "", "anything", TOKEN):
        reason = authorize(s, token)
        assert reason is not None and "INSTRUCTOR_TOKEN" in reason


def test_public_run_with_token(tmp_path, monkeypatch):
    monkeypatch.setenv(LISTENERS_ENV, "unix:/tmp/lab.sock")
    s = settings(tmp_path, INSTRUCTOR_TOKEN=TOKEN)
    assert guard_info(s) == {"open": False, "token_required": True, "token_configured": True}
    assert TOKEN not in repr(guard_info(s))
    for wrong in (None, "", "wrong", TOKEN[:-1], TOKEN + "x", TOKEN.upper(), "ü" + TOKEN):
        reason = authorize(s, wrong)
        assert reason is not None and "instructor token" in reason, wrong
        assert TOKEN not in reason
    assert authorize(s, TOKEN) is None


@pytest.mark.parametrize("listeners", [
    "http://127.0.0.1:8050,http://0.0.0.0:8051",
    "http://0.0.0.0:8051,http://127.0.0.1:8050",
    "http://[::1]:8050,unix:/tmp/lab.sock",
    "http://127.0.0.1:8050,http://192.168.1.5:8050",
])
def test_mixed_listeners_are_guarded(tmp_path, monkeypatch, listeners):
    monkeypatch.setenv(LISTENERS_ENV, listeners)
    s = settings(tmp_path, INSTRUCTOR_TOKEN=TOKEN)
    assert private_run(s) is False
    assert authorize(s, None) is not None
    assert authorize(s, TOKEN) is None


@pytest.mark.parametrize("host, private", [
    ("127.0.0.1", True),
    ("localhost", True),
    ("::1", True),
    ("0.0.0.0", False),
    ("192.168.1.5", False),
    ("::", False),
])
def test_settings_host_decides_without_listeners(tmp_path, monkeypatch, host, private):
    """With LAB_LISTENERS unset (the dev server), HOST and PORT are the one listener."""
    monkeypatch.delenv(LISTENERS_ENV, raising=False)
    s = settings(tmp_path, HOST=host, PORT=8050)
    assert private_run(s) is private
    assert guard_info(s)["open"] is private
    assert (authorize(s, None) is None) is private


def test_empty_listeners_fall_back_to_settings(tmp_path, monkeypatch):
    monkeypatch.setenv(LISTENERS_ENV, "")
    assert private_run(settings(tmp_path, HOST="0.0.0.0")) is False
    assert private_run(settings(tmp_path, HOST="127.0.0.1")) is True
