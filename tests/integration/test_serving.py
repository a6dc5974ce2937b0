"""The app under real gunicorn: 1, 2 and 4 workers, on Redis and on the filesystem."""

import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dash
import psutil
import pytest
import requests

import app  # noqa: F401  (fills dash.page_registry in this process)
from tests.conftest import need
from lab.http_client import render_page
from lab.local_servers import RedisServer, free_port

pytestmark = pytest.mark.gunicorn
PROJECT_DIR = Path(__file__).resolve().parents[2]


def english(title):
    """A page title may be a function Dash calls per request (translated); outside a request: English."""
    return title() if callable(title) else title


def registered_pages():
    """(path, English title) of every page."""
    return [(p["path"], english(p["title"])) for p in dash.page_registry.values() if "{" not in p["path"]]


def live_children(pid):
    return sorted(c.pid for c in psutil.Process(pid).children() if c.status() != psutil.STATUS_ZOMBIE)


def distinct_pids(server, requests_count=40, threads=8):
    def one(_):
        return requests.get(server.url + "/api/health", timeout=10).json()["pid"]
    with ThreadPoolExecutor(threads) as pool:
        return set(pool.map(one, range(requests_count)))


@pytest.fixture(params=["redis", "filesystem"])
def backend(request):
    if request.param == "redis":
        return request.getfixturevalue("redis_url")
    return None


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_serves_every_page_with_n_workers(lab_server, backend, workers):
    server = lab_server(workers=workers, redis_url=backend)
    health = server.health()
    assert health["backend"] == ("redis" if backend else "filesystem")
    assert health["degraded"] is False
    assert health["server"] == "gunicorn" and health["master_pid"] == server.proc.pid
    assert health["workers"] == live_children(server.proc.pid) and len(health["workers"]) == workers
    assert health["pid"] in health["workers"]

    for path, title in registered_pages():
        response = server.get(path)
        assert response.status_code == 200, path
        assert "_dash-renderer" in response.text or "dash_renderer" in response.text
        assert render_page(server.url, path)["title"] == title, path
    assert render_page(server.url, "/no-such-lesson")["title"] == english(dash.page_registry["pages.not_found_404"]["title"])

    pids = distinct_pids(server)
    assert pids <= set(health["workers"])
    if workers > 1:
        assert len(pids) > 1, f"40 concurrent requests were all served by {pids}"


def test_launcher_python_app_py(lab_server):
    """`python app.py --workers 2 --port P` serves through embedded gunicorn and says where."""
    server = lab_server(workers=2, argv=lambda port: [sys.executable, "app.py", "--workers", "2", "--port", str(port)],
                        env={"WORKERS": "3", "PORT": "1"})  # the options win over the environment
    health = server.health()
    assert health["server"] == "gunicorn" and health["master_pid"] == server.proc.pid
    log = server.log_text()
    assert f"http://127.0.0.1:{server.port}" in log and "Backend   filesystem" in log and "Workers   2" in log


def test_reference_command_gunicorn_app_server_workers_8(lab_server):
    """The reference's own command line works verbatim (the port comes from PORT)."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = lab_server(workers=8, argv=[gunicorn, "app:server", "--workers", "8"], wait=False)
    health = server.wait_ready(timeout=120)
    assert len(health["workers"]) == 8 and health["workers"] == live_children(server.proc.pid)


def test_dev_mode_single_process(lab_server):
    server = lab_server(workers=1, argv=lambda port: [sys.executable, "app.py", "--dev", "--port", str(port)])
    health = server.health()
    assert health["server"] == "single-process" and health["master_pid"] is None
    assert health["workers"] == [health["pid"]]
    assert "Dev server" in server.log_text()


@pytest.mark.redis
def test_unreachable_redis_degrades_and_recovers(lab_server):
    """REDIS_URL set but nothing listening: pages serve, health says degraded, no 500s; when
    Redis comes up the app notices by itself."""
    binary = shutil.which("redis-server")
    need(binary is not None, "redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = lab_server(workers=2, redis_url=f"redis://127.0.0.1:{port}/0")
    health = server.health()
    assert health["backend"] == "redis" and health["degraded"] is True and health["redis"]["reachable"] is False
    for path, _title in registered_pages():
        assert server.get(path).status_code == 200
        render_page(server.url, path)
    live = RedisServer.start(binary, port)
    try:
        deadline = time.monotonic() + 10
        while server.health()["degraded"] and time.monotonic() < deadline:
            time.sleep(0.1)
        with ThreadPoolExecutor(6) as pool:  # concurrent, so both workers answer; each pings afresh
            answers = list(pool.map(lambda _: server.health(), range(24)))
        assert len({a["pid"] for a in answers}) == 2
        assert all(a["redis"]["reachable"] and not a["degraded"] for a in answers)
    finally:
        live.stop()
    assert " 500 " not in server.log_text() and "Traceback" not in server.log_text()
