"""Was each pattern right? The judgement of what every reader showed, and the figures of a round.

For each user the runner knows what they picked and what the numbers of that shop must be
(`workload.expected_fingerprint`). Each reader call is then exactly one of:

- right: it showed the user's own shop, with that shop's numbers;
- a leak: it showed another shop, i.e. data someone else picked (the user never did);
- wrong numbers: the user's shop by name, but numbers that are not that shop's;
- empty: it showed nothing (an empty copy, a store not filled yet);
- failed: the request got an error, or no answer.

A pattern is *correct* when every reader call expected was made and was right, and *isolated*
when no reader call leaked. Readers that never fired (their writer failed) count as missing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Reading:
    """One reader call as the runner saw it."""

    user: int
    picked: str
    reader: str
    phase: str
    status: int
    shown: dict | None  # {"shop", "fp", "shown"} when the reader answered with a reading


@dataclass
class Verdict:
    expected: int = 0  # reader calls the workload makes when everything works
    right: int = 0
    leaks: int = 0
    wrong_numbers: int = 0
    empty: int = 0
    failed: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return self.right + self.leaks + self.wrong_numbers + self.empty + self.failed

    @property
    def missing(self) -> int:
        return max(0, self.expected - self.seen)

    @property
    def correct(self) -> bool:
        return self.expected > 0 and self.right == self.expected and self.seen == self.expected

    @property
    def isolated(self) -> bool:
        return self.leaks == 0

    def as_dict(self) -> dict:
        return {**asdict(self), "missing": self.missing, "correct": self.correct, "isolated": self.isolated}


MAX_EXAMPLES = 3


def judge(readings: list[Reading], expected_fp: dict[str, str], expected: int) -> Verdict:
    """Classify every reader call (see the module docstring). `expected_fp`: shop → fingerprint."""
    verdict = Verdict(expected=expected)

    def example(text: str) -> None:
        if len(verdict.examples) < MAX_EXAMPLES:
            verdict.examples.append(text)

    for r in readings:
        who = f"user {r.user} picked {r.picked}"
        shown = r.shown if isinstance(r.shown, dict) else None
        if r.status not in (200, 204):
            verdict.failed += 1
            example(f"{who}; {r.reader} ({r.phase}) failed with HTTP {r.status or 'no answer'}")
        elif shown is None or shown.get("shop") is None:
            verdict.empty += 1
            example(f"{who}; {r.reader} ({r.phase}) showed nothing")
        elif shown.get("shop") != r.picked:
            verdict.leaks += 1
            example(f"{who}; {r.reader} ({r.phase}) showed shop {shown.get('shop')}")
        elif shown.get("fp") != expected_fp.get(r.picked):
            verdict.wrong_numbers += 1
            example(f"{who}; {r.reader} ({r.phase}) showed {r.picked} with other numbers")
        else:
            verdict.right += 1
    return verdict


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100.0 * len(ordered)) - 1)]


def figures(visits: list[dict], step: str) -> dict:
    """A round's figures from the instruments' records of its visits (`/api/metrics/visits`)."""
    durations = [ms for v in visits for ms in v["durations_ms"]]
    return {
        "executions": sum(v["recomputes"].get(step, 0) for v in visits),
        "callbacks": sum(v["callbacks"] for v in visits),
        "bytes_up": sum(v["bytes_up"] for v in visits),
        "bytes_down": sum(v["bytes_down"] for v in visits),
        "max_up": max((v["max_up"] for v in visits), default=0),
        "errors": sum(v["errors"] for v in visits),
        "p50_ms": _round(percentile(durations, 50)),
        "p95_ms": _round(percentile(durations, 95)),
        "pids": sorted({pid for v in visits for pid in v["pids"]}),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
