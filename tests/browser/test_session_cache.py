"""Lesson 6 in a real headless Chromium."""

import pytest

from tests.support import wait_for_element

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(module_server):
    return module_server(workers=4, env={"STEP_SECONDS": "0.5"})


def checksums(page):
    for n in (1, 2):
        page.wait_for_selector(f"#session-cache-out-{n} .session-cache-checksum", timeout=15_000)
    return [page.inner_text(f"#session-cache-out-{n} .session-cache-checksum") for n in (1, 2)]


def test_sess001_both_outputs_show_the_same_data(page, server):
    """The page renders; its two outputs read one computation of the session's data."""
    page.goto(server.url + "/session-cache")
    first, second = checksums(page)
    assert first == second
    assert page.inner_text("#session-cache-out-1 .session-cache-created") == \
        page.inner_text("#session-cache-out-2 .session-cache-created")
    wait_for_element(page, "#lab-meters-session-cache-out .lab-meter-recomputes .lab-meter-value",
                     "el.textContent === '1'", timeout=10_000)
    assert page.errors == []


def test_sess002_a_second_session_shows_different_data(page, server):
    """A second tab is a second session: other data; each tab keeps its own."""
    page.goto(server.url + "/session-cache")
    mine = checksums(page)[0]
    other = page.context.new_page()
    other.goto(server.url + "/session-cache")
    theirs = checksums(other)[0]
    assert theirs != mine
    page.click("#session-cache-get")
    page.wait_for_selector("#session-cache-out-1:has-text('clicked 1 time')")
    assert checksums(page)[0] == mine
    page.click("#session-cache-other-start")
    page.wait_for_selector("#session-cache-other .session-cache-checksum")
    assert page.inner_text("#session-cache-other .session-cache-checksum") not in (mine, theirs)
    other.close()
    assert page.errors == []


def test_sess003_a_forged_id_is_refused(page, server):
    """A tampered session id is refused with a clear message."""
    page.goto(server.url + "/session-cache")
    checksums(page)
    page.click("#session-cache-forge-tampered")
    page.wait_for_selector("#session-cache-forged .session-cache-refused:has-text('not issued by this server')")
    assert page.errors == []
