"""What each callback accepts, declared next to the components, checked before Dash runs anything.

A page declares a rule for every component property its callbacks read (as Input or State):

    accepts({
        (ids.shop, "value"): one_of(*SHOPS),
        (ids.rows, "data"): one_of(*ROW_CHOICES),
        (ids.run, "n_clicks"): clicks(),
        (ids.kept, "data"): nullable(record(shop=one_of(*SHOPS), table=table(COLUMNS, max_rows=100_000))),
    })

Pattern-matching components are declared by their `type`. The instruments' `before_request`
hook calls `check_request(body, spec)`: the body must have the callback's shape (its inputs and
state, in order, with the ids Dash expects), and every value must pass its rule; otherwise the
request is answered 400 with a message naming the property, and no callback runs: no expensive
step, no cache write, no allocation beyond the parsed body (which MAX_CONTENT_LENGTH bounds).
A property nobody declared is refused too (fail closed): `undeclared()` lists them for a test.

Inside a callback, an exception is a bug (a 500 in the log), except `Refused`, which a callback may
raise for what only it can check (a session id's signature, a table that does not parse).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import re
from typing import Any, Iterable, Iterator

MAX_DEPTH = 32  # nesting of any one value
MAX_CHANGED = 64  # changedPropIds entries


class Refused(ValueError):
    """The request's values are not something this lab accepts (a 400 with this message)."""


Prop = tuple[str, str]


class Rule:
    """A check of one value; `describe` says what is accepted, for the error message."""

    def check(self, value: Any, where: str) -> None:
        raise NotImplementedError

    def fail(self, where: str, value: Any) -> Refused:
        return Refused(f"{where} must be {self.describe()} (got {_preview(value)})")

    def describe(self) -> str:
        raise NotImplementedError

    def example(self) -> Any:
        """A value this rule accepts (what a test starts from before it spoils one value)."""
        raise NotImplementedError


def _preview(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _exact(value: Any, choice: Any) -> bool:
    """Equal and of the same kind: True is not 1, 1.0 is not 1."""
    return type(value) is type(choice) and value == choice


class _OneOf(Rule):
    def __init__(self, choices: Iterable):
        self.choices = tuple(choices)

    def check(self, value, where):
        if not any(_exact(value, c) for c in self.choices):
            raise self.fail(where, value)

    def describe(self):
        shown = ", ".join(_preview(c) for c in self.choices[:8]) + (" …" if len(self.choices) > 8 else "")
        return f"one of {shown}"

    def example(self):
        return self.choices[0]

class _Whole(Rule):
    def __init__(self, lo: int, hi: int):
        self.lo, self.hi = lo, hi

    def check(self, value, where):
        if type(value) is not int or not self.lo <= value <= self.hi:
            raise self.fail(where, value)

    def describe(self):
        return f"a whole number from {self.lo:,} to {self.hi:,}"

    def example(self):
        return self.lo

class _Number(Rule):
    def __init__(self, lo: float, hi: float):
        self.lo, self.hi = lo, hi

    def check(self, value, where):
        if type(value) not in (int, float) or not math.isfinite(value) or not self.lo <= value <= self.hi:
            raise self.fail(where, value)

    def describe(self):
        return f"a number from {self.lo:g} to {self.hi:g}"

    def example(self):
        return self.lo

class _Text(Rule):
    def __init__(self, max_len: int, pattern: str | None):
        self.max_len, self.pattern = max_len, re.compile(pattern) if pattern else None

    def check(self, value, where):
        if type(value) is not str or len(value) > self.max_len or (self.pattern and not self.pattern.fullmatch(value)):
            raise self.fail(where, value)

    def describe(self):
        return f"text of at most {self.max_len} characters" + (" in the expected form" if self.pattern else "")

    def example(self):
        return ""

class _Flag(Rule):
    def check(self, value, where):
        if type(value) is not bool:
            raise self.fail(where, value)

    def describe(self):
        return "true or false"

    def example(self):
        return False

class _Nullable(Rule):
    def __init__(self, rule: Rule):
        self.rule = rule

    def check(self, value, where):
        if value is not None:
            self.rule.check(value, where)

    def describe(self):
        return f"empty or {self.rule.describe()}"

    def example(self):
        return None

class _ListOf(Rule):
    def __init__(self, rule: Rule, max_items: int, min_items: int = 0):
        self.rule, self.max_items, self.min_items = rule, max_items, min_items

    def check(self, value, where):
        if type(value) is not list or not self.min_items <= len(value) <= self.max_items:
            raise self.fail(where, value)
        for i, item in enumerate(value):
            self.rule.check(item, f"{where}[{i}]")

    def describe(self):
        return f"a list of {self.min_items} to {self.max_items} items, each {self.rule.describe()}"

    def example(self):
        return [self.rule.example() for _ in range(self.min_items)]

class _Record(Rule):
    def __init__(self, fields: dict[str, Rule], optional: Iterable[str]):
        self.fields, self.optional = fields, set(optional)

    def check(self, value, where):
        if type(value) is not dict:
            raise self.fail(where, value)
        extra = set(value) - set(self.fields)
        if extra:
            raise Refused(f"{where} has unexpected fields: {', '.join(sorted(map(str, extra))[:5])}")
        for name, rule in self.fields.items():
            if name in value:
                rule.check(value[name], f"{where}.{name}")
            elif name not in self.optional:
                raise Refused(f"{where} lacks the field {name!r}")

    def describe(self):
        return f"an object with {', '.join(self.fields)}"

    def example(self):
        return {name: rule.example() for name, rule in self.fields.items()}

class _Table(Rule):
    """Column lists of one length (what a dcc.Store of a table holds): the columns asked for, at most
    `max_rows` rows, each cell a number, a string or null — checked without a Python loop per cell."""

    def __init__(self, columns: Iterable[str], max_rows: int):
        self.columns, self.max_rows = tuple(columns), max_rows

    def check(self, value, where):
        if type(value) is not dict or tuple(value) != self.columns:
            raise Refused(f"{where} must be a table with the columns {', '.join(self.columns)}")
        lengths = {len(v) if type(v) is list else -1 for v in value.values()}
        if len(lengths) != 1 or not 0 <= next(iter(lengths)) <= self.max_rows:
            raise Refused(f"{where} must have columns of one length, at most {self.max_rows:,} rows")
        for name, column in value.items():
            # A nested list or object anywhere shows up in the set of cell types.
            kinds = set(map(type, column))
            if not kinds <= {int, float, str, type(None)}:
                raise Refused(f"{where}.{name} must hold numbers, text or nulls")

    def describe(self):
        return f"a table of {', '.join(self.columns)}"

    def example(self):
        return {name: [] for name in self.columns}

class _Records(Rule):
    """A table as `to_records` writes it: {"columns": [...], "data": [[row], ...]}, rows of the
    right width, cells numbers, text or nulls (checked at C speed: no Python loop per cell)."""

    def __init__(self, columns: Iterable[str], max_rows: int):
        self.columns, self.max_rows = list(columns), max_rows

    def check(self, value, where):
        if type(value) is not dict or set(value) != {"columns", "data"} or value["columns"] != self.columns:
            raise Refused(f"{where} must be a table with the columns {', '.join(self.columns)}")
        rows = value["data"]
        if type(rows) is not list or len(rows) > self.max_rows:
            raise Refused(f"{where} must hold at most {self.max_rows:,} rows")
        if rows and (set(map(type, rows)) != {list} or set(map(len, rows)) != {len(self.columns)}):
            raise Refused(f"{where} must hold rows of {len(self.columns)} cells")
        if not set(map(type, itertools.chain.from_iterable(rows))) <= {int, float, str, type(None)}:
            raise Refused(f"{where} must hold numbers, text or nulls")

    def describe(self):
        return f"a table of {', '.join(self.columns)}"

    def example(self):
        return {"columns": list(self.columns), "data": []}

class _Anything(Rule):
    """Any JSON value up to a depth: for values a callback parses and checks itself (in a
    `refusing(...)` block)."""

    def __init__(self, max_depth: int):
        self.max_depth = max_depth

    def check(self, value, where):
        if _depth(value, self.max_depth) > self.max_depth:
            raise Refused(f"{where} is nested more than {self.max_depth} levels deep")

    def describe(self):
        return "a JSON value"

    def example(self):
        return None

def _depth(value: Any, limit: int) -> int:
    """The nesting depth of `value`, counting no further than `limit` + 1 (iterative: no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if type(item) in (list, dict):
            if depth > limit:
                return depth
            deepest = max(deepest, depth)
            children = item.values() if type(item) is dict else item
            stack.extend((child, depth + 1) for child in children if type(child) in (list, dict))
    return deepest


def one_of(*choices) -> Rule:
    return _OneOf(choices)


def whole(lo: int, hi: int) -> Rule:
    return _Whole(lo, hi)


def number(lo: float, hi: float) -> Rule:
    return _Number(lo, hi)


def text(max_len: int = 200, pattern: str | None = None) -> Rule:
    return _Text(max_len, pattern)


def flag() -> Rule:
    return _Flag()


def nullable(rule: Rule) -> Rule:
    return _Nullable(rule)


def list_of(rule: Rule, max_items: int, min_items: int = 0) -> Rule:
    return _ListOf(rule, max_items, min_items)


def record(optional: Iterable[str] = (), **fields: Rule) -> Rule:
    return _Record(fields, optional)


def table(columns: Iterable[str], max_rows: int) -> Rule:
    return _Table(columns, max_rows)


def records(columns: Iterable[str], max_rows: int) -> Rule:
    return _Records(columns, max_rows)


def anything(max_depth: int = MAX_DEPTH) -> Rule:
    return _Anything(max_depth)


def clicks() -> Rule:
    """A button's n_clicks (None before the first click)."""
    return _Nullable(_Whole(0, 10**9))


def token() -> Rule:
    """A signed id (short text): its form and signature are checked where it is used, which can
    say why it was refused (a lesson shows forged ids being refused)."""
    return _Nullable(_Text(200, None))


# -- declarations -------------------------------------------------------------------------------

_RULES: dict[Prop, Rule] = {}


def accepts(rules: dict[Prop, Rule]) -> None:
    """Declare what the properties read by callbacks accept (a component id, or the `type` of
    pattern-matching ids). Declaring a property twice with another rule is a programming error."""
    for prop, rule in rules.items():
        if prop in _RULES and _RULES[prop] is not rule:
            raise ValueError(f"{prop[0]}.{prop[1]} is declared twice")
        _RULES[prop] = rule


def rule_for(component: str | dict, prop: str) -> Rule | None:
    key = component.get("type") if isinstance(component, dict) else component
    return _RULES.get((key, prop)) if isinstance(key, str) else None


def undeclared(callback_map: dict) -> list[str]:
    """Every `id.property` read by a server callback of `callback_map` with no rule (for a test)."""
    missing = set()
    for spec in callback_map.values():
        if not spec.get("callback"):  # a clientside callback: it never reaches the server
            continue
        for dep in [*spec.get("inputs", []), *spec.get("state", [])]:
            component = _parse_id(dep["id"])
            if rule_for(component, dep["property"]) is None:
                missing.add(f"{dep['id']}.{dep['property']}")
    return sorted(missing)


def _parse_id(raw: str) -> str | dict:
    if raw.startswith("{"):
        try:
            parsed = json.loads(raw)
        except ValueError:
            return raw
        return parsed if isinstance(parsed, dict) else raw
    return raw


# -- the boundary ---------------------------------------------------------------------------------

WILDCARDS = ("MATCH", "ALL", "ALLSMALLER")


def _id_fits(expected: str | dict, sent: Any) -> bool:
    """Does the id a request sent fit the callback's declared id (pattern-matching ids: same keys,
    equal fixed values, and for wildcards any string or number)?"""
    if isinstance(expected, str):
        return sent == expected
    if type(sent) is not dict or set(sent) != set(expected):
        return False
    for key, want in expected.items():
        got = sent[key]
        if isinstance(want, list) and want and want[0] in WILDCARDS:
            if type(got) not in (str, int, float) or type(got) is bool or (type(got) is str and len(got) > 100):
                return False
        elif got != want:
            return False
    return True


def _items(expected_id: str | dict, sent: Any, where: str) -> list[dict]:
    """The {id, property, value} entries a request sent for one declared dependency."""
    multi = isinstance(expected_id, dict) and any(
        isinstance(v, list) and v and v[0] in ("ALL", "ALLSMALLER") for v in expected_id.values())
    entries = sent if multi else [sent]
    if multi and (type(sent) is not list or len(sent) > 1000):
        raise Refused(f"{where} must be a list of components")
    for entry in entries:
        if type(entry) is not dict or not _id_fits(expected_id, entry.get("id")):
            raise Refused(f"{where} names a component this callback does not read")
    return entries


def _output_props(key: str) -> list[tuple[str | dict, str]]:
    """The outputs a callback key names: `a.x`, or `..a.x...b.y..` for several (pattern ids are JSON)."""
    inner = key[2:-2] if key.startswith("..") and key.endswith("..") else key
    return [(_parse_id(component), prop) for component, _, prop in (part.rpartition(".") for part in inner.split("..."))]


def _check_outputs(body: dict, key: str) -> None:
    declared = _output_props(key)
    sent = body.get("outputs")
    if not key.startswith(".."):
        sent = [sent]
    if type(sent) is not list or len(sent) != len(declared):
        raise Refused("the body's outputs must be the callback's outputs, in order")
    for (expected, prop), item in zip(declared, sent):
        for entry in _items(expected, item, f"output {prop}"):
            if entry.get("property") not in (prop, prop.split("@", 1)[0]):
                raise Refused(f"output {prop}: the body names another property")


def check_request(body: Any, spec: dict, poll: bool = False) -> None:
    """Refused unless `body` is a well-formed request for the callback `spec` (an entry of
    `app.callback_map`) whose every value passes its declared rule. A background callback's poll
    (`poll`: dash-renderer asking for a job's progress and result) carries null values, which Dash
    never reads then: null passes, anything else is still checked."""
    if type(body) is not dict:
        raise Refused("the body must be a JSON object, as dash-renderer sends it")
    if type(body.get("output")) is str and "outputs" in body:  # older renderers send no outputs
        _check_outputs(body, body["output"])
    changed = body.get("changedPropIds", [])
    if type(changed) is not list or len(changed) > MAX_CHANGED or not all(type(c) is str and len(c) < 500 for c in changed):
        raise Refused("changedPropIds must be a short list of 'id.property' names")
    for part in ("inputs", "state"):
        declared = spec.get(part, [])
        sent = body.get(part, [] if part == "state" else None)
        if type(sent) is not list or len(sent) != len(declared):
            raise Refused(f"the callback reads {len(declared)} {part}; the body must list them in order")
        for dep, item in zip(declared, sent):
            expected = _parse_id(dep["id"])
            where = f"{dep['id'] if isinstance(expected, str) else expected.get('type')}.{dep['property']}"
            for entry in _items(expected, item, where):
                if entry.get("property") != dep["property"]:
                    raise Refused(f"{where}: the body names another property")
                rule = rule_for(expected, dep["property"])
                if rule is None:
                    raise Refused(f"{where} is not an input this lab accepts")
                if poll and entry.get("value") is None:
                    continue
                rule.check(entry.get("value"), where)


@contextlib.contextmanager
def refusing(*errors: type[Exception], what: str = "the value sent") -> Iterator[None]:
    """Turn the given errors, raised while parsing input inside the block, into `Refused`: the
    narrow place where a callback reads data it could not check at the boundary."""
    try:
        yield
    except errors as exc:
        raise Refused(f"{what} could not be read: {type(exc).__name__}: {str(exc)[:120]}") from exc
