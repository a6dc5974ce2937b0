"""Lesson 3 in a real headless Chromium: the bytes follow the data size, local storage survives a
reload, and a store too big for the browser's quota is kept in memory without an error."""

import re

import pytest

from tests.support import wait_for_element

pytestmark = pytest.mark.browser

CLEAN, READ = "dcc-store-clean", "dcc-store-read"


@pytest.fixture(scope="module")
def server(module_server):
    return module_server(workers=2, env={"STEP_SECONDS": "0.3"})


def megabytes(text: str) -> float:
    value, unit = re.search(r"([\d.]+) (B|KB|MB)", text).groups()
    return float(value) / {"B": 1e6, "KB": 1e3, "MB": 1}[unit]


def visit_up(page) -> float:
    """The readers' 'Sent up … this visit' total, in MB."""
    sub = page.inner_text(f"#lab-meters-{READ} .lab-meter-up .lab-meter-sub")
    return megabytes(sub.split("·")[1])


def reader_calls(page, at_least: int) -> None:
    """Wait until the readers' meters have recorded `at_least` calls on this visit."""
    wait_for_element(page, f"#lab-meters-{READ} .lab-breakdown-details summary",
                     "parseInt(el.textContent.split('(')[1], 10) >= arg", arg=at_least)


def wait_for_journey(page):
    page.wait_for_selector("#dcc-store-journey .ds-journey-total:has-text('went up')", timeout=20_000)


def test_dcst001_bytes_grow_with_the_data_and_go_up_twice(page, server):
    """20,000 → 50,000 rows: the store comes down once, goes up with both readers, and the readers'
    meters grow with the data; no console errors."""
    page.goto(server.url + "/dcc-store")
    page.wait_for_selector("#dcc-store-clean-note:has-text('Cleaned 20,000 rows')", timeout=20_000)
    wait_for_journey(page)
    values = page.locator("#dcc-store-journey .ds-journey-value").all_inner_texts()
    down, graph_up, table_up = (megabytes(v) for v in values)
    assert graph_up > 3 * down and abs(graph_up - table_up) < 0.01  # uncompressed, twice
    reader_calls(page, at_least=2)
    first = visit_up(page)
    assert first == pytest.approx(graph_up + table_up, rel=0.02)

    page.click("label:has-text('50,000')")
    page.wait_for_selector("#dcc-store-clean-note:has-text('Cleaned 50,000 rows')", timeout=20_000)
    page.wait_for_selector("#dcc-store-clean-note:has-text('Heavy store')")
    reader_calls(page, at_least=4)
    assert visit_up(page) > 3 * first  # 50,000 rows upload 2.5× more, on top of the first round
    wait_for_element(page, f"#lab-meters-{CLEAN} .lab-meter-recomputes .lab-meter-value", "el.textContent === '2'",
                     timeout=10_000)
    assert page.errors == []


def test_dcst002_local_storage_survives_a_reload(page, server):
    """With local storage chosen, a reload does not run the clean step again, and the readers still
    upload the store; the quota is measured and shown."""
    page.goto(server.url + "/dcc-store")
    page.wait_for_selector("#dcc-store-clean-note:has-text('Cleaned 20,000 rows')", timeout=20_000)
    page.click("label:has-text('local')")
    page.wait_for_selector("#dcc-store-clean-note:has-text('kept in local')", timeout=20_000)
    page.wait_for_selector("#dcc-store-tanks .ds-tank-active:has-text('localStorage')")
    assert page.evaluate("localStorage.getItem('dcc-store-data-local').length") > 900_000
    assert "M characters this browser allows per site" in page.inner_text("#dcc-store-tanks")

    page.reload()
    page.wait_for_selector("#dcc-store-clean-note:has-text('Not cleaned again')", timeout=20_000)
    wait_for_journey(page)
    assert "the browser had kept it" in page.inner_text("#dcc-store-journey")
    page.wait_for_selector("#dcc-store-read-graph-note:has-text('20,000 rows')")
    page.wait_for_timeout(1_200)  # a snapshot tick: the count must stay at zero for this visit
    assert page.inner_text(f"#lab-meters-{CLEAN} .lab-meter-recomputes .lab-meter-value") == "0"
    assert page.errors == []


def test_dcst003_a_store_over_the_quota_stays_in_memory(page, server):
    """With most of localStorage already used, a 50,000-row store does not fit: the page says so,
    keeps it in memory, and Chromium never throws QuotaExceededError into the console."""
    page.goto(server.url + "/dcc-store")
    page.wait_for_selector("#dcc-store-clean-note:has-text('Cleaned')", timeout=20_000)
    page.evaluate("localStorage.setItem('another-app-on-this-site', 'x'.repeat(3500000))")
    page.reload()
    page.wait_for_selector("#dcc-store-clean-note:has-text('Cleaned 20,000 rows')", timeout=20_000)
    page.click("label:has-text('50,000')")
    page.wait_for_selector("#dcc-store-clean-note:has-text('Cleaned 50,000 rows')", timeout=20_000)
    page.click("label:has-text('local')")
    page.wait_for_selector("#dcc-store-clean-note:has-text('Too big for localStorage')", timeout=20_000)
    page.wait_for_selector("#dcc-store-tanks .ds-tank-active:has-text('memory')")
    assert page.evaluate("localStorage.getItem('dcc-store-data-local')") in (None, "null")
    page.wait_for_selector("#dcc-store-read-graph-note:has-text('50,000 rows')")
    assert page.errors == []


def test_dcst004_what_chromium_does_past_the_quota(page, server):
    """The page's claim, checked on the real page: when a dcc.Store's write does not fit (here the
    storage fills up after the page measured it, so the guard lets it through), Chromium throws
    QuotaExceededError and the write is lost: the page draws the new data, which Dash keeps in
    memory, while the browser's storage keeps the old value."""
    page.goto(server.url + "/dcc-store")
    page.wait_for_selector("#dcc-store-clean-note:has-text('Cleaned 20,000 rows')", timeout=20_000)
    page.click("label:has-text('local')")
    page.wait_for_selector("#dcc-store-clean-note:has-text('kept in local')", timeout=20_000)
    reader_calls(page, at_least=4)
    saved = page.evaluate("localStorage.getItem('dcc-store-data-local')")
    assert len(saved) > 900_000
    page.evaluate("localStorage.setItem('another-app-on-this-site', 'x'.repeat(3500000))")  # after the probe

    page.click("label:has-text('50,000')")
    page.wait_for_selector("#dcc-store-read-graph-note:has-text('drawn from 50,000 rows')", timeout=20_000)
    assert any("QuotaExceededError" in error for error in page.errors), page.errors
    assert page.evaluate("localStorage.getItem('dcc-store-data-local')") == saved  # the write was lost
