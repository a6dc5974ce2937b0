"""Languages: English (the source text) and Spanish, through gettext catalogs (Flask-Babel).

- `_("…")` translates now, in the language of the current request (outside a request: English).
  Text is translated where it is rendered (a layout function, a callback), never at import: a
  module-level constant holds the English text marked with `N_("…")` so the extractor finds it,
  and the code that shows it calls `_(CONSTANT)`.
- The language: the `lab_lang` cookie (set by `GET /lang/<code>`, the navbar's switch), else the
  browser's Accept-Language, else English.
- The browser's own text (assets/*.js) is translated with `t("…")` from a second catalog (domain
  `js`) that the index page carries as `window.labI18n`, with the language; `<html lang>` is set.
- Numbers: `decimal(value, places)` writes 1,000.5 or 1.000,5; `ago(seconds)` "3 seconds ago" /
  "hace 3 segundos".

Catalogs: `translations/<lang>/LC_MESSAGES/{messages,js}.po`, extracted from the code with
`make translations` (pybabel extract / update / compile; the compiled .mo files are committed so
that the lab runs without a build step, and a test checks they match the .po files).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from babel import Locale, numbers
from babel.dates import format_timedelta
from babel.support import Translations
from flask import Response, current_app, has_app_context, has_request_context, redirect, request
from flask_babel import Babel, get_locale
from flask_babel import gettext as _babel_gettext
from flask_babel import ngettext as _babel_ngettext

from lab.settings import PROJECT_DIR

LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT = "en"
COOKIE = "lab_lang"
TRANSLATIONS = PROJECT_DIR / "translations"
JS_DOMAIN = "js"

babel = Babel()


def _babel_here() -> bool:
    """Inside an app that has no catalogs (a test's bare Flask app), or outside any app, text stays English."""
    return has_app_context() and "babel" in current_app.extensions


def gettext(text: str, **variables) -> str:
    if _babel_here():
        return _babel_gettext(text, **variables)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    if _babel_here():
        return _babel_ngettext(singular, plural, num, **variables)
    variables.setdefault("num", num)
    return (singular if num == 1 else plural) % variables


_ = gettext
__all__ = ["_", "N_", "later", "ngettext", "current", "decimal", "ago", "init_app", "LANGUAGES"]


def N_(text: str) -> str:
    """Mark English text for the catalog without translating it (translated later, where shown)."""
    return text


def later(text: str):
    """English text for places that take a function and call it when they need the text (Dash
    pages' `title`): translated at that moment, in the request's language."""
    def translate(**_path_variables) -> str:
        return gettext(text)

    translate.text = text
    return translate


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT


def current() -> str:
    """The language of the current request ('en' outside a request)."""
    locale = get_locale() if has_request_context() else None
    return str(locale) if locale is not None and str(locale) in LANGUAGES else DEFAULT


@functools.lru_cache(maxsize=8)
def _symbols(lang: str) -> tuple[str, str]:
    return numbers.get_decimal_symbol(lang), numbers.get_group_symbol(lang)


def localize(text: str, lang: str | None = None) -> str:
    """A number written the English way (1,234.5) in the language's separators (1.234,5)."""
    dot, comma = _symbols(lang or current())
    return text.translate(str.maketrans({",": comma, ".": dot}))


def decimal(value: float, places: int = 0, lang: str | None = None) -> str:
    """`value` with `places` decimals and thousands separators, in the current language."""
    return localize(f"{value:,.{places}f}", lang)


def day(value, lang: str | None = None) -> str:
    """A date as people of the language write it: "Mon 1 Jun 2026", "lun 1 jun 2026"."""
    from babel.dates import format_date

    return format_date(value, "EEE d MMM y", locale=lang or current())


def month(abbreviation: str, lang: str | None = None) -> str:
    """An English month abbreviation ("Jan") in the language ("ene")."""
    from babel.dates import get_month_names

    english = list(get_month_names("abbreviated", locale="en").values())
    if abbreviation not in english:
        return abbreviation
    return get_month_names("abbreviated", locale=lang or current())[english.index(abbreviation) + 1]


def ago(seconds: float, lang: str | None = None) -> str:
    """"3 seconds ago" / "hace 3 segundos"."""
    return format_timedelta(-max(seconds, 0), add_direction=True, locale=lang or current(), threshold=1.0)


@functools.lru_cache(maxsize=8)
def js_messages(lang: str) -> dict[str, str]:
    """The browser's catalog for `lang`: {English: translation}, only what is translated."""
    if lang == DEFAULT:
        return {}
    catalog = Translations.load(str(TRANSLATIONS), [Locale.parse(lang)], domain=JS_DOMAIN)
    return {k: v for k, v in getattr(catalog, "_catalog", {}).items() if isinstance(k, str) and k and v}


def _index_page(response: Response) -> Response:
    """The HTML page every load starts from: its language, and the browser's catalog."""
    if response.mimetype != "text/html" or response.direct_passthrough or response.status_code != 200:
        return response
    lang = current()
    html = response.get_data(as_text=True)
    if "<html" not in html[:300]:
        return response
    payload = json.dumps({"lang": lang, "messages": js_messages(lang)}, ensure_ascii=False).replace("</", "<\\/")
    html = html.replace("<html>", f'<html lang="{lang}">', 1)
    html = html.replace("<head>", f"<head>\n<script>window.labI18n = {payload};</script>", 1)
    response.set_data(html)
    response.headers["Content-Language"] = lang
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return response


def _switch(lang: str):
    """`GET /lang/<code>?next=/path`: remember the language for this browser (a year), go back."""
    target = request.args.get("next", "/")
    if not target.startswith("/") or target.startswith("//") or len(target) > 300:
        target = "/"
    response = redirect(target)
    if lang in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def init_app(server) -> None:
    babel.init_app(server, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))
    server.after_request(_index_page)
    server.add_url_rule("/lang/<lang>", "lab_language", _switch)


def catalogs_dir() -> Path:
    return TRANSLATIONS
