"""The sales data of lessons 2–4: cleaned deterministically, aggregated exactly, whatever the route."""

import io
import json

import pandas as pd
import pytest

from lab.datasets import FRUITS, REGIONS, fruit_sales
from lab.sales import (
    ALL,
    MONTHS,
    clean_sales,
    from_records,
    monthly_revenue_by_region,
    monthly_sales,
    region_totals,
    to_records,
    weekly_revenue,
)


def test_clean_sales_sorts_by_day_and_filters_one_fruit():
    every = clean_sales(5_000)
    assert len(every) == 5_000 and list(every.index) == list(range(5_000))
    assert every["date"].is_monotonic_increasing and every["date"].str.fullmatch(r"2026-\d\d-\d\d").all()
    figs = clean_sales(5_000, "figs")
    assert set(figs["fruit"]) == {"figs"} and len(figs) == (fruit_sales(5_000)["fruit"] == "figs").sum()
    assert list(figs.index) == list(range(len(figs)))
    with pytest.raises(ValueError, match="unknown fruit 'kiwis'"):
        clean_sales(100, "kiwis")


def test_records_round_trip_exactly():
    df = clean_sales(2_000)
    records = to_records(df)
    assert set(records) == {"columns", "data"} and len(records["data"]) == 2_000
    back = from_records(json.loads(json.dumps(records)))
    pd.testing.assert_frame_equal(back, df, check_dtype=False)


def test_monthly_sales_has_every_month_and_adds_up():
    df = clean_sales(20_000, "figs")
    monthly = monthly_sales(df)
    assert list(monthly["month"]) == MONTHS
    assert monthly["units"].sum() == df["units"].sum()
    assert monthly["revenue"].sum() == pytest.approx(df["revenue"].sum(), abs=0.01)


def test_monthly_revenue_by_region_is_48_integers_that_add_up():
    df = clean_sales(20_000)
    numbers = monthly_revenue_by_region(df, "apples")
    assert list(numbers) == REGIONS and all(len(v) == 12 for v in numbers.values())
    assert all(isinstance(x, int) for v in numbers.values() for x in v)
    total = sum(sum(v) for v in numbers.values())
    assert abs(total - df.loc[df["fruit"] == "apples", "revenue"].sum()) <= 48 * 0.5  # whole units, per cell


@pytest.mark.parametrize("rows", [5_000, 100_000])
def test_aggregates_are_identical_after_any_json_route(rows):
    """From the table, from its records, or from the reference's JSON-in-JSON subsets: the same numbers."""
    df = clean_sales(rows)
    via_records = from_records(json.loads(json.dumps(to_records(df))))
    packed = json.dumps({f: df[df["fruit"] == f].to_json(orient="split", date_format="iso") for f in FRUITS})
    for fruit in FRUITS:
        subset = pd.read_json(io.StringIO(json.loads(packed)[fruit]), orient="split")
        expected = monthly_revenue_by_region(df, fruit)
        assert monthly_revenue_by_region(via_records, fruit) == expected
        assert monthly_revenue_by_region(subset, fruit) == expected


def test_weekly_revenue_and_region_totals():
    df = clean_sales(10_000)
    weekly = weekly_revenue(df)
    assert set(weekly["fruit"]) == set(FRUITS) and weekly["week"].between(1, 53).all()
    assert abs(weekly["revenue"].sum() - df["revenue"].sum()) <= len(weekly) * 0.5
    totals = region_totals(df)
    assert list(totals["region"]) == REGIONS and totals["rows"].sum() == 10_000
    assert totals["units"].sum() == df["units"].sum()
    assert totals["revenue"].sum() == pytest.approx(df["revenue"].sum(), abs=0.01)
    assert ALL == "all"
