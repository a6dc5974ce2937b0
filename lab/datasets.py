"""Deterministic synthetic data for the lessons: the same inputs give the same data in every worker,
every process and every run (the reference's unseeded random data differs per worker, which hides
exactly the bugs the lessons are about).

Generating is cheap; the lessons make it "expensive" on purpose with `lab.instrument.simulate_work`.
"""

from __future__ import annotations

import datetime as dt
import zlib

import numpy as np
import pandas as pd

# -- weather (why share state) ---------------------------------------------------------------------

WEATHER_CITY = "Bogotá"


def _seed(*parts: object) -> int:
    """A stable seed from any parts (Python's hash() differs between processes)."""
    return zlib.crc32("|".join(map(str, parts)).encode())


def weather_for(day: dt.date) -> pd.DataFrame:
    """Hourly temperatures (°C) for one day: a daily cycle plus seeded noise."""
    rng = np.random.default_rng(_seed("weather", day.isoformat()))
    hours = np.arange(24)
    base = 13.5 + 2.5 * np.sin(2 * np.pi * day.timetuple().tm_yday / 365)
    cycle = 5.5 * np.sin(2 * np.pi * (hours - 9) / 24)
    temp = base + cycle + rng.normal(0, 0.7, 24)
    return pd.DataFrame({"hour": hours, "temp_c": np.round(temp, 1)})


def to_unit(temps_c: pd.Series | np.ndarray | float, unit: str):
    """Celsius to the unit asked for: `C` (unchanged) or `F`."""
    if unit == "C":
        return temps_c
    if unit == "F":
        return temps_c * 9 / 5 + 32
    raise ValueError(f"unknown unit {unit!r}: use 'C' or 'F'")


# -- fruit sales (dcc.Store, aggregations) ---------------------------------------------------------

FRUITS = ["apples", "oranges", "figs", "pineapples"]
REGIONS = ["north", "south", "east", "west"]


def fruit_sales(rows: int) -> pd.DataFrame:
    """`rows` sales of the reference's four fruits: date, fruit, region, units, price, revenue."""
    rng = np.random.default_rng(_seed("fruit", rows))
    start = np.datetime64("2026-01-01")
    fruit = rng.choice(FRUITS, rows, p=[0.4, 0.3, 0.1, 0.2])
    base_price = pd.Series({"apples": 0.6, "oranges": 0.8, "figs": 2.4, "pineapples": 3.1})[fruit].to_numpy()
    units = rng.integers(1, 40, rows)
    price = np.round(base_price * rng.uniform(0.8, 1.25, rows), 2)
    return pd.DataFrame({
        "date": start + rng.integers(0, 365, rows).astype("timedelta64[D]"),
        "fruit": fruit,
        "region": rng.choice(REGIONS, rows),
        "units": units,
        "price": price,
        "revenue": np.round(units * price, 2),
    })


# -- the server-cache lessons ----------------------------------------------------------------------


def signal_data(value: str, rows: int = 2_000) -> pd.DataFrame:
    """The cache-and-signal lesson's dataset for a dropdown value: x, y, t and a group, seeded by
    the value so every worker that computes it gets the same numbers."""
    rng = np.random.default_rng(_seed("signal", value, rows))
    t = np.arange(rows)
    x = rng.normal(0, 1, rows)
    y = 0.6 * x + rng.normal(0, 0.8, rows)
    return pd.DataFrame({"t": t, "x": x, "y": y, "walk": np.cumsum(rng.normal(0, 1, rows)),
                         "group": rng.choice(["a", "b", "c"], rows)})


def session_frame(rows: int, seed: int, created: dt.datetime) -> pd.DataFrame:
    """A session's own DataFrame: a datetime, two floats and a category, as the per-session lesson
    serializes it (JSON versus Apache Arrow)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "time": pd.date_range(created, periods=rows, freq="s"),
        "value": rng.normal(100, 15, rows),
        "ratio": rng.uniform(0, 1, rows),
        "kind": pd.Categorical(rng.choice(["alpha", "beta", "gamma", "delta"], rows)),
    })
