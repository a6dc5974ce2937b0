"""The workshop layer in a real headless Chromium: the page speaks the browser's language, the
EN · ES switch is remembered across pages and reloads, and every lesson carries its "Why" line,
its "Try this" steps and a three-question self-check whose answers explain themselves."""

import pytest
from babel.support import Translations

import app  # noqa: F401  (fills dash.page_registry in this process)
from components.shell import lesson_pages
from lab.i18n import TRANSLATIONS

pytestmark = pytest.mark.browser

HOME_TITLE = "Several callbacks need the same expensive result. Where do you keep it?"
SPANISH = Translations.load(str(TRANSLATIONS), ["es"])


def es(text: str) -> str:
    """The catalog's Spanish for `text`; a test of the page, not of the catalog, so an
    untranslated text fails here too."""
    translated = SPANISH.gettext(text)
    assert translated != text, f"no Spanish for {text!r}"
    return translated


@pytest.fixture(scope="module")
def server(module_server):
    return module_server(workers=2)


@pytest.fixture
def visit(browser):
    """Open pages in a fresh browser whose language is `lang` (its locale and Accept-Language)."""
    contexts = []

    def open_(url: str, lang: str):
        ctx = browser.new_context(locale=lang, extra_http_headers={"Accept-Language": f"{lang},{lang[:2]};q=0.9"},
                                  viewport={"width": 1280, "height": 900})
        contexts.append(ctx)
        tab = ctx.new_page()
        tab.set_default_timeout(15_000)
        tab.goto(url)
        tab.wait_for_selector("#lab-main h1")
        return tab

    yield open_
    for ctx in contexts:
        ctx.close()


def test_ws001_a_browser_that_asks_for_spanish_gets_a_spanish_page(server, visit):
    """Accept-Language es-ES: <html lang="es">, the overview's question and the navbar in Spanish."""
    tab = visit(server.url + "/", "es-ES")
    assert tab.get_attribute("html", "lang") == "es"
    assert tab.inner_text("#lab-main h1") == es(HOME_TITLE)
    assert es("Overview") in tab.inner_text(".lab-navbar")


def test_ws002_english_by_default(server, visit):
    """A browser that asks for English (or anything the lab does not speak) gets English."""
    for lang in ("en-US", "de-DE"):
        tab = visit(server.url + "/", lang)
        assert tab.get_attribute("html", "lang") == "en"
        assert tab.inner_text("#lab-main h1") == HOME_TITLE


def test_ws003_the_switch_is_remembered_across_pages_and_reloads(server, visit):
    """ES in the navbar: this page, the next page (client-side navigation), a reload and a new
    address are all Spanish, until EN is chosen again."""
    tab = visit(server.url + "/", "en-US")
    tab.click(".lab-langs a[lang=es]")
    tab.wait_for_function("document.documentElement.lang === 'es'")
    assert tab.inner_text("#lab-main h1") == es(HOME_TITLE)
    lesson = lesson_pages()[4]
    tab.click(f".lab-navbar a[href='{lesson['relative_path']}']")
    tab.wait_for_selector(f"#{lesson['pattern']} h1")
    kicker = tab.inner_text(f"#{lesson['pattern']} .lab-kicker")
    assert kicker.upper().startswith(es("Lesson %(number)s · %(name)s").split("%")[0].upper()), kicker
    tab.reload()
    tab.wait_for_selector(f"#{lesson['pattern']} h1")
    assert tab.get_attribute("html", "lang") == "es"
    tab.goto(server.url + "/compare")
    tab.wait_for_selector("#lab-main h1")
    assert tab.get_attribute("html", "lang") == "es"
    assert any(c["name"] == "lab_lang" and c["value"] == "es" for c in tab.context.cookies())
    tab.click(".lab-langs a[lang=en]")
    tab.wait_for_function("document.documentElement.lang === 'en'")
    assert tab.url.endswith("/compare")


def _check_every_answer(tab, pattern: str) -> list[list[bool]]:
    """Choose every answer of every question in turn; return which ones the page called right,
    after checking that each shows a verdict in words and an explanation."""
    verdicts = []
    blocks = tab.locator(f"#{pattern}-check .lab-check-block")
    for q in range(blocks.count()):
        block = blocks.nth(q)
        labels = block.locator(".lab-check-options label")
        feedback = block.locator(".lab-check-feedback")
        rights = []
        for a in range(labels.count()):
            labels.nth(a).click()
            tab.wait_for_function("el => el.innerText.trim().length > 0", arg=feedback.element_handle())
            said = feedback.inner_text().strip()
            assert said[0] in "✓✗", said
            assert len(said) > 25, f"the answer does not explain itself: {said!r}"
            rights.append(said.startswith("✓"))
            assert ("lab-check-right" in feedback.get_attribute("class")) == rights[-1]
        verdicts.append(rights)
    return verdicts


@pytest.mark.parametrize("lesson", [p["relative_path"] for p in lesson_pages()])
def test_ws004_every_lesson_has_why_try_this_and_a_self_check(server, visit, lesson):
    """A "Why:" line, two or three "Try this" steps each saying what to expect, and three
    questions with exactly one right answer each, every answer explaining itself."""
    page = next(p for p in lesson_pages() if p["relative_path"] == lesson)
    tab = visit(server.url + lesson, "en-US")
    assert tab.inner_text(f"#{page['pattern']} .lab-why").startswith("Why:")
    steps = tab.locator(f"#{page['pattern']}-try .lab-try-steps > li")
    assert 2 <= steps.count() <= 3
    for i in range(steps.count()):
        assert "→" in steps.nth(i).inner_text()
    verdicts = _check_every_answer(tab, page["pattern"])
    assert len(verdicts) == 3
    assert all(len(rights) >= 2 and sum(rights) == 1 for rights in verdicts), verdicts


def test_ws005_the_self_check_speaks_spanish_too(server, visit):
    """In Spanish the verdicts and explanations come from the catalogs."""
    page = lesson_pages()[1]
    tab = visit(server.url + page["relative_path"], "es-ES")
    assert tab.inner_text(f"#{page['pattern']} .lab-why").startswith(es("Why:"))
    assert tab.inner_text(f"#{page['pattern']}-try").startswith(es("Try this"))
    block = tab.locator(f"#{page['pattern']}-check .lab-check-block").first
    block.locator(".lab-check-options label").first.click()
    feedback = block.locator(".lab-check-feedback")
    tab.wait_for_function("el => el.innerText.trim().length > 0", arg=feedback.element_handle())
    said = feedback.inner_text()
    assert "Correcto." in said or "No del todo." in said, said


def test_ws006_the_guide_leads_to_every_lesson_its_try_this_and_its_self_check(server, visit):
    """The overview's "which pattern?" guide links each question to a lesson, its "Try this" and its
    self-check; following a self-check link lands on the self-check."""
    tab = visit(server.url + "/", "en-US")
    hrefs = tab.eval_on_selector_all(".lab-guide a", "els => els.map(e => e.getAttribute('href'))")
    for page in lesson_pages():
        for suffix in ("", f"#{page['pattern']}-try", f"#{page['pattern']}-check"):
            assert page["relative_path"] + suffix in hrefs, (page["relative_path"], suffix)
    target = lesson_pages()[2]
    tab.click(f".lab-guide a[href='{target['relative_path']}#{target['pattern']}-check']")
    tab.wait_for_selector(f"#{target['pattern']}-check")
    tab.wait_for_function(f"""() => {{ const box = document.getElementById('{target["pattern"]}-check')
                                         .getBoundingClientRect();
                                     return box.top < window.innerHeight && box.bottom > 0; }}""")
