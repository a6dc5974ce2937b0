"""Lesson 8 in the comparison: the same crowd with the expensive step on the web workers, or off them.

At each worker count, after the patterns' rounds, the runner fires lesson 8's crowd
(`lab.background.crowd`) once per way of running the step: U users (at most 8) each ask at the
same moment for a *different* report, in a private round (nothing cached helps), while a cheap
callback is pinged every 0.2 s beside them. What it keeps per way: how many users got their own
report, how many of the live web workers ran the step (they could not answer anyone meanwhile),
and what the cheap callback waited (p95, max) — the occupancy a learner feels.

The crowd's users are visits signed with the lab's `SECRET_KEY` (a round token too), so the
runner needs that key: it has it when the lab starts it (same environment) or starts the lab
itself; `python -m lab.compare --url …` reads it from `SECRET_KEY`, and without it leaves this
part out and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lab import background as lesson
from lab.compare.client import Lab
from lab.i18n import N_

LESSON = "/background"
CROWD_TIMEOUT_FLOOR = 60.0  # seconds beyond users × step before a user counts as not served
# Why the crowd, or its Celery way, is not in a result (English in the result, translated where shown).
NOT_ASKED = N_("it was not asked for")
NO_KEY = N_("the runner does not have the lab's SECRET_KEY, which the crowd's visits are signed with")
NO_CELERY = N_("no Celery worker answered, so the Celery way was left out")
CELERY_ELSEWHERE = N_("the Celery way runs from the lab's /compare page, beside its Celery worker")


@dataclass(frozen=True)
class Offload:
    """What the runner needs to fire the crowd: the lab's signing key, and whether a Celery worker
    answers (the Celery way is left out, with a note, when none does)."""

    secret: str = field(repr=False)
    celery: bool = False
    skipped: str | None = None  # why the Celery way is left out, when it is

    def modes(self) -> tuple[str, ...]:
        return (lesson.PLAIN, lesson.DISKCACHE) + ((lesson.CELERY,) if self.celery else ())


def modes_expected(redis: bool) -> int:
    """How many ways a run on this backend plays (for the progress total before it starts)."""
    return 3 if redis else 2


def crowd_users(users: int) -> int:
    return max(1, min(users, lesson.MAX_USERS))


def offload_round(lab: Lab, offload: Offload, mode: str, workers: int, users: int, step: float) -> dict:
    """One crowd of `mode` at `workers` workers, against `lab`; its row of the result."""
    users = crowd_users(users)
    live = lab.health()["workers"]
    run = lesson.crowd(lab.address, mode, users, offload.secret, step * users + CROWD_TIMEOUT_FLOOR)
    return offload_row(run, mode, workers, live, step)


def offload_row(run: dict, mode: str, workers: int, live: list[int], step: float) -> dict:
    """The figures a crowd run (`lab.background.summarize`) gives the comparison: plain data."""
    on_web = sorted(set(run["step_pids"]) & set(live))
    return {
        "mode": mode, "label": str(lesson.MODES[mode]), "lesson": LESSON, "workers": workers,
        "users": run["users"], "served": run["served"], "failed": run["failed"],
        "web_workers_busy": len(on_web), "live_workers": len(live),
        "step_processes": len(run["step_pids"]), "step_seconds": step,
        "cheap_p95_ms": run["ping_p95_ms"], "cheap_max_ms": run["ping_max_ms"],
        "pings": run["pings"], "pings_failed": run["pings_failed"], "seconds": run["wall"],
    }
