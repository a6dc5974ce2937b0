"""The one workload every pattern of the comparison runs: the data, the expensive step, what the
readers show, and the scripted users.

A user picks a shop; a shop's year of sales (`rows` orders, 8 columns) takes the expensive step
to produce. Two reader callbacks show what the user picked: the year's revenue in a currency
(the display-only option) and the best month. Each reader reports a *reading*: the shop its data
belongs to and a fingerprint of the 12 monthly totals it drew, so the runner can tell, for every
reader, whether it showed the user's own pick (correct), another user's (a leak), or nothing.

Plain, deterministic functions: the same shop and size give the same numbers in every worker and
in the runner, which computes the expected fingerprint on its own side.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

SHOPS = tuple("ABCDEFGHIJKLMNOPQ")  # enough for MAX_USERS users: one popular shop + one each for the rest
ROW_CHOICES = (1_000, 10_000, 100_000)  # the sizes offered; nothing else is accepted (bounded work)
DEFAULT_ROWS = 10_000
CURRENCIES = {"EUR": 1.0, "USD": 1.08}  # the display-only option: a conversion, no new data
FIRST_CURRENCY, SECOND_CURRENCY = "EUR", "USD"
MIN_USERS, MAX_USERS, DEFAULT_USERS = 2, 16, 8
MONTHS = [calendar.month_abbr[m] for m in range(1, 13)]
REGIONS = ("north", "south", "east", "west")
PRODUCTS = ("espresso", "latte", "cappuccino", "mocha", "tea", "chai", "scone", "croissant", "muffin",
            "bagel", "juice", "water")
CHANNELS = ("counter", "app", "delivery")
COLUMNS = ("date", "region", "product", "channel", "customer", "units", "price", "revenue")


# -- checks, before any work ------------------------------------------------------------------


def check_shop(shop) -> str:
    if shop not in SHOPS:
        raise ValueError(f"unknown shop {str(shop)[:20]!r}: pick one of {', '.join(SHOPS)}")
    return shop


def check_rows(rows) -> int:
    if isinstance(rows, bool) or rows not in ROW_CHOICES:
        raise ValueError(f"rows must be one of {', '.join(f'{n:,}' for n in ROW_CHOICES)}")
    return rows


def check_currency(currency) -> str:
    if currency not in CURRENCIES:
        raise ValueError(f"unknown currency {str(currency)[:20]!r}: use {' or '.join(CURRENCIES)}")
    return currency


# -- the data --------------------------------------------------------------------------------


def shop_sales(shop: str, rows: int) -> pd.DataFrame:
    """A shop's year of orders: date, region, product, channel, customer, units, price, revenue.
    Cheap to make; the lessons make it expensive on purpose (`simulate_work`)."""
    rng = np.random.default_rng(zlib.crc32(f"compare|{check_shop(shop)}|{check_rows(rows)}".encode()))
    product = rng.integers(0, len(PRODUCTS), rows)
    units = rng.integers(1, 12, rows)
    price = np.round(np.linspace(1.5, 6.0, len(PRODUCTS))[product] * rng.uniform(0.9, 1.15, rows), 2)
    days = np.datetime64("2026-01-01") + np.sort(rng.integers(0, 365, rows)).astype("timedelta64[D]")
    return pd.DataFrame({
        "date": pd.to_datetime(days).strftime("%Y-%m-%d"),
        "region": np.array(REGIONS)[rng.integers(0, len(REGIONS), rows)],
        "product": np.array(PRODUCTS)[product],
        "channel": np.array(CHANNELS)[rng.choice(len(CHANNELS), rows, p=[0.6, 0.3, 0.1])],
        "customer": rng.integers(10_000, 99_999, rows),
        "units": units,
        "price": price,
        "revenue": np.round(units * price, 2),
    })


def to_columns(frame: pd.DataFrame) -> dict[str, list]:
    """A table as JSON-ready column lists (what a dcc.Store holds)."""
    return {column: frame[column].tolist() for column in frame.columns}


def from_columns(columns: dict[str, list]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def monthly_revenue(frame: pd.DataFrame) -> list[int]:
    """What both readers draw: the revenue of each month, in whole units (12 integers, summed in
    cents, so a table that went through JSON gives the very same numbers)."""
    months = pd.to_datetime(frame["date"], format="%Y-%m-%d").dt.month
    cents = (frame["revenue"] * 100).round().astype("int64")
    totals = cents.groupby(months).sum().reindex(range(1, 13), fill_value=0)
    return [int((c + 50) // 100) for c in totals]


def fingerprint(monthly: list[int]) -> str:
    """A short digest of the 12 numbers a reader drew: equal fingerprints, equal figures."""
    return hashlib.blake2b(json.dumps(monthly).encode(), digest_size=4).hexdigest()


def expected_fingerprint(shop: str, rows: int) -> str:
    """What every reader of a user who picked `shop` must report (computed by the runner)."""
    return fingerprint(monthly_revenue(shop_sales(shop, rows)))


# -- what the readers show --------------------------------------------------------------------


def read_total(shop: str | None, monthly: list[int] | None, currency: str) -> dict:
    """The "year's revenue" reader: the total in `currency`."""
    if shop is None or monthly is None:
        return {"shop": None, "fp": None, "shown": "nothing to show"}
    amount = sum(monthly) * CURRENCIES[check_currency(currency)]
    return {"shop": shop, "fp": fingerprint(monthly), "shown": f"{amount:,.0f} {currency}"}


def read_best_month(shop: str | None, monthly: list[int] | None) -> dict:
    """The "best month" reader."""
    if shop is None or monthly is None:
        return {"shop": None, "fp": None, "shown": "nothing to show"}
    best = max(range(12), key=monthly.__getitem__)
    return {"shop": shop, "fp": fingerprint(monthly), "shown": f"{MONTHS[best]}"}


# -- the scripted users -----------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    number: int  # 1, 2, …: also the order in which their first requests reach the server
    shop: str


def scripted_users(count: int) -> list[User]:
    """`count` users: the first half (rounded up) all pick the popular shop A, each of the others a
    shop of their own. Some users share a value, some do not, and the popular shop's users reach
    the server first, so with W workers the first W of them ask for A at the same moment."""
    if not MIN_USERS <= count <= MAX_USERS:
        raise ValueError(f"users must be from {MIN_USERS} to {MAX_USERS}")
    popular = (count + 1) // 2
    return [User(i + 1, SHOPS[0] if i < popular else SHOPS[i - popular + 1]) for i in range(count)]
