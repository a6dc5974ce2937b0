"""Lesson 7 in a real headless Chromium."""

import re

import pytest

from tests.support import wait_for_element

pytestmark = pytest.mark.browser
P = "send-less"
UNITS = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9}


@pytest.fixture(scope="module")
def server(module_server):
    return module_server(workers=2, env={"STEP_SECONDS": "0"})


def in_bytes(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.,]+) (B|KB|MB|GB)", text.strip()).groups()
    return float(number.replace(",", "")) * UNITS[unit]


def readings(page, side: str, count: int):
    wait_for_element(page, f"#{P}-grow-{side}-graph .js-plotly-plot",
                     "el.data && el.data.length > 0 && el.data[0].x && el.data[0].x.length === arg", count, timeout=20_000)


def test_sl001_page_renders(page, server):
    """The page renders without errors: three comparisons, both growing graphs at 100,000 readings."""
    page.goto(server.url + "/send-less")
    page.wait_for_selector("h1:has-text('send only what changed')")
    for title in ("A figure that grows", "A change only the display needs", "A large store, or only its key"):
        page.wait_for_selector(f"h2:has-text('{title}')")
    readings(page, "whole", 100_000)
    readings(page, "patch", 100_000)
    page.wait_for_selector(f"#{P}-read-key-result:has-text('Revenue in north')")
    page.wait_for_selector(f"#{P}-read-compare:has-text('same answer on both sides')", timeout=15_000)
    assert page.errors == []


def test_sl002_patch_meter_shows_fewer_bytes_down_and_the_ratio(page, server):
    """After one click, the Patch side's meter shows fewer bytes down, and the page's ratio is ≥ 100×."""
    page.goto(server.url + "/send-less")
    readings(page, "patch", 100_000)
    readings(page, "whole", 100_000)
    page.click(f"#{P}-grow-append")
    readings(page, "patch", 100_100)
    readings(page, "whole", 100_100)
    wait_for_element(page, f"#{P}-grow-compare .sl-headline-number", "el.textContent.endsWith('×')")
    ratio = int(page.inner_text(f"#{P}-grow-compare .sl-headline-number").rstrip("×").replace(",", ""))
    whole = in_bytes(page.inner_text(f"#{P}-grow-compare .sl-whole-bytes"))
    patch = in_bytes(page.inner_text(f"#{P}-grow-compare .sl-patch-bytes"))
    assert ratio >= 100 and ratio == pytest.approx(whole / patch, rel=0.02)
    down = {side: in_bytes(page.inner_text(f"#lab-meters-{P}-grow-{side} .lab-meter-down .lab-meter-value"))
            for side in ("whole", "patch")}
    assert down == {"whole": whole, "patch": patch} and down["patch"] * 100 <= down["whole"]
    assert page.errors == []


def test_sl003_clientside_unit_changes_make_no_server_request(page, server):
    """Three unit changes: the server side makes three requests, the clientside side none (the browser's
    own count of requests and the server's count agree)."""
    sent = []
    page.on("request", lambda r: "_dash-update-component" in r.url and sent.append(r.post_data or ""))
    page.goto(server.url + "/send-less")
    page.wait_for_selector(f"#{P}-unit-proof .sl-proof")
    for symbol in ("°F", "°C", "°F"):
        page.click(f"#{P}-unit-label + div label:has-text('{symbol}')")
        page.wait_for_selector(f"#{P}-unit-server-graph .ytitle:has-text('{symbol}')")
        page.wait_for_selector(f"#{P}-unit-client-graph .ytitle:has-text('{symbol}')")
    wait_for_element(page, f"#{P}-unit-proof .sl-server-requests", "el.textContent === '3'", timeout=10_000)
    assert page.inner_text(f"#{P}-unit-proof .sl-client-changes") == "3"
    assert page.inner_text(f"#{P}-unit-proof .sl-client-requests").startswith("0 ✓")
    assert page.inner_text(f"#lab-meters-{P}-unit-client .lab-meter-recomputes .lab-meter-value") == "0"
    assert sum(f"{P}-unit-server" in body for body in sent) == 3
    assert not any(f"{P}-unit-client" in body for body in sent)
    same = ("(el.data || []).length > 0 && (document.querySelector(arg).data || []).length > 0 && "
            "JSON.stringify(el.data[0].y) === JSON.stringify(document.querySelector(arg).data[0].y)")
    wait_for_element(page, f"#{P}-unit-client-graph .js-plotly-plot", same, f"#{P}-unit-server-graph .js-plotly-plot")
    assert page.errors == []
