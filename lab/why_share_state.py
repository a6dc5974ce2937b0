"""Lesson 1's engine: the slow download both versions run, and what they draw from its result."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from lab.datasets import to_unit, weather_for
from lab.i18n import _, decimal
from lab.instrument import expensive_step, simulate_work
from lab.style import TEMPLATE

PATTERN = "why-share-state"
DAYS = [dt.date(2026, 6, 1) + dt.timedelta(days=i) for i in range(7)]
UNITS = {"C": "°C", "F": "°F"}


def download_weather(day: str, side: str) -> pd.DataFrame:
    """The slow step: a simulated download of one day's hourly temperatures, counted per side."""
    with expensive_step(PATTERN, f"{side}-download"):
        simulate_work()
        return weather_for(dt.date.fromisoformat(day))


def weather_figure(weather: pd.DataFrame, unit: str) -> go.Figure:
    temps = to_unit(weather["temp_c"], unit)
    figure = go.Figure(go.Scatter(x=weather["hour"], y=temps, mode="lines+markers", line={"width": 3},
                                  hovertemplate="%{x}:00 · %{y:.1f}" + UNITS[unit] + "<extra></extra>"))
    figure.update_layout(template=TEMPLATE, height=260, margin={"l": 50, "r": 10, "t": 10, "b": 40},
                         xaxis={"title": _("hour"), "dtick": 3}, yaxis={"title": UNITS[unit]})
    return figure


def summary(weather: pd.DataFrame, unit: str) -> str:
    temps = to_unit(weather["temp_c"], unit)
    low, mean, high = (decimal(v, 1) + UNITS[unit] for v in (temps.min(), temps.mean(), temps.max()))
    return _("min %(low)s · mean %(mean)s · max %(high)s", low=low, mean=mean, high=high)
