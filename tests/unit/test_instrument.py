"""Which component a callback key names, whether it is one of the lab's own instruments, and which
lesson (pattern) it belongs to: the longest page prefix followed by '-', Pages' router as
'navigation', anything else as 'other'."""

import pytest

from lab.instrument import NAVIGATION, OTHER, PatternIndex, first_component_id, is_instrument


@pytest.mark.parametrize("key, component", [
    ("a.children", "a"),
    ("dcc-store-graph.figure", "dcc-store-graph"),
    ("..a.children...b.data..", "a"),
    ("..a.children..", "a"),
    ('{"index":1,"type":"cache-signal-graph"}.figure', "cache-signal-graph"),
    ('..{"type":"lab-meters-body","aio_id":"x"}.children..', "lab-meters-body"),
    ('..{"aio_id":["MATCH"],"type":"lab-meters-body"}.children...c.data..', "lab-meters-body"),
    ('{"index":1}.figure', '{"index":1}'),
    ("_pages_content.children", "_pages_content"),
])
def test_first_component_id(key, component):
    assert first_component_id(key) == component


@pytest.mark.parametrize("key, instrument", [
    ("lab-workers-request.data", True),
    ("..lab-snapshot.data...lab-snapshot-digest.data..", True),
    ('{"aio_id":["MATCH"],"type":"lab-meters-body"}.children', True),
    ('..{"type":"lab-meters-body","aio_id":"x"}.children..', True),
    ("overview-result.children", False),
    ("..overview-store.data...lab-x.children..", False),
    ('{"type":"overview-graph","lab":"lab-x"}.figure', False),
    ("lab.children", False),
])
def test_is_instrument(key, instrument):
    """Only keys whose first output is a `lab-…` component are the instruments' own."""
    assert is_instrument(key) is instrument


@pytest.fixture
def pattern_of():
    return PatternIndex(lambda: ["dcc-store", "dcc-store-extra", "overview"])


@pytest.mark.parametrize("key, pattern", [
    ("dcc-store-graph.figure", "dcc-store"),
    ("dcc-store.data", "dcc-store"),
    ("dcc-store-extra-x.children", "dcc-store-extra"),
    ("dcc-store-extra.data", "dcc-store-extra"),
    ("..overview-store.data...overview-fetched.children..", "overview"),
    ('{"index":2,"type":"overview-graph"}.figure', "overview"),
    ("_pages_content.children", NAVIGATION),
    (".._pages_content.children..._pages_store.data..", NAVIGATION),
    ("unknown.children", OTHER),
    ("dcc-storeX.data", OTHER),
    ("overviews.children", OTHER),
    ("xoverview-a.children", OTHER),
])
def test_pattern_index(pattern_of, key, pattern):
    assert pattern_of(key) == pattern


def test_pattern_index_reads_patterns_once_and_lazily():
    """The page registry is read on first use (after the pages are registered), then kept."""
    calls = []

    def patterns():
        calls.append(1)
        return ["alpha"]

    index = PatternIndex(patterns)
    assert calls == []
    assert index("alpha-x.children") == "alpha" and index("beta.children") == OTHER
    assert calls == [1]
