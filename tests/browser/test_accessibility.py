"""Accessibility, measured in a real headless Chromium on every page, in both languages.

axe-core (shipped inside the axe-playwright-python package: nothing is downloaded) must find no
serious or critical violation; the main text must fit a 1280×720 projector and 200% zoom without
scrolling sideways; every control must be reachable with Tab and show where the focus is.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import TimeoutError as PlaywrightTimeout

import app  # noqa: F401  (fills dash.page_registry in this process)
from components.shell import nav_pages
from lab.i18n import LANGUAGES

pytestmark = pytest.mark.browser

PATHS = [p["relative_path"] for p in nav_pages()]
SEVERE = ("serious", "critical")


@pytest.fixture(scope="module")
def server(module_server):
    return module_server(workers=2)


@pytest.fixture(scope="module")
def axe():
    return Axe()


def _open(browser, url: str, lang: str, **context):
    ctx = browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang}, **context)
    tab = ctx.new_page()
    tab.set_default_timeout(15_000)
    tab.goto(url)
    tab.wait_for_selector("#lab-main h1")
    tab.wait_for_timeout(1500)  # the first callbacks and a snapshot tick
    return ctx, tab


def _describe(violations) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:4]]}" for v in violations)


def _assert_no_sideways_scrolling(tab, path: str) -> None:
    # Graphs follow a new window width a moment later (Plotly's resize is debounced): give the
    # layout up to 5 s to settle, then measure.
    fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    try:
        tab.wait_for_function(fits, timeout=5_000)
    except PlaywrightTimeout:
        pass
    widths = tab.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{path} is {widths[0]} px wide in a {widths[1]} px window"


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("path", PATHS)
def test_a11y001_axe_finds_no_serious_violation_and_nothing_scrolls_sideways(browser, server, axe, path, lang):
    """axe-core over the page as a learner first sees it at 1280×720; then the page's own width
    never exceeds the window, at 1280×720 and at 200% zoom (a 640×360 CSS-pixel window)."""
    ctx, tab = _open(browser, server.url + path, lang, viewport={"width": 1280, "height": 720})
    try:
        assert tab.get_attribute("html", "lang") == lang
        results = axe.run(tab)
        severe = [v for v in results.response["violations"] if v["impact"] in SEVERE]
        assert severe == [], _describe(severe)
        assert results.response["passes"], "axe ran no rule: the check itself is broken"
        _assert_no_sideways_scrolling(tab, path)
        tab.set_viewport_size({"width": 640, "height": 360})
        _assert_no_sideways_scrolling(tab, path)
    finally:
        ctx.close()


@pytest.mark.parametrize("path", PATHS)
def test_a11y003_every_control_is_reachable_by_tab_and_shows_focus(browser, server, path):
    """Tab walks through the page; every stop is a visible control with a visible focus ring."""
    ctx, tab = _open(browser, server.url + path, "en", viewport={"width": 1280, "height": 720})
    try:
        stops = []
        for _ in range(60):
            tab.keyboard.press("Tab")
            stop = tab.evaluate("""() => {
              const el = document.activeElement;
              if (!el || el === document.body) return null;
              const style = getComputedStyle(el), box = el.getBoundingClientRect();
              return {tag: el.tagName, text: (el.innerText || el.getAttribute('aria-label') || '').slice(0, 40),
                      outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
                      visible: box.width > 0 && box.height > 0};
            }""")
            if stop is None:
                break
            stops.append(stop)
        assert len(stops) >= 5, stops
        assert [s for s in stops if not s["visible"]] == [], "Tab stops on something that cannot be seen"
        assert [s for s in stops if not s["outline"]] == [], "focus is not visible on these stops"
    finally:
        ctx.close()
