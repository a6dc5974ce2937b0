"""Fixtures: real Redis, real gunicorn servers, real headless Chromium.

Nothing here is faked. Redis is a private `redis-server` started for the test session (or the
server named by LAB_TEST_REDIS_URL); the app runs under gunicorn as a subprocess, exactly as
users start it; browsers are Debian's Chromium driven by Playwright (it never downloads one).

Outside CI a missing Redis or Chromium skips the tests that need it, with the reason; with
CI=true the same tests fail instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from lab.local_servers import LabServer, RedisServer, free_port, redis_answers
from tests.support import CHROMIUM

PROJECT_DIR = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# The app module is imported once per test process (Dash keeps one page registry per process);
# point it at a private data directory first so tests never touch a developer's .lab-data.
_DATA_DIR = tempfile.mkdtemp(prefix="lab-tests-")
os.environ["DATA_DIR"] = _DATA_DIR
for _name in ("REDIS_URL", "CACHE_DIR", "WORKERS", "HOST", "PORT", "INSTRUCTOR_TOKEN", "SECRET_KEY"):
    os.environ.pop(_name, None)


def need(condition: bool, reason: str) -> None:
    """Skip when something the test needs is missing, except in CI, where that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


# -- Redis ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server():
    """A real Redis server for the whole session: private when `redis-server` is installed."""
    url = os.environ.get("LAB_TEST_REDIS_URL")
    if url:
        need(redis_answers(url), f"LAB_TEST_REDIS_URL={url} does not answer PING")
        yield RedisServer.external(url)
        return
    binary = shutil.which("redis-server")
    if binary:
        server = RedisServer.start(binary, free_port())
        try:
            yield server
        finally:
            server.stop()
        return
    need(redis_answers("redis://127.0.0.1:6379/0"),
         "no redis-server binary and nothing answers on 127.0.0.1:6379 (apt-get install redis-server)")
    yield RedisServer.external("redis://127.0.0.1:6379/0")


@pytest.fixture
def private_redis():
    """A redis-server of this test's own, which the test may stop and restart (`.stop()`,
    `.restart()`: same port, empty, as Redis without persistence comes back)."""
    binary = shutil.which("redis-server")
    need(binary is not None, "no redis-server binary to start and stop (apt-get install redis-server)")
    server = RedisServer.start(binary, free_port())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server):
    """A Redis URL on a database of its own, emptied of the lab's keys before the test."""
    url = redis_server.fresh_db_url()
    yield url


# -- gunicorn ------------------------------------------------------------------------------------


def _server_factory(directory: Path, session):
    """Start the app under real gunicorn: `start(workers=4, redis_url=None, env={...})`.

    `argv` replaces the gunicorn command line: a list, or a function of the free port chosen.
    Every server started here is stopped (by its PID) at the end of the fixture's scope, and its
    log is printed if a test failed.
    """
    started: list[LabServer] = []
    failures_before = session.testsfailed

    def start(workers: int = 2, redis_url: str | None = None, env: dict | None = None,
              argv=None, host: str = "127.0.0.1", wait: bool = True) -> LabServer:
        data_dir = directory / f"data-{len(started)}"
        server = LabServer(PROJECT_DIR, data_dir, port=free_port(), host=host, workers=workers,
                           redis_url=redis_url, env=env or {}, argv=argv)
        started.append(server)
        server.start()
        if wait:
            server.wait_ready()
        return server

    yield start
    failed = session.testsfailed > failures_before
    for server in started:
        server.stop()
        if failed:
            sys.stderr.write(f"\n--- log of {server.describe()} ---\n{server.log_text()[-6000:]}\n")


@pytest.fixture
def lab_server(tmp_path, request):
    """A factory of app servers for one test (see `_server_factory`)."""
    yield from _server_factory(tmp_path, request.session)


@pytest.fixture(scope="module")
def module_server(tmp_path_factory, request):
    """A factory of app servers shared by the tests of one module (see `_server_factory`)."""
    yield from _server_factory(tmp_path_factory.mktemp("servers"), request.session)


# -- browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's package) for the whole session."""
    need(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    from tests.support import CHROMIUM_ARGS

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab that records console errors and uncaught exceptions in `page.errors`."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(path=PROJECT_DIR / "tests" / "browser" / "probes.js")
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda msg: msg.type == "error" and tab.errors.append(f"console: {msg.text}"))
    tab.on("pageerror", lambda exc: tab.errors.append(f"pageerror: {exc}"))
    tab.set_default_timeout(15_000)
    yield tab
    context.close()
