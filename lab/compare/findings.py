"""What a result shows, in sentences built from its own figures (nothing here is typed in advance:
a run that measured something else says something else)."""

from __future__ import annotations

from dataclasses import dataclass

from lab.i18n import _, decimal, ngettext
from lab.sizes import human_bytes, human_duration

GOOD, BAD, NOTE = "good", "bad", "note"


@dataclass(frozen=True)
class Finding:
    tone: str  # GOOD, BAD or NOTE
    text: str


def _rows(result: dict, slug: str) -> list[dict]:
    return sorted((r for r in result["rows"] if r["pattern"] == slug), key=lambda r: r["workers"])


def _workers(n: int) -> str:
    return ngettext("%(num)s worker", "%(num)s workers", n)


def findings(result: dict) -> list[Finding]:
    found: list[Finding] = []
    expected_bad = {"global"}
    for row in result["rows"]:
        v = row["verdict"]
        if row["pattern"] not in expected_bad and not (v["correct"] and v["isolated"]):
            found.append(Finding(BAD, _("%(pattern)s was not right at %(workers)s: %(right)s of %(expected)s "
                                        "readings right, %(leaks)s leaked. See the examples in the table.",
                                        pattern=_(row["label"]), workers=_workers(row["workers"]), right=v["right"],
                                        expected=v["expected"], leaks=v["leaks"])))
    for row in _rows(result, "global"):
        v = row["verdict"]
        if not v["isolated"]:
            found.append(Finding(BAD, _("The global variable leaked at %(workers)s: %(leaks)s of %(expected)s "
                                        "readings showed a shop another user picked.",
                                        workers=_workers(row["workers"]), leaks=v["leaks"], expected=v["expected"])))
        elif not v["correct"]:
            found.append(Finding(BAD, _("The global variable was wrong at %(workers)s: only %(right)s of "
                                        "%(expected)s readings showed the user's own shop.",
                                        workers=_workers(row["workers"]), right=v["right"], expected=v["expected"])))
        else:
            found.append(Finding(NOTE, _("The global variable happened to be right at %(workers)s this time: run "
                                         "again, or with more users.", workers=_workers(row["workers"]))))
    once, memoize = _rows(result, "once"), _rows(result, "memoize")
    for o, m in zip(once, memoize):
        if o["workers"] == m["workers"]:
            tone = GOOD if m["executions"] > o["executions"] else NOTE
            found.append(Finding(tone, _("At %(workers)s, compute-once ran the step %(once)s times for %(shops)s "
                                         "shops; plain memoize %(memoize)s times.", workers=_workers(o["workers"]),
                                         once=o["executions"], shops=o["shops"], memoize=m["executions"])))
    for row in _rows(result, "baseline")[-1:]:
        found.append(Finding(NOTE, _("Recomputing in every callback ran the step %(runs)s times for %(users)s "
                                     "users: once per reader call, the display-only change included.",
                                     runs=row["executions"], users=row["users"])))
    store, aggregates = _rows(result, "store"), _rows(result, "aggregates")
    if store and aggregates and aggregates[-1]["bytes_down"]:
        s, a = store[-1], aggregates[-1]
        found.append(Finding(GOOD, _("Aggregating upfront sent %(down)s× fewer bytes down than keeping the table "
                                     "in a dcc.Store (%(small)s against %(big)s at %(rows)s rows), and %(up)s× "
                                     "fewer up.", down=decimal(s["bytes_down"] / a["bytes_down"]),
                                     small=human_bytes(a["bytes_down"]), big=human_bytes(s["bytes_down"]),
                                     rows=decimal(s["rows"]), up=decimal(s["bytes_up"] / max(a["bytes_up"], 1)))))
    found += offload_findings(result)
    for row in _rows(result, "session")[-1:]:
        found.append(Finding(GOOD, _("The per-session cache ran the step %(runs)s times for %(users)s sessions, "
                                     "and no callback sent more than %(most)s up.", runs=row["executions"],
                                     users=row["users"], most=human_bytes(row["max_up"]))))
    return found


def offload_findings(result: dict) -> list[Finding]:
    """Lesson 8's crowd at the largest worker count it ran: what the cheap callback waited with the
    step on the web workers, and with it off them."""
    offload = result.get("offload") or {}
    rows = offload.get("rows", [])
    found: list[Finding] = []
    if rows:
        most = max(r["workers"] for r in rows)
        ways = {r["mode"]: r for r in rows if r["workers"] == most}
        plain = ways.get("plain")
        for mode, row in ways.items():
            if mode == "plain" or plain is None or row["cheap_p95_ms"] is None or plain["cheap_p95_ms"] is None:
                continue
            tone = GOOD if row["cheap_p95_ms"] < plain["cheap_p95_ms"] else NOTE
            found.append(Finding(tone, _(
                "At %(workers)s, while %(users)s users each waited for a different report, a cheap callback waited "
                "%(off)s (p95) with the step on %(way)s, and %(on)s with it in plain callbacks, which kept "
                "%(busy)s of %(live)s web workers busy.", workers=_workers(most), users=row["users"],
                off=human_duration(row["cheap_p95_ms"]), way=_(row["label"]), on=human_duration(plain["cheap_p95_ms"]),
                busy=plain["web_workers_busy"], live=plain["live_workers"])))
        for row in rows:
            if row["served"] < row["users"]:
                found.append(Finding(BAD, _("%(way)s at %(workers)s: only %(served)s of %(users)s users got their "
                                            "report.", way=_(row["label"]), workers=_workers(row["workers"]),
                                            served=row["served"], users=row["users"])))
    if offload.get("missing"):
        found.append(Finding(NOTE, _("Lesson 8's crowd is not in this run: %(why)s.", why=_(offload["missing"]))))
    return found
