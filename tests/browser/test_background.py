"""Lesson 8 in a real headless Chromium: the Diskcache background callback's progress bar, its
cancel button, the timeline's background lane, and the crowd's verdict in words."""

import pytest

from tests.support import wait_for_element

pytestmark = pytest.mark.browser

P = "background"
BAR = f"#{P}-live-diskcache-progress .progress-bar"


@pytest.fixture(scope="module")
def server(module_server):
    return module_server(workers=3, env={"STEP_SECONDS": "3"})


def progress(page) -> int:
    return int(page.get_attribute(BAR, "aria-valuenow") or 0)


def test_bg001_progress_fills_then_the_result_arrives_from_a_background_process(page, server):
    """The bar moves while the job runs, the result names a background process, the timeline gives it a lane."""
    page.goto(server.url + "/background")
    page.select_option(f"#{P}-value", "C")
    page.click(f"#{P}-live-diskcache-run")
    wait_for_element(page, BAR, "+el.getAttribute('aria-valuenow') > 0 && +el.getAttribute('aria-valuenow') < 100",
                     timeout=30_000)
    assert page.is_enabled(f"#{P}-live-diskcache-cancel") and page.is_disabled(f"#{P}-live-diskcache-run")
    page.wait_for_selector(f"#{P}-live-diskcache-view:has-text('background process')", timeout=30_000)
    assert "Report C" in page.inner_text(f"#{P}-live-diskcache-view")
    wait_for_element(page, f"#{P} .lab-timeline-graph .js-plotly-plot",
                     "(el.layout.yaxis.categoryarray || []).some((lane) => lane.startsWith('background '))",
                     timeout=10_000)
    wait_for_element(page, f"#lab-meters-{P}-live .lab-meter-recomputes .lab-meter-value", "el.textContent === '1'")
    assert page.errors == []


def test_bg002_cancel_stops_the_job(page, server):
    """Cancel while the bar moves: no result comes, the bar stops, Run is back and Cancel is off."""
    page.goto(server.url + "/background")
    page.select_option(f"#{P}-value", "D")
    page.click(f"#{P}-live-diskcache-run")
    wait_for_element(page, BAR, "+el.getAttribute('aria-valuenow') > 0", timeout=30_000)
    page.click(f"#{P}-live-diskcache-cancel", timeout=5_000)
    page.wait_for_selector(f"#{P}-live-diskcache-run:not([disabled])", timeout=10_000)
    stopped_at = progress(page)
    page.wait_for_timeout(4_000)  # longer than the rest of the step
    assert progress(page) <= max(stopped_at, 0) < 100
    assert page.inner_text(f"#{P}-live-diskcache-view") == "—", "no result after a cancel"
    assert page.is_disabled(f"#{P}-live-diskcache-cancel")
    assert page.errors == []


def test_bg003_the_crowd_says_in_words_whether_the_web_workers_stayed_free(page, server):
    """Eight users in the background: every one served, and a ✓ with the words next to it."""
    page.goto(server.url + "/background")
    page.click(f"label[for='{P}-crowd-mode-diskcache'], #{P}-crowd-mode label:has-text('Background: Diskcache')")
    page.click(f"#{P}-crowd-fire")
    card = page.locator(".lab-side:has-text('Background: Diskcache')")
    card.locator(".background-crowd-figures").wait_for(timeout=60_000)
    text = card.inner_text()
    assert "8/8" in text and "✓ the web workers stayed free" in text, text
    assert page.errors == []
