"""English and Spanish: the catalogs hold every text the code marks, each translated, the compiled
catalogs match their sources, and a page asked for in Spanish comes back in Spanish."""

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from lab.i18n import LANGUAGES, TRANSLATIONS

PROJECT = TRANSLATIONS.parent
DOMAINS = {"messages": ["-F", "babel.cfg", "-k", "_", "-k", "N_", "-k", "later", "-k", "ngettext:1,2"],
           "js": ["-F", "babel-js.cfg", "-k", "t"]}
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def extracted(domain: str) -> set[str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{domain}.pot"
        CommandLineInterface().run(["pybabel", "-q", "extract", *DOMAINS[domain], "--no-location",
                                    "-o", str(out), str(PROJECT)])
        with out.open("rb") as f:
            return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def catalog(lang: str, domain: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as f:
        return read_po(f, locale=lang)


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_marked_text_is_translated(lang, domain):
    """A text in the code but not in the catalog, or in it untranslated, fails (run `make translations`)."""
    cat = catalog(lang, domain)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id}
    missing = extracted(domain) - ids
    assert not missing, f"not in the {lang} {domain} catalog (make translations): {sorted(missing)[:10]}"
    strings = lambda m: m.string if isinstance(m.string, (list, tuple)) else [m.string]  # noqa: E731 (plurals)
    untranslated = [m.id for m in cat if m.id and (not all(strings(m)) or "fuzzy" in m.flags)]
    assert not untranslated, f"untranslated in {lang}/{domain}: {untranslated[:10]}"
    for m in cat:
        if m.id:
            wanted = set(PLACEHOLDER.findall(m.id if isinstance(m.id, str) else m.id[-1]))
            for text in strings(m):
                assert set(PLACEHOLDER.findall(text)) == wanted, m.id


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_the_compiled_catalogs_match_their_sources(lang, domain):
    def key(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    with (TRANSLATIONS / lang / "LC_MESSAGES" / f"{domain}.mo").open("rb") as f:
        compiled = {key(m.id): key(m.string) for m in read_mo(f) if m.id}
    sources = {key(m.id): key(m.string) for m in catalog(lang, domain) if m.id and m.string}
    assert compiled == sources, "run `make translations` to compile the catalogs"


def test_the_datasets_names_are_marked_for_the_catalog():
    """The views translate fruits and regions by name (`_(fruit)`): each must be in the catalog."""
    from components.chips import DATA_NAMES
    from lab.datasets import FRUITS, REGIONS
    assert set(FRUITS) | set(REGIONS) <= set(DATA_NAMES)
    names = {m.id for m in catalog("es", "messages") if m.id and m.string}
    assert set(DATA_NAMES) <= names
