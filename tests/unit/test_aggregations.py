"""Lesson 4's plain functions: three ways to feed a graph, one figure."""

import io
import json

import pandas as pd

import app  # noqa: F401  (registers the pages)
from lab.sales import clean_sales, from_records, monthly_revenue_by_region, to_records
from lab.sizes import json_size
from pages import aggregations as lesson


def test_the_three_readers_draw_identical_figures():
    """From the rows, from the reference's subsets, from the aggregates: equal figure JSON."""
    cleaned = clean_sales(20_000)
    records = json.loads(json.dumps(to_records(cleaned)))
    packed = json.dumps({f: cleaned[cleaned["fruit"] == f].to_json(orient="split", date_format="iso")
                         for f in lesson.GRAPH_FRUITS})
    for fruit in lesson.GRAPH_FRUITS:
        me = {"type": lesson.ids.graph, "fruit": fruit}
        aggregate = json.loads(json.dumps(monthly_revenue_by_region(cleaned, fruit)))
        results = [lesson.draw_from_rows(records, me), lesson.draw_from_subsets(packed, me),
                   lesson.draw_from_aggregates(aggregate, me)]
        figures = [figure.to_plotly_json() for _, figure in results]
        assert figures[0] == figures[1] == figures[2]
        assert results[0][0] == results[1][0] == results[2][0] == lesson.drawn(aggregate)
        assert results[0][0]["values"] == 48


def test_what_each_mode_would_send_at_100k_rows():
    """The aggregates are tiny next to the rows and to the subsets (sizes of the stores' JSON)."""
    cleaned = clean_sales(100_000)
    rows = json_size(to_records(cleaned))
    packed = json.dumps({f: cleaned[cleaned["fruit"] == f].to_json(orient="split", date_format="iso")
                         for f in lesson.GRAPH_FRUITS})
    per_graph = [json_size(monthly_revenue_by_region(cleaned, f)) for f in lesson.GRAPH_FRUITS]
    assert rows > 4_000_000 and json_size(packed) > rows  # JSON in JSON: escaped again
    assert max(per_graph) < 500 and rows / sum(per_graph) > 1000


def test_fingerprint_and_receipt():
    a = {"north": [1, 2], "south": [3, 4]}
    assert lesson.fingerprint(a) == lesson.fingerprint(dict(reversed(list(a.items()))))
    assert lesson.fingerprint(a) != lesson.fingerprint({"north": [1, 2], "south": [3, 5]})
    r = lesson.receipt({"rows": 5_000, "at": 1}, "full", 5_000, {"store": {"x": [1, 2, 3]}})
    assert r["mode"] == "full" and r["rows"] == 5_000 and r["stores"] == {"store": len('{"x":[1,2,3]}')}


def test_revenue_figure_is_lean_and_stacked():
    numbers = monthly_revenue_by_region(clean_sales(5_000), "figs")
    figure = lesson.revenue_figure("figs", numbers)
    assert [trace.name for trace in figure.data] == ["north", "south", "east", "west"]
    assert figure.layout.barmode == "stack" and list(figure.data[0].y) == numbers["north"]
    assert json_size(figure.to_plotly_json()) < 2_500  # no template: the figure weighs little


def test_subsets_reader_parses_dates_read_json_style():
    cleaned = clean_sales(2_000)
    subset = pd.read_json(io.StringIO(cleaned[cleaned["fruit"] == "figs"].to_json(orient="split", date_format="iso")),
                          orient="split")
    assert pd.api.types.is_datetime64_any_dtype(subset["date"])  # why month_numbers accepts both
    assert monthly_revenue_by_region(subset, "figs") == monthly_revenue_by_region(from_records(to_records(cleaned)),
                                                                                  "figs")
