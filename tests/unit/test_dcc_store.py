"""Lesson 3's engine and views: the clean step, the storage-quota check, the readers' data, the note."""

import json
import time

import pytest

from components import dcc_store_views as views
from lab import dcc_store as lesson
from lab.sales import clean_sales, to_records
from lab.settings import get_settings

QUOTA = {"local": {"free": 1_000_000, "used": 300, "ours": 200, "quota": 1_000_300},
         "session": {"free": 5_000_000, "used": 0, "ours": 0, "quota": 5_000_000}}


def test_clean_is_the_slow_counted_step(monkeypatch):
    monkeypatch.setenv("STEP_SECONDS", "0.05")
    get_settings.cache_clear()
    try:
        t0 = time.monotonic()
        figs = lesson.clean("figs", 5_000)
        assert time.monotonic() - t0 >= 0.05
        assert set(figs["fruit"]) == {"figs"} and 0 < len(figs) < 5_000
    finally:
        monkeypatch.delenv("STEP_SECONDS")
        get_settings.cache_clear()


def test_room_in_each_storage():
    assert lesson.room_in("memory", QUOTA) is None  # no quota the page knows of
    assert lesson.room_in("local", QUOTA) == 1_000_000 + 200 - lesson.STORAGE_ROOM_MARGIN
    assert lesson.room_in("local", {"local": None}) == 0 and lesson.room_in("session", None) == 0


@pytest.mark.parametrize("storage, size, kept", [
    ("memory", 50_000_000, "memory"),
    ("local", 900_000, "local"),
    ("local", 1_000_000, "memory"),  # does not fit: kept in memory instead of failing
    ("session", 4_900_000, "session"),
    ("session", 6_000_000, "memory"),
])
def test_where_to_keep(storage, size, kept):
    assert lesson.where_to_keep(storage, size, QUOTA) == kept


def test_already_held_only_for_the_same_choice():
    held = {"fruit": "all", "rows": 20_000, "json_bytes": 123, "kept_rows": 20_000}
    assert lesson.already_held(held, "all", 20_000)
    assert not lesson.already_held(held, "figs", 20_000) and not lesson.already_held(held, "all", 5_000)
    assert not lesson.already_held(None, "all", 20_000)


def test_readers_rebuild_the_table_from_whichever_store_holds_it():
    data = json.loads(json.dumps(to_records(clean_sales(5_000))))
    for stores in ((data, None, None), (None, data, None), (None, None, data)):
        sales = lesson.stored_sales(*stores)
        assert len(sales) == 5_000 and list(sales.columns) == data["columns"]
    assert lesson.stored_sales(None, None, None) is None
    figure = lesson.revenue_figure(sales)
    assert {trace.name for trace in figure.data} == {"apples", "oranges", "figs", "pineapples"}
    assert sum(sum(trace.y) for trace in figure.data) == pytest.approx(sales["revenue"].sum(), abs=len(data["data"]))
    table = str(views.totals_table(sales))
    assert all(region in table for region in ("north", "south", "east", "west"))


def note_text(receipt) -> str:
    return " ".join(str(line) for line in views.clean_note(receipt))


def test_clean_note_warns_when_heavy_and_when_too_big():
    base = {"fruit": "all", "rows": 100_000, "storage": "memory", "kept_in": "memory", "skipped": False,
            "json_bytes": 4_558_204, "kept_rows": 100_000, "room": None}
    text = note_text(base)
    assert "Cleaned 100,000 rows of all fruits" in text and "4.56 MB" in text and "Heavy store" in text
    figs = note_text({**base, "fruit": "figs", "kept_rows": 10_012, "json_bytes": 456_000})
    assert "Cleaned 100,000 rows, kept the 10,012 of figs" in figs and "456 KB" in figs and "Heavy" not in figs
    small = note_text({**base, "rows": 5_000, "kept_rows": 5_000, "json_bytes": 228_000})
    assert "Heavy store" not in small and "Too big" not in small
    too_big = note_text({**base, "storage": "local", "room": 2_741_845})
    assert "Too big for localStorage" in too_big and "QuotaExceededError" in too_big and "2,741,845" in too_big
    skipped = note_text({**base, "storage": "session", "kept_in": "session", "skipped": True})
    assert "Not cleaned again" in skipped and "session storage" in skipped and "Cleaned" not in skipped
