"""Lesson 1's engine: the download is counted and slow on purpose; display is free."""

import time

import pytest

from lab import why_share_state as lesson


def test_download_is_the_expensive_step(monkeypatch):
    monkeypatch.setenv("STEP_SECONDS", "0.2")
    from lab.settings import get_settings
    get_settings.cache_clear()
    try:
        t0 = time.monotonic()
        weather = lesson.download_weather("2026-06-03", "left")
        assert time.monotonic() - t0 >= 0.2
        assert len(weather) == 24
    finally:
        monkeypatch.delenv("STEP_SECONDS")
        get_settings.cache_clear()


@pytest.mark.parametrize("unit, symbol", [("C", "°C"), ("F", "°F")])
def test_summary_and_figure_follow_the_unit(unit, symbol):
    from lab.datasets import to_unit, weather_for
    import datetime as dt
    weather = weather_for(dt.date(2026, 6, 1))
    text = lesson.summary(weather, unit)
    assert text.count(symbol) == 3
    assert f"max {to_unit(weather['temp_c'], unit).max():.1f}{symbol}" in text
    figure = lesson.weather_figure(weather, unit)
    assert list(figure.data[0].y) == pytest.approx(list(to_unit(weather["temp_c"], unit)))
    assert figure.layout.yaxis.title.text == symbol
