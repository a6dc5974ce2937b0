"""Byte counts and durations as the lab prints them (tests/unit/test_formats.py checks that the browser's
formatters in lab.js print the same)."""

import json

import pytest

from lab.sizes import human_bytes, human_duration, json_size


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


@pytest.mark.parametrize("ms, text", [
    (0, "0.0 ms"), (4.23, "4.2 ms"), (9.96, "10.0 ms"), (10, "10 ms"), (321.4, "321 ms"), (999.4, "999 ms"),
    (1000, "1.00 s"), (3012, "3.01 s"), (12_345, "12.3 s"), (2.25, "2.3 ms"), (2.5 * 1000, "2.50 s"),
])
def test_human_duration(ms, text):
    assert human_duration(ms) == text


def test_halves_round_up_as_in_the_browser():
    assert human_bytes(1125) == "1.13 KB"  # Python's own format would write 1.12 (half to even)
    assert human_duration(2.5 * 100) == "250 ms" and human_duration(12.5) == "13 ms"
