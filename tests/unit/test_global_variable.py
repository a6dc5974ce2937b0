"""Lesson 2's engine and views: the slow counted load, who owns a value, every worker's copy, the
figure and the totals. (The anti-pattern itself, in one process, is in test_pages.py.)"""

import time

import pytest

from components import global_variable_views as views
from lab import global_variable as lesson
from lab.metrics import store_for
from lab.sales import clean_sales, monthly_sales
from lab.settings import get_settings


def test_load_is_the_slow_counted_step(quick_steps):
    t0 = time.monotonic()
    sales = lesson.load_sales("figs", "bad")
    assert time.monotonic() - t0 >= 0.05
    assert list(sales.columns) == ["month", "units", "revenue"] and len(sales) == 12
    assert store_for(get_settings()).summary()["patterns"][lesson.PATTERN]["recomputes_by_step"]["bad-load"] >= 1


def test_owner_label_and_judge():
    me = {"session": "s1", "user": lesson.YOU}
    assert lesson.owner_label(me, "s1") == "you"
    assert lesson.owner_label({"session": "s1", "user": lesson.OTHER}, "s1").startswith("the other learner")
    assert lesson.owner_label(me, "s2") == "someone in another tab or browser"
    assert lesson.owner_label(None, "s1") == "nobody"
    assert lesson.judge("figs", {"fruit": "figs"}) and not lesson.judge("figs", {"fruit": "apples"})
    assert not lesson.judge("figs", None)


def test_what_a_worker_publishes_about_its_copy():
    by = {"session": "s1", "user": lesson.YOU}
    assert lesson.held({"fruit": "figs", "sales": "…", "by": by}, 5.0) == {"fruit": "figs", "by": by, "at": 5.0}
    assert lesson.held(None, 6.0) == {"fruit": None, "by": None, "at": 6.0}


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
    view = views.copies_view(lesson.copy_rows(live, copies, None, 0.0), live)
    assert expected in str(view)
    assert str(view).count("not reported yet") == len(set(live) - set(copies))


def test_sales_figure_and_totals_follow_the_measure():
    kept = {"fruit": "oranges", "sales": monthly_sales(clean_sales(lesson.ROWS, "oranges"))}
    for measure in ("units", "revenue"):
        figure = lesson.sales_figure(kept, measure)
        assert list(figure.data[0].y) == list(kept["sales"][measure])
        assert figure.layout.title.text == f"oranges · {measure} per month"
        total = sum(kept["sales"][measure])
        assert f"{total:,.0f}" in lesson.totals_text(kept, measure)
    empty = lesson.sales_figure(None, "units")
    assert empty.layout.annotations[0].text == "This worker's copy is empty"
    assert lesson.totals_text(None, "units").startswith("Nothing to add up")
