"""Settings: defaults, parsing, and one clear line for every bad value."""

import os
import stat
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from lab.settings import Settings, SettingsError, load_settings, mask_url, persisted_secret

PROJECT_DIR = Path(__file__).resolve().parents[2]


def env(tmp_path, **values):
    return {"DATA_DIR": str(tmp_path), **{k: str(v) for k, v in values.items()}}


def test_defaults(tmp_path):
    s = load_settings(env(tmp_path))
    assert s.redis_url is None and s.backend == "filesystem"
    assert (s.workers, s.host, s.port, s.step_seconds, s.max_sessions) == (4, "127.0.0.1", 8050, 3.0, 100)
    assert s.cache_dir == tmp_path / "cache" and s.cache_dir.is_dir()
    assert s.instructor_token is None
    assert s.url == "http://127.0.0.1:8050/"
    assert (s.visit_idle_seconds, s.max_visits) == (3600, 1000)


def test_values_from_environment(tmp_path):
    s = load_settings(env(tmp_path, REDIS_URL="redis://:pw@localhost:6380/2", WORKERS=8, HOST="0.0.0.0",
                          PORT=9000, STEP_SECONDS="0.5", MAX_SESSIONS=10, CACHE_DIR=tmp_path / "c",
                          INSTRUCTOR_TOKEN="t0ken", SECRET_KEY="x" * 20, CACHE_TIMEOUT=60, VISIT_IDLE_SECONDS=600,
                          MAX_VISITS=50))
    assert s.backend == "redis" and s.redis_url == "redis://:pw@localhost:6380/2"
    assert s.redis_url_display == "redis://:***@localhost:6380/2"
    assert (s.workers, s.host, s.port, s.step_seconds, s.max_sessions, s.cache_timeout) == (8, "0.0.0.0", 9000, 0.5, 10, 60)
    assert s.cache_dir == tmp_path / "c" and s.instructor_token == "t0ken" and s.secret_key == "x" * 20
    assert s.url == "http://127.0.0.1:9000/"
    assert (s.visit_idle_seconds, s.max_visits) == (600, 50)


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("WORKERS", "abc", "WORKERS must be a whole number from 1 to 32 (got 'abc')"),
        ("WORKERS", "0", "WORKERS must be a whole number from 1 to 32 (got '0')"),
        ("WORKERS", "33", "from 1 to 32"),
        ("PORT", "70000", "PORT must be a whole number from 1 to 65535 (got '70000')"),
        ("PORT", "80.5", "PORT must be a whole number"),
        ("STEP_SECONDS", "fast", "STEP_SECONDS must be a number of seconds from 0 to 60 (got 'fast')"),
        ("STEP_SECONDS", "-1", "STEP_SECONDS must be a number of seconds"),
        ("STEP_SECONDS", "nan", "STEP_SECONDS must be a number of seconds"),
        ("MAX_SESSIONS", "0", "MAX_SESSIONS must be a whole number from 1"),
        ("CACHE_TIMEOUT", "-5", "CACHE_TIMEOUT must be a whole number"),
        ("VISIT_IDLE_SECONDS", "5", "VISIT_IDLE_SECONDS must be a whole number from 10 to 86400"),
        ("MAX_VISITS", "lots", "MAX_VISITS must be a whole number from 10"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must look like redis://host:6379/0"),
        ("REDIS_URL", "http://localhost", "REDIS_URL must look like"),
        ("REDIS_URL", "redis://", "REDIS_URL must name a host"),
        ("REDIS_URL", "redis://localhost:notaport/0", "REDIS_URL has an invalid port"),
        ("HOST", "my host", "HOST must be an address to listen on"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 16 characters"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, name, value, words):
    with pytest.raises(SettingsError) as info:
        load_settings(env(tmp_path, **{name: value}))
    message = str(info.value)
    assert words in message and message.startswith(name) and "\n" not in message


def test_redis_password_never_in_error(tmp_path):
    with pytest.raises(SettingsError) as info:
        load_settings(env(tmp_path, REDIS_URL="redis://:hunter2@localhost:bad/0"))
    assert "hunter2" not in str(info.value)


def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SettingsError, match="^DATA_DIR must be a directory"):
        load_settings({"DATA_DIR": str(blocker / "sub")})


def test_mask_url():
    assert mask_url("redis://user:pw@h:1/0") == "redis://user:***@h:1/0"
    assert mask_url("redis://h:1/0") == "redis://h:1/0"


def test_secret_key_generated_once_and_private(tmp_path):
    first = load_settings(env(tmp_path)).secret_key
    second = load_settings(env(tmp_path)).secret_key
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_secret_key_race_between_processes(tmp_path):
    """Eight processes creating the secret at once all end up with the same key."""
    path = tmp_path / "secret_key"
    with ProcessPoolExecutor(8) as pool:
        keys = set(pool.map(persisted_secret, [path] * 8))
    assert len(keys) == 1 and keys == {path.read_text().strip()}
    assert not list(tmp_path.glob(".secret_key.*"))


def test_settings_is_frozen():
    from dataclasses import FrozenInstanceError

    with pytest.raises(FrozenInstanceError):
        Settings().workers = 3


@pytest.mark.parametrize("argv", [["app.py"], ["-m", "gunicorn", "app:server"]])
def test_bad_value_stops_startup_with_one_line(tmp_path, argv):
    """Both ways of starting refuse a bad WORKERS with one line naming it, and exit non-zero."""
    environ = {**os.environ, "DATA_DIR": str(tmp_path), "WORKERS": "many"}
    environ.pop("REDIS_URL", None)
    proc = subprocess.run([sys.executable, *argv], cwd=PROJECT_DIR, env=environ, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if "WORKERS" in line]
    assert lines == ["Configuration error: WORKERS must be a whole number from 1 to 32 (got 'many')"], proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_command_line_option(tmp_path):
    environ = {**os.environ, "DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "app.py", "--workers", "0"], cwd=PROJECT_DIR, env=environ,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Configuration error: WORKERS must be a whole number from 1 to 32 (got '0')" in proc.stderr
