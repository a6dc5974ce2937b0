"""Lesson 5 in a real headless Chromium."""

import pytest

from tests.support import wait_for_element

pytestmark = pytest.mark.browser

KINDS = ("scatter", "line", "histogram", "contour")


@pytest.fixture(scope="module")
def server(module_server):
    return module_server(workers=4, env={"STEP_SECONDS": "0.5"})


def executions(page):
    return page.inner_text("#lab-meters-cache-signal-live .lab-meter-recomputes .lab-meter-value")


def wait_for_graphs(page, how="read from the cache"):
    for kind in KINDS:
        page.wait_for_selector(f"#cache-signal-live-{kind}-note:has-text('{how}')", timeout=15_000)
        # the waiting placeholder has no trace
        wait_for_element(page, f"#cache-signal-live-{kind} .js-plotly-plot", "(el.data || []).length > 0")


def test_cach001_four_graphs_appear_after_the_signal(page, server):
    """The page renders; the select callback computes once, then its signal draws four graphs from the cache."""
    page.goto(server.url + "/cache-signal")
    page.wait_for_selector("#cache-signal-live-status .cache-signal-status-computed", timeout=15_000)
    wait_for_graphs(page)
    wait_for_element(page, "#lab-meters-cache-signal-live .lab-meter-recomputes .lab-meter-value",
                     "el.textContent === '1'", timeout=10_000)
    page.wait_for_timeout(1200)  # a snapshot later: still one execution, four graphs included
    assert executions(page) == "1"
    assert page.errors == []


def test_cach002_revisiting_a_sensor_is_a_cache_hit(page, server):
    """Another sensor computes; coming back to the first, or reloading, is a cache hit."""
    page.goto(server.url + "/cache-signal")
    page.wait_for_selector("#cache-signal-live-status .cache-signal-status-hit:has-text('Sensor A')")
    page.select_option("#cache-signal-value", "B")
    page.wait_for_selector("#cache-signal-live-status .cache-signal-status-computed:has-text('Sensor B')")
    wait_for_graphs(page)
    page.reload()
    page.wait_for_selector("#cache-signal-live-status .cache-signal-status-hit:has-text('Sensor A')")
    wait_for_graphs(page)
    assert page.errors == []


def test_cach003_the_crowd_computes_once_with_the_lock(page, server):
    """Eight simulated users on a fresh value: one execution with the lock, and the figures are shown."""
    page.goto(server.url + "/cache-signal")
    page.wait_for_selector("#cache-signal-live-status .cache-signal-status")
    page.click("#cache-signal-crowd-fire")
    card = page.locator(".lab-side:has-text('Compute once (with a lock)')")
    card.locator(".cache-signal-crowd-figures").wait_for(timeout=20_000)
    assert card.locator(".lab-meter-value").first.inner_text() == "1"
    assert "for 8 users" in card.inner_text() and "every user got the same numbers" in card.inner_text()
    assert page.errors == []
