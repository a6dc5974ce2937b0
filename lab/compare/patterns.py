"""The patterns the comparison runs, and the names of their parts.

Every pattern is the same small page, wired seven ways: a shop picker (`shop`), a display-only
option (`currency`), the data size (`rows`), and two readers (`read-total`, `read-month`) that
show what the user picked. Some patterns add a writer output (`kept`: the store, the signal or
the global's receipt), a cache namespace (`round`) or a session id (`token`). Component ids are
`compare-<slug>-<part>`: the instruments count every one of them under the page pattern
`compare`, and the expensive step under the step `<slug>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.i18n import N_

PAGE_PATTERN = "compare"  # the /compare page's pattern: its ids, its meters, its steps
ID_PREFIX = f"{PAGE_PATTERN}-"


@dataclass(frozen=True)
class Pattern:
    slug: str
    label: str
    short: str  # for chart axes
    lesson: str  # the path of the lesson that teaches it
    keeps: str  # where the shared result lives
    executions: str  # what the step count should be, in words
    also: tuple[str, ...] = ()  # other lessons that show this pattern

    def taught_in(self, path: str) -> bool:
        return path == self.lesson or path in self.also

    def id(self, part: str) -> str:
        return f"{ID_PREFIX}{self.slug}-{part}"

    @property
    def prefix(self) -> str:
        return f"{ID_PREFIX}{self.slug}-"


PATTERNS = (
    Pattern("baseline", N_("Recompute in every callback"), N_("recompute"), "/why-share-state",
            N_("nowhere: every reader runs the step"), N_("one per reader call")),
    Pattern("global", N_("Module-level global"), N_("global"), "/global-variable",
            N_("a Python global, one copy per worker"), N_("one per pick")),
    Pattern("store", N_("dcc.Store (the data)"), N_("dcc.Store"), "/dcc-store",
            N_("the browser: the whole table"), N_("one per pick"), also=("/why-share-state",)),
    Pattern("aggregates", N_("Aggregations upfront"), N_("aggregates"), "/aggregations",
            N_("the browser: only the 12 numbers drawn"), N_("one per pick")),
    Pattern("memoize", N_("Server cache, plain memoize"), N_("memoize"), "/cache-signal",
            N_("the server cache, keyed by shop (no lock)"),
            N_("one per shop, plus one per user who asked while it computed")),
    Pattern("once", N_("Server cache, compute once"), N_("compute once"), "/cache-signal",
            N_("the server cache, keyed by shop, with a lock"), N_("exactly one per shop")),
    Pattern("session", N_("Per-session server cache"), N_("per session"), "/session-cache",
            N_("the server, keyed by a signed session id"), N_("exactly one per session")),
)
BY_SLUG = {p.slug: p for p in PATTERNS}

# The parts every pattern has, and the ones the runner fills before a user clicks.
SHOP, CURRENCY, ROWS, ROUND, TOKEN = "shop", "currency", "rows", "round", "token"
READERS = ("read-total", "read-month")


def pattern_named(slug: str) -> Pattern:
    try:
        return BY_SLUG[slug]
    except KeyError:
        raise ValueError(f"unknown pattern {slug!r}: one of {', '.join(BY_SLUG)}") from None
