"""Lesson 7's engine and views, without the app: the series any worker rebuilds, what a Patch
appends, the figure the browser converts, the table kept under a key, and the browser code the
page shows."""

import json

import plotly.io.json as plotly_json
import pytest

from components.send_less_views import js_function
from lab import send_less as lesson
from lab.sales import from_records, to_records


def test_points_are_the_same_whichever_slice_computes_them():
    """A worker that only knows the length computes exactly the readings the browser holds."""
    x, y = lesson.points(0, 1_000)
    x2, y2 = lesson.points(400, 1_000)
    assert x[400:] == x2 and y[400:] == y2
    assert x == list(range(1_000)) and all(isinstance(v, float) for v in y)
    assert all(round(v, 2) == v for v in y)
    with pytest.raises(ValueError):
        lesson.points(5, 4)


def test_whole_figure_equals_the_base_figure_extended_by_the_patch():
    """Applying the Patch's new readings to the figure the browser holds gives the whole figure."""
    held = lesson.series_figure(lesson.BASE_POINTS)
    new_length, kind = lesson.next_length(lesson.BASE_POINTS, 100)
    assert (new_length, kind) == (lesson.BASE_POINTS + 100, "append")
    x, y = lesson.extension(lesson.BASE_POINTS, new_length)
    assert len(x) == len(y) == 100
    held["data"][0]["x"].extend(x)
    held["data"][0]["y"].extend(y)
    assert held == lesson.series_figure(new_length)


def test_the_patch_payload_is_hundreds_of_times_smaller_than_the_whole_figure():
    """Serialized as Dash serializes them (plotly's JSON), before any compression."""
    whole = plotly_json.to_json_plotly(lesson.series_figure(lesson.BASE_POINTS + 100))
    x, y = lesson.extension(lesson.BASE_POINTS, lesson.BASE_POINTS + 100)
    patch = json.dumps({"x": x, "y": y})
    assert len(whole) > 1_000_000 and len(whole) / len(patch) > 500
    assert '"bdata"' not in whole  # plain lists: what Patch.extend appends to


@pytest.mark.parametrize("length, append, expected", [
    (None, 100, (lesson.BASE_POINTS, "load")),
    (lesson.BASE_POINTS, 1000, (lesson.BASE_POINTS + 1000, "append")),
    (lesson.MAX_POINTS - 10, 10, (lesson.MAX_POINTS, "append")),
    (lesson.MAX_POINTS - 10, 100, (lesson.BASE_POINTS, "load")),  # full: starts again
])
def test_next_length(length, append, expected):
    assert lesson.next_length(length, append) == expected


def test_grow_receipt_names_what_the_click_did():
    receipt = lesson.grow_receipt("patch", "append", 100_100, 100)
    assert {k: receipt[k] for k in ("side", "kind", "length", "append")} == {
        "side": "patch", "kind": "append", "length": 100_100, "append": 100}
    assert receipt["t"] > 0


@pytest.mark.parametrize("unit, symbol", [("C", "°C"), ("F", "°F")])
def test_unit_figure_follows_the_unit(unit, symbol):
    data = lesson.readings()
    figure = lesson.unit_figure(data, unit)
    trace = figure.data[0]
    assert trace.meta == symbol and figure.layout.yaxis.title.text == symbol
    expected = [c * 9 / 5 + 32 if unit == "F" else c for c in data["temp_c"]]
    assert list(trace.y) == pytest.approx(expected, abs=0.005)


def test_convert_on_server_counts_one_execution_per_conversion():
    figure = lesson.convert_on_server("F")
    assert figure.data[0].meta == "°F"


class DictCache:
    """The two calls table_from_cache makes of flask-caching's cache."""

    def __init__(self):
        self.items, self.sets = {}, 0

    def get(self, key):
        return self.items.get(key)

    def set(self, key, value):
        self.sets += 1
        self.items[key] = value


def test_the_table_is_kept_under_its_key_and_rebuilt_on_a_miss():
    cache = DictCache()
    first = lesson.table_from_cache(cache, 10_000)
    assert list(cache.items) == [lesson.cache_key(10_000)] and cache.sets == 1
    assert lesson.table_from_cache(cache, 10_000) is first and cache.sets == 1  # a hit builds nothing
    cache.items.clear()  # expired, or evicted
    again = lesson.table_from_cache(cache, 10_000)
    assert cache.sets == 2 and again.equals(first)
    with pytest.raises(ValueError):
        lesson.sales_table(12_345, "store")


def test_both_reading_sides_answer_the_same():
    """From the table after a JSON round trip (the store side) and from the server's copy (the key side)."""
    table = lesson.sales_table(10_000, "store")
    through_json = from_records(json.loads(json.dumps(to_records(table))))
    for region in ("north", "west"):
        mine = lesson.region_summary(through_json, region)
        assert mine == lesson.region_summary(table, region)
        assert mine["rows"] == 10_000 and 0 < mine["sales"] < 10_000 and mine["revenue_cents"] > 0
        text = lesson.summary_text(mine)
        assert text.startswith(f"Revenue in {region}: ") and "of 10,000 sales" in text
    with pytest.raises(ValueError):
        lesson.region_summary(table, "atlantis")
    receipt = lesson.read_receipt("key", mine)
    assert receipt["summary"] == mine and receipt["rows"] == 10_000


def test_the_browser_code_shown_is_the_assets_own():
    source = js_function("toUnit")
    assert source.startswith("function toUnit(unit, data, figure, count) {") and source.endswith("}")
    assert "convert(data.temp_c, unit)" in source
    with pytest.raises(LookupError):
        js_function("noSuchFunction")
