"""Fixtures of the unit tests."""

import pytest

from lab.settings import get_settings


@pytest.fixture
def quick_steps(monkeypatch):
    """The lessons' expensive step takes 0.05 s instead of STEP_SECONDS' default."""
    monkeypatch.setenv("STEP_SECONDS", "0.05")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("STEP_SECONDS")
    get_settings.cache_clear()
