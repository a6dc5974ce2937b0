"""The comparison in a real headless Chromium: run, progress that survives leaving the page, the
table and charts, and the overview's verdicts measured afterwards."""

import pytest

from tests.support import wait_for_element

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(module_server):
    return module_server(workers=2, env={"STEP_SECONDS": "0.4"})


def test_comp001_run_progress_table_and_overview(page, server):
    """Before: the overview says "not measured yet". Run a small comparison: the progress shows what
    runs now, survives going to another page and back, then the table, charts and the overview's
    verdict columns come from the run."""
    page.goto(server.url + "/")
    page.wait_for_selector("#overview-comparison td:has-text('not measured yet')")

    page.goto(server.url + "/compare")
    page.wait_for_selector("#compare-now:has-text('No comparison has run')")
    page.click("#compare-workers label:has-text('4')")  # off: leaves worker count 1 only
    page.click("#compare-rows label:has-text('1,000')")
    page.fill("#compare-users input[type=number]", "3")
    page.keyboard.press("Enter")
    page.click("#compare-run")
    page.wait_for_selector("#compare-message .cmp-message-ok")
    page.wait_for_selector("#compare-now .cmp-live", timeout=10_000)
    assert page.is_disabled("#compare-run")

    page.click(".lab-navbar a[href='/global-variable']")  # away, mid-run
    page.wait_for_selector("#global-variable h1")
    page.click(".lab-navbar a[href='/compare']")  # and back: the run is still shown
    page.wait_for_selector("#compare-now .cmp-live, #compare-now .cmp-done", timeout=10_000)

    page.wait_for_selector("#compare-now .cmp-done", timeout=90_000)
    page.wait_for_selector("#compare-results .cmp-table", timeout=10_000)
    table = page.inner_text("#compare-results .cmp-table")
    assert "Module-level global" in table and "Per-session server cache" in table
    assert "leaked" in page.inner_text("#compare-results .cmp-table tbody tr:nth-child(2)")
    wait_for_element(page, "#compare-results .js-plotly-plot", "(el.data || []).length >= 4")
    crowd = page.inner_text("#compare-results .cmp-offload")  # lesson 8's crowd, at the same worker count
    assert "Plain callback" in crowd and "Background: Diskcache" in crowd and "1 of 1" in crowd and "none" in crowd
    assert "3/3" in crowd and "cheap callback waited" in page.inner_text("#compare-results .cmp-findings")
    assert not page.is_disabled("#compare-run")

    page.click(".lab-navbar a[href='/']")
    row = "#overview-comparison tr:has-text('The global-variable trap')"
    page.wait_for_selector(f"{row} .lab-no", timeout=10_000)
    assert "another user's pick" in page.inner_text(row)
    assert "yes, at 1 worker" in page.inner_text("#overview-comparison tr:has-text('Per-session')")
    assert page.errors == []
