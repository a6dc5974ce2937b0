"""Lesson 4's engine: what each mode would send, fingerprints and receipts, the lean figure. (The
three readers drawing identical figures is in test_pages.py.)"""

import io
import json

import pandas as pd

from lab import aggregations as lesson
from lab import fingerprints
from lab.sales import clean_sales, from_records, monthly_revenue_by_region, to_records
from lab.sizes import json_size


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
    assert fingerprints.of_json(a) == fingerprints.of_json(dict(reversed(list(a.items()))))
    assert fingerprints.of_json(a) != fingerprints.of_json({"north": [1, 2], "south": [3, 5]})
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
