"""Lesson 2's plain functions, and the anti-pattern itself inside one process: two users, one copy."""

import time

import pytest

import app  # noqa: F401  (registers the pages)
from lab.settings import get_settings
from pages import global_variable as lesson


@pytest.fixture
def quick_steps(monkeypatch):
    monkeypatch.setenv("STEP_SECONDS", "0.05")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("STEP_SECONDS")
    get_settings.cache_clear()


@pytest.fixture
def empty_global():
    lesson.selection = None
    yield
    lesson.selection = None


def props(component) -> dict:
    return component.to_plotly_json()["props"]


def test_load_is_the_slow_counted_step(quick_steps):
    t0 = time.monotonic()
    sales = lesson.load_sales("figs", "bad")
    assert time.monotonic() - t0 >= 0.05
    assert list(sales.columns) == ["month", "units", "revenue"] and len(sales) == 12
    from lab.metrics import store_for
    assert store_for(get_settings()).summary()["patterns"][lesson.PATTERN]["recomputes_by_step"]["bad-load"] >= 1


def test_one_process_one_copy_another_users_pick_leaks(quick_steps, empty_global):
    """In one process, the other learner's load overwrites the global that your readers read."""
    lesson.bad_load("apples", {"type": lesson.ids.pick, "user": lesson.YOU})
    first = props(lesson.bad_chart(None, "revenue", "apples")[0])
    assert first["data-fruit"] == "apples" and first["data-right"] == "yes"
    lesson.bad_load("figs", {"type": lesson.ids.pick, "user": lesson.OTHER})
    got, figure = lesson.bad_chart(None, "revenue", "apples")
    assert props(got)["data-fruit"] == "figs" and props(got)["data-right"] == "no"
    assert figure.layout.title.text.startswith("figs")
    # The fix: each user's data comes with their own request, whatever the process holds.
    mine, _ = lesson.good_load("apples", {"type": lesson.ids.pick, "user": lesson.YOU})
    lesson.good_load("figs", {"type": lesson.ids.pick, "user": lesson.OTHER})
    got, figure = lesson.good_chart(mine, "revenue", "apples")
    assert props(got)["data-fruit"] == "apples" and props(got)["data-right"] == "yes"
    assert list(figure.data[0].y) == list(mine["sales"]["revenue"])


def test_an_empty_copy_is_wrong_and_says_so(empty_global):
    got, figure = lesson.bad_chart(None, "units", "apples")
    assert props(got)["data-fruit"] == "" and props(got)["data-right"] == "no"
    assert "empty" in str(got) and figure.layout.annotations[0].text == "This worker's copy is empty"
    assert lesson.totals_text(None, "units").startswith("Nothing to add up")


def test_owner_label_and_judge():
    me = {"session": "s1", "user": lesson.YOU}
    assert lesson.owner_label(me, "s1") == "you"
    assert lesson.owner_label({"session": "s1", "user": lesson.OTHER}, "s1").startswith("the other learner")
    assert lesson.owner_label(me, "s2") == "someone in another tab or browser"
    assert lesson.owner_label(None, "s1") == "nobody"
    assert lesson.judge("figs", {"fruit": "figs"}) and not lesson.judge("figs", {"fruit": "apples"})
    assert not lesson.judge("figs", None)


def test_copy_rows_list_every_live_worker():
    now = 1_000.0
    copies = {11: {"fruit": "figs", "by": {"session": "me", "user": "you"}, "at": now - 3},
              13: {"fruit": None, "by": None, "at": now - 1},
              99: {"fruit": "apples", "by": None, "at": now}}  # a worker that is gone
    rows = lesson.copy_rows([11, 12, 13], copies, "me", now)
    assert [r["pid"] for r in rows] == [11, 12, 13]
    assert [r["reported"] for r in rows] == [True, False, True]
    assert rows[0]["fruit"] == "figs" and rows[0]["owner"] == "you" and rows[0]["age"] == 3
    assert rows[1]["fruit"] is None and rows[2]["owner"] is None
    assert lesson.distinct_values(rows) == 2  # figs and an empty copy


@pytest.mark.parametrize("live, copies, expected", [
    ([1], {1: {"fruit": "figs", "at": 0}}, "One worker, one copy"),
    ([1, 2], {1: {"fruit": "figs", "at": 0}}, "Waiting for more workers"),
    ([1, 2], {1: {"fruit": "figs", "at": 0}, 2: {"fruit": None, "at": 0}}, "2 different values across 2 workers"),
    ([1, 2], {1: {"fruit": "figs", "at": 0}, 2: {"fruit": "figs", "at": 0}}, "holds the same value"),
])
def test_copies_view_summary(live, copies, expected):
    view = lesson.copies_view(lesson.copy_rows(live, copies, None, 0.0), live)
    assert expected in str(view)
    assert str(view).count("not reported yet") == len(set(live) - set(copies))


def test_sales_figure_and_totals_follow_the_measure():
    kept = {"fruit": "oranges", "sales": lesson.monthly_sales(lesson.clean_sales(lesson.ROWS, "oranges"))}
    for measure in ("units", "revenue"):
        figure = lesson.sales_figure(kept, measure)
        assert list(figure.data[0].y) == list(kept["sales"][measure])
        assert figure.layout.title.text == f"oranges · {measure} per month"
        total = sum(kept["sales"][measure])
        assert f"{total:,.0f}" in lesson.totals_text(kept, measure)
