"""The shell in a real headless Chromium: home page, navbar, client-side navigation, badge, banner."""

import shutil

import dash
import pytest

import app  # noqa: F401  (fills dash.page_registry in this process)
from components.shell import nav_pages
from tests.conftest import need
from lab.local_servers import RedisServer, free_port
from tests.support import wait_for_element

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fs_server(module_server):
    return module_server(workers=2)


def test_shel001_home_renders_without_console_errors(page, fs_server):
    """The overview renders its sections with no console error or uncaught exception."""
    page.goto(fs_server.url + "/")
    page.wait_for_selector("#home h1")
    assert "expensive result" in page.inner_text("#home h1")
    for heading in ("Dash is stateless", "Three places to keep shared data", "The lessons"):
        assert heading in page.inner_text("#home")
    page.wait_for_timeout(1500)  # let a snapshot tick or two go by
    assert page.errors == []


def test_shel002_navbar_lists_pages_in_teaching_order(page, fs_server):
    """The navbar's links are the registered pages, sorted by their `order`."""
    page.goto(fs_server.url + "/")
    page.wait_for_selector(".lab-nav-link")
    hrefs = page.evaluate("labProbes.hrefs('.lab-navbar .lab-nav-link')")
    expected = [p["relative_path"] for p in nav_pages()]
    assert hrefs == expected
    orders = [p["order"] for p in nav_pages()]
    assert orders == sorted(orders) and hrefs[0] == "/"
    assert all(p["relative_path"] in hrefs for p in dash.page_registry.values() if p.get("nav_label"))


def test_shel003_link_changes_page_without_full_reload(page, fs_server):
    """Following a link swaps the page in place: a marker set on `window` survives it."""
    page.goto(fs_server.url + "/no-such-lesson")
    page.wait_for_selector("#not-found")
    assert "no lesson at this address" in page.inner_text("#not-found")
    page.evaluate("window.__labMarker = 'still here'")
    page.click(".lab-navbar .lab-nav-link[href='/']")
    page.wait_for_selector("#home h1")
    assert page.url == fs_server.url + "/"
    assert page.evaluate("window.__labMarker") == "still here"
    assert page.errors == []


def test_shel004_badge_shows_filesystem_backend(page, fs_server):
    """With no REDIS_URL the navbar badge says Filesystem and no banner shows."""
    page.goto(fs_server.url + "/")
    page.wait_for_selector("#lab-backend-badge.lab-badge-fs")
    assert page.inner_text("#lab-backend-badge") == "Filesystem"
    assert page.is_hidden("#lab-degraded-banner")


@pytest.mark.redis
def test_shel005_badge_shows_redis_backend(page, module_server, redis_url):
    """With REDIS_URL the badge says Redis."""
    server = module_server(workers=2, redis_url=redis_url)
    page.goto(server.url + "/")
    page.wait_for_selector("#lab-backend-badge.lab-badge-redis")
    assert page.inner_text("#lab-backend-badge") == "Redis"
    assert page.errors == []


@pytest.mark.redis
def test_shel006_degraded_banner_comes_and_goes(page, module_server):
    """An unreachable Redis shows the degraded-mode banner; it leaves by itself when Redis returns."""
    binary = shutil.which("redis-server")
    need(binary is not None, "redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = module_server(workers=2, redis_url=f"redis://127.0.0.1:{port}/0")
    page.goto(server.url + "/")
    page.wait_for_selector("#lab-degraded-banner:not([hidden])")
    assert "Degraded mode" in page.inner_text("#lab-degraded-banner")
    assert page.inner_text("#lab-backend-badge") == "Redis unreachable"
    live = RedisServer.start(binary, port)
    try:
        page.wait_for_selector("#lab-backend-badge.lab-badge-redis", timeout=10_000)
        assert page.is_hidden("#lab-degraded-banner")
    finally:
        live.stop()
    assert page.errors == []


def test_shel007_overview_compares_every_lesson_live(page, fs_server):
    """The overview's table has a row per lesson, linked, whose live figures follow real callbacks."""
    from components.shell import lesson_pages
    from tests.support import callback_body, exchange

    page.goto(fs_server.url + "/")
    rows = page.locator(".lab-comparison tbody tr")
    rows.first.wait_for()
    assert rows.count() == len(lesson_pages())
    links = page.eval_on_selector_all(".lab-comparison tbody tr td:first-child a", "els => els.map(e => e.getAttribute('href'))")
    assert links == [p["relative_path"] for p in lesson_pages()]
    first = rows.first.locator("td")
    before = int(first.nth(5).inner_text())
    body = callback_body(["why-share-state-right-store.data"], {"why-share-state-day.value": "2026-06-05"})
    assert exchange(fs_server.url, body).status == 200  # another user, somewhere, uses lesson 1
    wait_for_element(page, ".lab-comparison tbody tr td:nth-child(6)", "el.textContent !== arg", arg=str(before),
                     timeout=10_000)
    assert int(first.nth(5).inner_text()) == before + 1
    assert page.locator(".lab-guide-row").count() == 7  # lesson 8 adds "does the step take seconds?"
    assert page.errors == []
