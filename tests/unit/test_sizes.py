"""Byte counts read the same on a page and in a meter (lab.sizes mirrors formatBytes in lab.js)."""

import json

import pytest

from lab.sizes import human_bytes, json_size, ratio


@pytest.mark.parametrize("n, text", [
    (None, "—"), (0, "0 B"), (999, "999 B"), (1000, "1.00 KB"), (1234, "1.23 KB"), (12_345, "12.3 KB"),
    (123_456, "123 KB"), (999_999, "1000 KB"), (1_000_000, "1.00 MB"), (4_558_204, "4.56 MB"),
    (13_700_000, "13.7 MB"), (2_500_000_000, "2.50 GB"), (7_000_000_000_000, "7000 GB"),
])
def test_human_bytes_uses_decimal_units_like_the_meters(n, text):
    assert human_bytes(n) == text


def test_json_size_is_compact_json_as_the_browser_writes_it():
    value = {"columns": ["date", "fruit"], "data": [["2026-01-01", "figs"], ["2026-01-02", "apples"]], "x": 0.57}
    compact = '{"columns":["date","fruit"],"data":[["2026-01-01","figs"],["2026-01-02","apples"]],"x":0.57}'
    assert json_size(value) == len(compact)
    assert json_size("a\"b") == len(json.dumps("a\"b")) == 6  # a string is quoted and escaped again


def test_ratio():
    assert ratio(10, 4) == 2.5
    assert ratio(10, 0) is None and ratio(0, 5) is None
