"""Lesson 4 in a real headless Chromium, at 100,000 rows."""

import pytest

from tests.support import wait_for_element

pytestmark = pytest.mark.browser

FIGURES_JS = "labProbes.figures('#aggregations')"  # tests/browser/probes.js


def test_aggr001_aggregates_draw_the_same_figures_for_a_thousandth_of_the_bytes(page, module_server):
    """Send the data, then send aggregates: the three graphs keep exactly the same bars, the
    comparison measures ≥ 1000× fewer bytes, and the aggregates meters record the new calls."""
    server = module_server(workers=2, env={"STEP_SECONDS": "0.3"})
    page.goto(server.url + "/aggregations")
    page.wait_for_selector(".ag-row-full .ag-total", timeout=30_000)
    assert "Now choose “Send aggregates”" in page.inner_text("#aggregations-compare")
    with_data = page.evaluate(FIGURES_JS)
    assert len(with_data) == 3 and all(len(traces) == 4 for traces in with_data)

    page.click("label:has-text('Send aggregates')")
    page.wait_for_selector(".ag-headline-number", timeout=30_000)
    ratio = int(page.inner_text(".ag-headline-number").rstrip("×").replace(",", ""))
    assert ratio >= 1000
    assert page.inner_text(".ag-row-full td:last-child") == "✓ identical"
    assert page.inner_text(".ag-row-aggregates td:last-child") == "✓ identical"
    assert page.evaluate(FIGURES_JS) == with_data  # the same bars, to the last number
    wait_for_element(page, "#lab-meters-aggregations-aggregates .lab-breakdown-details summary",
                     "el.textContent.includes('(4 calls')", timeout=10_000)
    up = page.inner_text("#lab-meters-aggregations-aggregates .lab-meter-up .lab-meter-value")
    assert up.endswith(" B") or up.endswith(" KB")
    assert page.errors == []
