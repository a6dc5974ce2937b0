"""Every property a server callback reads has a declared rule: the boundary (lab.schema) refuses
what nobody declared, so a forgotten declaration would break a page, and this test names it first."""

import app
from lab import schema


def test_every_callback_input_and_state_is_declared():
    app.server.test_client().get("/_dash-dependencies")  # Dash fills callback_map on its first request
    assert len(app.app.callback_map) > 50
    assert schema.undeclared(app.app.callback_map) == []


# -- property-based: whatever a request carries, the boundary answers with Refused or lets it through --

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
                    max_leaves=30)


def _specs():
    app.server.test_client().get("/_dash-dependencies")
    return [spec for spec in app.app.callback_map.values() if spec.get("callback")]


@settings(max_examples=300, deadline=None)
@given(value=JSON, which=st.integers(min_value=0))
def test_any_value_in_any_declared_rule_is_accepted_or_refused(value, which):
    rules = list(schema._RULES.values())
    try:
        rules[which % len(rules)].check(value, "x.value")
    except schema.Refused:
        pass


@settings(max_examples=300, deadline=None)
@given(body=st.dictionaries(st.sampled_from(["output", "outputs", "inputs", "state", "changedPropIds"]), JSON),
       which=st.integers(min_value=0))
def test_any_body_against_any_callback_is_accepted_or_refused(body, which):
    specs = _specs()
    try:
        schema.check_request(body, specs[which % len(specs)])
    except schema.Refused:
        pass


@settings(max_examples=400, deadline=None)
@given(data=st.data(), which=st.integers(min_value=0))
def test_well_shaped_bodies_with_any_values_are_accepted_or_refused(data, which):
    """Requests of the right shape for a callback, every value arbitrary: the rules are reached."""
    specs = [s for s in _specs() if not any(d["id"].startswith("{") for d in [*s["inputs"], *s.get("state", [])])]
    spec = specs[which % len(specs)]

    def entries(deps):
        return [{"id": d["id"], "property": d["property"], "value": data.draw(JSON)} for d in deps]

    body = {"inputs": entries(spec["inputs"]), "state": entries(spec.get("state", [])), "changedPropIds": []}
    try:
        schema.check_request(body, spec)
    except schema.Refused:
        pass
