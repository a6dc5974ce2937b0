"""Lesson 1 in a real headless Chromium."""

import pytest

from tests.support import wait_for_element

pytestmark = pytest.mark.browser


def downloads(page, side):
    return page.inner_text(f"#lab-meters-why-share-state-{side} .lab-meter-recomputes .lab-meter-value")


def test_whys001_unit_change_downloads_on_the_left_only(page, module_server):
    """The page renders without errors; changing only the unit adds a download on the left, none on the right."""
    server = module_server(workers=2, env={"STEP_SECONDS": "0.5"})
    page.goto(server.url + "/why-share-state")
    page.wait_for_selector("#why-share-state-right-summary:has-text('°C')", timeout=15_000)
    wait_for_element(page, "#lab-meters-why-share-state-right .lab-meter-recomputes .lab-meter-value",
                     "el.textContent === '1'", timeout=10_000)
    assert downloads(page, "left") == "1"
    page.click("label:has-text('°F')")
    page.wait_for_selector("#why-share-state-left-summary:has-text('°F')", timeout=15_000)
    page.wait_for_selector("#why-share-state-right-summary:has-text('°F')")
    wait_for_element(page, "#lab-meters-why-share-state-left .lab-meter-recomputes .lab-meter-value",
                     "el.textContent === '2'", timeout=10_000)
    assert downloads(page, "right") == "1"
    assert page.inner_text("#why-share-state-left-summary") == page.inner_text("#why-share-state-right-summary")
    assert page.errors == []
