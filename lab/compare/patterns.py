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
    Pattern("baseline", "Recompute in every callback", "recompute", "/why-share-state", "nowhere: every reader runs the step",
            "one per reader call"),
    Pattern("global", "Module-level global", "global", "/global-variable", "a Python global, one copy per worker",
            "one per pick"),
    Pattern("store", "dcc.Store (the data)", "dcc.Store", "/dcc-store", "the browser: the whole table",
            "one per pick", also=("/why-share-state",)),
    Pattern("aggregates", "Aggregations upfront", "aggregates", "/aggregations", "the browser: only the 12 numbers drawn",
            "one per pick"),
    Pattern("memoize", "Server cache, plain memoize", "memoize", "/cache-signal", "the server cache, keyed by shop (no lock)",
            "one per shop, plus one per user who asked while it computed"),
    Pattern("once", "Server cache, compute once", "compute once", "/cache-signal", "the server cache, keyed by shop, with a lock",
            "exactly one per shop"),
    Pattern("session", "Per-session server cache", "per session", "/session-cache", "the server, keyed by a signed session id",
            "exactly one per session"),
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
