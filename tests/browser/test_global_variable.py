"""Lesson 2 in a real headless Chromium."""

import pytest

from tests.support import wait_for_element

pytestmark = pytest.mark.browser

BAD, GOOD = "global-variable-demo-bad", "global-variable-demo-good"


def calls_this_visit(page, scope) -> int:
    text = page.inner_text(f"#lab-meters-{scope} .lab-breakdown-details summary")
    return int(text.split("(")[1].split()[0])


def wait_for_calls(page, scope, at_least: int) -> None:
    wait_for_element(page, f"#lab-meters-{scope} .lab-breakdown-details summary",
                     "parseInt(el.textContent.split('(')[1], 10) >= arg", arg=at_least, timeout=10_000)


def got(page, reader) -> dict:
    slot = page.locator(f"#{reader}-got .gv-got")
    return {"fruit": slot.get_attribute("data-fruit"), "right": slot.get_attribute("data-right") == "yes"}


def test_glob001_one_worker_another_learners_pick_leaks_into_the_global_side(page, module_server):
    """1 worker: after the other learner picks figs, switching the measure shows figs on the global
    side and your apples on the dcc.Store side; the meters count the reads; no console errors."""
    server = module_server(workers=1, env={"STEP_SECONDS": "0.3"})
    page.goto(server.url + "/global-variable")
    page.wait_for_selector(f"#{BAD}-chart-got .gv-got-right", timeout=20_000)
    page.wait_for_selector(f"#{GOOD}-chart-got .gv-got-right", timeout=20_000)
    page.wait_for_selector("#global-variable-copies-workers:has-text('1 worker is live')")
    assert "gv-experiment-on" in page.get_attribute("#global-variable-copies-experiment-one", "class")
    wait_for_calls(page, BAD, 3)  # your load and its two readers
    before = calls_this_visit(page, BAD)

    other = page.locator(".gv-user").nth(1)
    other.locator("label:has-text('figs')").click()
    other.locator(".gv-loaded:has-text('figs went into the global variable of worker')").wait_for(timeout=15_000)
    other.locator(".gv-loaded:has-text('figs went into their own dcc.Store')").wait_for(timeout=15_000)
    page.click("label:has-text('Units')")
    page.wait_for_selector(f"#{BAD}-chart-got .gv-got[data-fruit='figs']", timeout=15_000)
    page.wait_for_selector(f"#{GOOD}-chart-got .gv-got[data-fruit='apples']", timeout=15_000)
    assert got(page, f"{BAD}-chart") == {"fruit": "figs", "right": False}
    assert got(page, f"{BAD}-totals") == {"fruit": "figs", "right": False}
    assert got(page, f"{GOOD}-chart") == {"fruit": "apples", "right": True}
    assert "figs" in page.inner_text(f"#{BAD}-totals") and "apples" in page.inner_text(f"#{GOOD}-totals")
    # The meters saw the new reads (2 readers more on each side); the copies table shows the one copy.
    wait_for_calls(page, BAD, before + 3)  # their load, then your two readers again
    wait_for_calls(page, GOOD, before + 3)
    page.wait_for_selector("#global-variable-copies-table:has-text('the other learner')", timeout=10_000)
    assert "One worker, one copy" in page.inner_text("#global-variable-copies-table")
    assert page.errors == []


def test_glob002_copies_table_lists_every_live_worker(page, module_server):
    """2 workers: the table of copies lists both live workers, each with its own copy once it has
    served the page, and the page says how many workers are live."""
    server = module_server(workers=2, env={"STEP_SECONDS": "0.3"})
    live = server.health()["workers"]
    page.goto(server.url + "/global-variable")
    page.wait_for_selector("#global-variable-copies-workers:has-text('2 workers are live')", timeout=15_000)
    assert "gv-experiment-on" in page.get_attribute("#global-variable-copies-experiment-many", "class")
    wait_for_element(page, "#global-variable-copies-table",
                     "el.querySelectorAll('tbody tr').length === 2 && !el.textContent.includes('not reported yet')",
                     timeout=30_000)
    table = page.inner_text("#global-variable-copies-table")
    assert all(str(pid) in table for pid in live)
    assert "apples" in table  # the worker that ran your load holds apples
    assert page.errors == []
