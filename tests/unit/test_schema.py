"""The boundary every callback request passes: rules that refuse what a page does not offer (with
a message naming the property), and bodies that must have their callback's shape."""

import json
import math

import pytest

from lab import schema
from lab.schema import (Refused, anything, check_request, clicks, flag, list_of, nullable, number, one_of, record,
                        refusing, table, text, token, whole)


@pytest.mark.parametrize("rule, good, bad", [
    (one_of("A", "B"), ["A", "B"], ["C", None, 1, ["A"]]),
    (one_of(1_000, 10_000), [1_000], [1_000.0, True, "1000", 999]),
    (whole(1, 16), [1, 16], [0, 17, True, 2.0, "3", None, 10**30]),
    (number(0, 1), [0, 0.5, 1], [math.nan, math.inf, -0.1, "0.5", None, False]),
    (text(5), ["", "abcde"], ["abcdef", 5, None]),
    (text(10, r"[a-z]+"), ["abc"], ["ABC", "a-b", ""]),
    (flag(), [True, False], [0, 1, None, "true"]),
    (clicks(), [None, 0, 7], [-1, 1.5, True, 10**10]),
    (token(), [None, "abc.DEF_12-x:y", "../../etc/passwd"], ["x" * 201, 3, ["a"]]),
    (nullable(one_of("x")), [None, "x"], ["y"]),
    (list_of(one_of(1, 2), max_items=3), [[], [1, 2, 2]], [[1, 2, 3], [1, 1, 1, 1], (1,), "12"]),
    (record(shop=one_of("A"), at=number(0, 1e12), optional=("at",)), [{"shop": "A"}, {"shop": "A", "at": 5}],
     [{}, {"shop": "B"}, {"shop": "A", "extra": 1}, ["shop"], None]),
    (table(["a", "b"], max_rows=3), [{"a": [1, 2], "b": ["x", None]}, {"a": [], "b": []}],
     [{"a": [1], "b": [1, 2]}, {"b": [1], "a": [1]}, {"a": [1, 2, 3, 4], "b": [1, 2, 3, 4]},
      {"a": [[1]], "b": [1]}, {"a": [{"x": 1}], "b": [1]}, {"a": 1, "b": 1}, None]),
    (anything(max_depth=3), [1, [1, [2]], {"a": {"b": [1]}}], [[[[[1]]]], {"a": {"b": {"c": {}}}}]),
])
def test_rules_accept_what_is_offered_and_refuse_the_rest(rule, good, bad):
    for value in good:
        rule.check(value, "x.value")
    for value in bad:
        with pytest.raises(Refused) as refused:
            rule.check(value, "x.value")
        assert str(refused.value).startswith("x.value")


def test_deep_nesting_is_refused_without_recursion():
    deep = json.loads("[" * 900 + "]" * 900)
    with pytest.raises(Refused, match="nested more than"):
        anything().check(deep, "x.data")


SPEC = {
    "inputs": [{"id": "p-shop", "property": "value"}, {"id": '{"type":"p-pick","user":["MATCH"]}', "property": "value"}],
    "state": [{"id": "p-rows", "property": "data"}],
}
ALL_SPEC = {"inputs": [{"id": '{"type":"p-pick","user":["ALL"]}', "property": "value"}], "state": []}


@pytest.fixture(autouse=True)
def rules():
    saved = dict(schema._RULES)
    schema.accepts({("p-shop", "value"): one_of("A", "B"), ("p-pick", "value"): nullable(one_of("apples")),
                    ("p-rows", "data"): one_of(1_000)})
    yield
    schema._RULES.clear()
    schema._RULES.update(saved)


def body(shop="A", pick=None, rows=1_000, user="you", **changes):
    return {"output": "p-out.data", "outputs": {"id": "p-out", "property": "data"},
            "inputs": [{"id": "p-shop", "property": "value", "value": shop},
                       {"id": {"type": "p-pick", "user": user}, "property": "value", "value": pick}],
            "state": [{"id": "p-rows", "property": "data", "value": rows}],
            "changedPropIds": ["p-shop.value"], **changes}


def test_a_well_formed_request_passes():
    check_request(body(), SPEC)
    check_request(body(pick="apples", user=3), SPEC)


@pytest.mark.parametrize("crafted, says", [
    (body(shop="Z"), "p-shop.value must be one of"),
    (body(rows=10**12), "p-rows.data must be one of"),
    (body(pick="pears"), "p-pick.value must be one of"),
    (body(user={"x": 1}), "names a component this callback does not read"),
    (body(user="x" * 200), "names a component this callback does not read"),
    (body(inputs=[]), "reads 2 inputs"),
    (body(state=None), "reads 1 state"),
    (body(changedPropIds="p-shop.value"), "changedPropIds"),
    (body(changedPropIds=["x"] * 100), "changedPropIds"),
    (body(outputs={"id": "p-elsewhere", "property": "data"}), "names a component this callback does not read"),
    (body(outputs={"id": "p-out", "property": "children"}), "names another property"),
    (body(outputs=[{"id": "p-out", "property": "data"}] * 2), "names a component"),
    (body(outputs="p-out.data"), "names a component"),
    ([1, 2], "must be a JSON object"),
])
def test_crafted_requests_are_refused_with_a_message(crafted, says):
    with pytest.raises(Refused, match=says.replace(".", r"\.").replace("(", r"\(")):
        check_request(crafted, SPEC)


def test_a_background_poll_may_send_nulls_but_nothing_else():
    """dash-renderer's polls for a background job send null values (Dash reads only the job's handles)."""
    check_request(body(shop=None, rows=None), SPEC, poll=True)
    with pytest.raises(Refused, match="p-shop"):
        check_request(body(shop=None), SPEC)
    with pytest.raises(Refused, match="p-shop"):
        check_request(body(shop="Z"), SPEC, poll=True)


def test_a_property_with_no_rule_is_refused_and_listed():
    spec = {"inputs": [{"id": "p-other", "property": "value"}], "state": []}
    crafted = {"inputs": [{"id": "p-other", "property": "value", "value": 1}], "changedPropIds": []}
    with pytest.raises(Refused, match="not an input this lab accepts"):
        check_request(crafted, spec)
    server = {"callback": print}  # undeclared() looks at server callbacks only
    clientside = {"inputs": [{"id": "p-client", "property": "value"}], "state": []}
    assert schema.undeclared({"p-x.data": {**spec, **server}, "p-y.data": {**SPEC, **server},
                              "p-z.data": clientside}) == ["p-other.value"]


def test_pattern_matching_all_inputs_are_lists_of_fitting_ids():
    entry = {"id": {"type": "p-pick", "user": "you"}, "property": "value", "value": "apples"}
    check_request({"inputs": [[entry, {**entry, "id": {"type": "p-pick", "user": "other"}}]]}, ALL_SPEC)
    for bad in ([{**entry, "value": "x"}], entry, [{**entry, "id": {"type": "q"}}], [entry] * 1001):
        with pytest.raises(Refused):
            check_request({"inputs": [bad]}, ALL_SPEC)


def test_refusing_turns_parse_errors_into_refusals_and_nothing_else():
    with pytest.raises(Refused, match="the table could not be read: ValueError"):
        with refusing(ValueError, what="the table"):
            int("x")
    with pytest.raises(ZeroDivisionError):  # a bug stays a bug
        with refusing(ValueError):
            1 / 0
