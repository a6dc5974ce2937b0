"""What a result shows, in sentences built from its own figures (nothing here is typed in advance:
a run that measured something else says something else)."""

from __future__ import annotations

from dataclasses import dataclass

from lab.sizes import human_bytes

GOOD, BAD, NOTE = "good", "bad", "note"


@dataclass(frozen=True)
class Finding:
    tone: str  # GOOD, BAD or NOTE
    text: str


def _rows(result: dict, slug: str) -> list[dict]:
    return sorted((r for r in result["rows"] if r["pattern"] == slug), key=lambda r: r["workers"])


def _workers(n: int) -> str:
    return f"{n} worker{'s' * (n != 1)}"


def findings(result: dict) -> list[Finding]:
    found: list[Finding] = []
    expected_bad = {"global"}
    for row in result["rows"]:
        v = row["verdict"]
        if row["pattern"] not in expected_bad and not (v["correct"] and v["isolated"]):
            found.append(Finding(BAD, f"{row['label']} was not right at {_workers(row['workers'])}: "
                                      f"{v['right']} of {v['expected']} readings right, {v['leaks']} leaked. "
                                      "See the examples in the table."))
    for row in _rows(result, "global"):
        v = row["verdict"]
        if not v["isolated"]:
            found.append(Finding(BAD, f"The global variable leaked at {_workers(row['workers'])}: {v['leaks']} of "
                                      f"{v['expected']} readings showed a shop another user picked."))
        elif not v["correct"]:
            found.append(Finding(BAD, f"The global variable was wrong at {_workers(row['workers'])}: only "
                                      f"{v['right']} of {v['expected']} readings showed the user's own shop."))
        else:
            found.append(Finding(NOTE, f"The global variable happened to be right at {_workers(row['workers'])} "
                                       "this time: run again, or with more users."))
    once, memoize = _rows(result, "once"), _rows(result, "memoize")
    for o, m in zip(once, memoize):
        if o["workers"] == m["workers"]:
            tone = GOOD if m["executions"] > o["executions"] else NOTE
            found.append(Finding(tone, f"At {_workers(o['workers'])}, compute-once ran the step {o['executions']} "
                                       f"times for {o['shops']} shops; plain memoize {m['executions']} times."))
    for row in _rows(result, "baseline")[-1:]:
        found.append(Finding(NOTE, f"Recomputing in every callback ran the step {row['executions']} times for "
                                   f"{row['users']} users: once per reader call, the display-only change included."))
    store, aggregates = _rows(result, "store"), _rows(result, "aggregates")
    if store and aggregates and aggregates[-1]["bytes_down"]:
        s, a = store[-1], aggregates[-1]
        found.append(Finding(GOOD, f"Aggregating upfront sent {s['bytes_down'] / a['bytes_down']:,.0f}× fewer bytes "
                                   f"down than keeping the table in a dcc.Store ({human_bytes(a['bytes_down'])} against "
                                   f"{human_bytes(s['bytes_down'])} at {s['rows']:,} rows), and "
                                   f"{s['bytes_up'] / max(a['bytes_up'], 1):,.0f}× fewer up."))
    for row in _rows(result, "session")[-1:]:
        found.append(Finding(GOOD, f"The per-session cache ran the step {row['executions']} times for "
                                   f"{row['users']} sessions, and no callback sent more than "
                                   f"{human_bytes(row['max_up'])} up."))
    return found
