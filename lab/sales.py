"""The fruit-sales data lessons 2–4 move between callbacks: the cleaned table (the reference's
"expensive clean step", minus the waiting), and the small aggregates the graphs actually draw.

Plain, deterministic functions: every worker computes the same numbers for the same inputs, so a
difference a lesson shows comes from where the data was kept, never from the data itself.
Revenue is summed in whole cents (integers), so an aggregate is identical to the last digit
whether it was computed from the original table or from a copy that went through JSON.
"""

from __future__ import annotations

import calendar

import pandas as pd

from lab.datasets import FRUITS, REGIONS, fruit_sales

ALL = "all"
COLUMNS = ("date", "fruit", "region", "units", "price", "revenue")  # the cleaned table, in order
MONTHS = [calendar.month_abbr[m] for m in range(1, 13)]  # Jan … Dec


def clean_sales(rows: int, fruit: str = ALL) -> pd.DataFrame:
    """`rows` sales sorted by date, dates as ISO days (`2026-03-01`), only `fruit`'s rows unless ALL."""
    if fruit != ALL and fruit not in FRUITS:
        raise ValueError(f"unknown fruit {fruit!r}: use one of {FRUITS} or {ALL!r}")
    df = fruit_sales(rows).sort_values("date", kind="stable")
    df["date"] = df["date"].dt.strftime("%Y-%m-%d")
    if fruit != ALL:
        df = df[df["fruit"] == fruit]
    return df.reset_index(drop=True)


def to_records(df: pd.DataFrame) -> dict:
    """A table as JSON-ready lists, without the index: `{"columns": [...], "data": [[...], ...]}`."""
    return df.to_dict(orient="split", index=False)


def from_records(data: dict) -> pd.DataFrame:
    """The inverse of `to_records`."""
    return pd.DataFrame(data["data"], columns=data["columns"])


def month_numbers(dates: pd.Series) -> pd.Series:
    """1–12 from ISO date strings or datetimes (`pd.read_json` turns a `date` column into datetimes)."""
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = pd.to_datetime(dates, format="%Y-%m-%d")
    return dates.dt.month


def cents(revenue: pd.Series) -> pd.Series:
    """Revenue in whole cents: integers add up exactly, in any order, after any JSON round trip."""
    return (revenue * 100).round().astype("int64")


def monthly_sales(df: pd.DataFrame) -> pd.DataFrame:
    """Units and revenue per month (all 12 months, zeros where nothing sold)."""
    grouped = df.assign(month=month_numbers(df["date"]), cents=cents(df["revenue"])).groupby("month")
    table = grouped[["units", "cents"]].sum().reindex(range(1, 13), fill_value=0)
    return pd.DataFrame({
        "month": MONTHS,
        "units": table["units"].astype(int).tolist(),
        "revenue": [round(c / 100, 2) for c in table["cents"]],
    })


def monthly_revenue_by_region(df: pd.DataFrame, fruit: str) -> dict[str, list[int]]:
    """What one graph of lesson 4 draws: `fruit`'s revenue per month and region, in whole units.

    48 small integers, whatever the size of `df`: {"north": [Jan, …, Dec], "south": [...], ...}.
    """
    mine = df[df["fruit"] == fruit]
    table = (mine.assign(month=month_numbers(mine["date"]), cents=cents(mine["revenue"]))
             .groupby(["region", "month"])["cents"].sum()
             .unstack(fill_value=0)
             .reindex(index=REGIONS, columns=range(1, 13), fill_value=0))
    return {region: [int((c + 50) // 100) for c in table.loc[region]] for region in REGIONS}


def weekly_revenue(df: pd.DataFrame) -> pd.DataFrame:
    """Revenue per ISO week and fruit (whole units): the line chart of lesson 3."""
    weeks = pd.to_datetime(df["date"]).dt.isocalendar().week.astype(int)
    table = (df.assign(week=weeks, cents=cents(df["revenue"]))
             .groupby(["fruit", "week"])["cents"].sum().reset_index())
    table["revenue"] = (table["cents"] + 50) // 100
    return table[["fruit", "week", "revenue"]]


def region_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Rows, units and revenue per region: the table of lesson 3 (four rows, whatever the data size)."""
    table = (df.assign(cents=cents(df["revenue"])).groupby("region")
             .agg(rows=("units", "size"), units=("units", "sum"), cents=("cents", "sum"))
             .reindex(REGIONS, fill_value=0))
    return pd.DataFrame({
        "region": REGIONS,
        "rows": table["rows"].astype(int).tolist(),
        "units": table["units"].astype(int).tolist(),
        "revenue": [round(c / 100, 2) for c in table["cents"]],
    })
