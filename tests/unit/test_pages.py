"""The lesson pages' own callbacks, called directly in one process: the global-variable trap
itself (two users, one copy), and lesson 4's three readers drawing one figure. These need the
pages registered, so they import the app; the lessons' plain functions are tested without it."""

import json

import pytest

import app  # noqa: F401  (registers the pages)
from lab.sales import clean_sales, monthly_revenue_by_region, to_records
from pages import aggregations, global_variable


@pytest.fixture
def empty_global():
    global_variable.selection = None
    yield
    global_variable.selection = None


def props(component) -> dict:
    return component.to_plotly_json()["props"]


def test_one_process_one_copy_another_users_pick_leaks(quick_steps, empty_global):
    """In one process, the other learner's load overwrites the global that your readers read."""
    lesson, you, other = global_variable, global_variable.YOU, global_variable.OTHER
    lesson.bad_load("apples", {"type": lesson.ids.pick, "user": you})
    first = props(lesson.bad_chart(None, "revenue", "apples")[0])
    assert first["data-fruit"] == "apples" and first["data-right"] == "yes"
    lesson.bad_load("figs", {"type": lesson.ids.pick, "user": other})
    got, figure = lesson.bad_chart(None, "revenue", "apples")
    assert props(got)["data-fruit"] == "figs" and props(got)["data-right"] == "no"
    assert figure.layout.title.text.startswith("figs")
    # The fix: each user's data comes with their own request, whatever the process holds.
    mine, _ = lesson.good_load("apples", {"type": lesson.ids.pick, "user": you})
    lesson.good_load("figs", {"type": lesson.ids.pick, "user": other})
    got, figure = lesson.good_chart(mine, "revenue", "apples")
    assert props(got)["data-fruit"] == "apples" and props(got)["data-right"] == "yes"
    assert list(figure.data[0].y) == list(mine["sales"]["revenue"])


def test_an_empty_copy_is_wrong_and_says_so(empty_global):
    got, figure = global_variable.bad_chart(None, "units", "apples")
    assert props(got)["data-fruit"] == "" and props(got)["data-right"] == "no"
    assert "empty" in str(got) and figure.layout.annotations[0].text == "This worker's copy is empty"
    assert global_variable.bad_totals(None, "units", "apples")[1].startswith("Nothing to add up")


def test_the_three_readers_draw_identical_figures():
    """From the rows, from the reference's subsets, from the aggregates: equal figure JSON."""
    lesson = aggregations
    cleaned = clean_sales(20_000)
    records = json.loads(json.dumps(to_records(cleaned)))
    packed = json.dumps({f: cleaned[cleaned["fruit"] == f].to_json(orient="split", date_format="iso")
                         for f in lesson.GRAPH_FRUITS})
    for fruit in lesson.GRAPH_FRUITS:
        me = {"type": lesson.ids.graph, "fruit": fruit}
        aggregate = json.loads(json.dumps(monthly_revenue_by_region(cleaned, fruit)))
        results = [lesson.draw_from_rows(records, me), lesson.draw_from_subsets(packed, me),
                   lesson.draw_from_aggregates(aggregate, me)]
        figures = [figure.to_plotly_json() for _, figure in results]
        assert figures[0] == figures[1] == figures[2]
        assert results[0][0] == results[1][0] == results[2][0] == lesson.drawn(aggregate)
        assert results[0][0]["values"] == 48
