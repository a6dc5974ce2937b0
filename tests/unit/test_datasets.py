"""The lessons' synthetic data is deterministic: the same inputs give the same data in any process."""

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from lab.datasets import FRUITS, fruit_sales, session_frame, signal_data, to_unit, weather_for


def test_weather_is_deterministic_and_plausible():
    day = dt.date(2026, 6, 1)
    a, b = weather_for(day), weather_for(day)
    pd.testing.assert_frame_equal(a, b)
    assert list(a["hour"]) == list(range(24)) and a["temp_c"].between(-5, 35).all()
    assert not weather_for(dt.date(2026, 6, 2)).equals(a)


def test_weather_is_the_same_in_another_process():
    """Seeds come from crc32, not hash(): another interpreter computes the very same numbers."""
    code = "import datetime as d; from lab.datasets import weather_for; print(weather_for(d.date(2026,6,1)).temp_c.tolist())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == str(weather_for(dt.date(2026, 6, 1)).temp_c.tolist())


@pytest.mark.parametrize("celsius, fahrenheit", [(0, 32), (100, 212), (-40, -40), (21.5, 70.7)])
def test_to_unit(celsius, fahrenheit):
    assert to_unit(celsius, "C") == celsius
    assert to_unit(celsius, "F") == pytest.approx(fahrenheit)
    with pytest.raises(ValueError, match="unknown unit 'K'"):
        to_unit(celsius, "K")


def test_fruit_sales():
    df = fruit_sales(5_000)
    assert len(df) == 5_000 and set(df["fruit"]) == set(FRUITS)
    assert list(df.columns) == ["date", "fruit", "region", "units", "price", "revenue"]
    assert np.allclose(df["revenue"], (df["units"] * df["price"]).round(2))
    pd.testing.assert_frame_equal(df, fruit_sales(5_000))


def test_signal_data_depends_on_the_value_only():
    pd.testing.assert_frame_equal(signal_data("a"), signal_data("a"))
    assert not signal_data("a").equals(signal_data("b"))


def test_session_frame_types():
    df = session_frame(1_000, seed=7, created=dt.datetime(2026, 11, 24, 12))
    assert str(df["time"].dtype).startswith("datetime64") and df["time"].iloc[0] == pd.Timestamp("2026-11-24 12:00")
    assert df["value"].dtype == "float64" and df["ratio"].dtype == "float64"
    assert isinstance(df["kind"].dtype, pd.CategoricalDtype)
