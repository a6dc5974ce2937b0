"""The scenario runner: the same users doing the same thing on every pattern, at each worker count.

For each worker count asked for, the runner sets gunicorn's count through the instructor API and
waits until exactly that many workers are live; for each pattern it then plays one round:

1. every user opens a visit (a page load: `GET /_dash-layout`), and one more visit names the
   round's private corner of the server cache, so nothing cached earlier is found;
2. the users pick their shops at the same moment (`workload.scripted_users`: half pick the
   popular shop, the others one each). Their first requests are connected in user order before
   any is sent, so gunicorn takes them in that order: with W workers the first W ask together;
3. each user's page follows its callback chain as dash-renderer does (`client.Renderer`): the
   pick's outputs fire the readers; then the user switches the display-only currency;
4. the runner reads back what the instruments recorded for those visits (executions, callbacks,
   bytes up and down on the wire, each call's time and worker) and judges every reading
   (`judge.judge`).

After the patterns, at the same worker count, it fires lesson 8's crowd once per way of running the
step (`offload`: on the web workers, on Diskcache job processes, on a Celery worker): who got their
report, how many web workers the step occupied, and what a cheap callback waited meanwhile.

At the end it restores the worker count it found. It runs outside gunicorn's workers (a process
of its own), so a round at 1 worker measures that worker, not the runner.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

from lab.compare import workload as w
from lab.compare.offload import NO_KEY, NOT_ASKED, Offload, crowd_users, offload_round
from lab.i18n import _
from lab.compare.client import Callback, CallbackGraph, Lab, LabError, Renderer, Reply, parse_props
from lab.compare.judge import Reading, figures, judge, percentile
from lab.compare.patterns import CURRENCY, PAGE_PATTERN, PATTERNS, READERS, ROUND, ROWS, SHOP, TOKEN, pattern_named

MAX_WORKER_COUNTS = 4
RECORD_WAIT_SECONDS = 15.0  # the instruments write within ~0.25 s; this is the patience for a slow store


class Cancelled(Exception):
    """The instructor cancelled the run."""


@dataclass(frozen=True)
class Config:
    users: int = w.DEFAULT_USERS
    workers: tuple[int, ...] = (1, 4)
    rows: int = w.DEFAULT_ROWS
    patterns: tuple[str, ...] = tuple(p.slug for p in PATTERNS)
    offload: bool = True  # lesson 8's crowd too, at each worker count (see `offload`)

    def checked(self, max_workers: int) -> Config:
        """The same config, or ValueError with a message fit to show the instructor."""
        if isinstance(self.users, bool) or not isinstance(self.users, int) or not w.MIN_USERS <= self.users <= w.MAX_USERS:
            raise ValueError(_("users must be a whole number from %(lo)s to %(hi)s", lo=w.MIN_USERS, hi=w.MAX_USERS))
        workers = tuple(self.workers)
        if (not 1 <= len(workers) <= MAX_WORKER_COUNTS or len(set(workers)) != len(workers)
                or not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= max_workers for n in workers)):
            raise ValueError(_("choose 1 to %(most)s different worker counts, each from 1 to %(hi)s",
                               most=MAX_WORKER_COUNTS, hi=max_workers))
        w.check_rows(self.rows)
        if not self.patterns or len(set(self.patterns)) != len(self.patterns):
            raise ValueError(_("name each pattern once"))
        for slug in self.patterns:
            pattern_named(slug)
        if not isinstance(self.offload, bool):
            raise ValueError(_("offload must be true or false"))
        return Config(self.users, workers, self.rows, tuple(self.patterns), self.offload)

    def as_dict(self) -> dict:
        return {**asdict(self), "workers": list(self.workers), "patterns": list(self.patterns)}


@dataclass
class Progress:
    """What the runner is doing now: reported after every step."""

    done: int
    total: int
    workers: int | None = None
    pattern: str | None = None
    phase: str = ""


@dataclass
class Round:
    """One pattern at one worker count: the pages the users had, and how long it took."""

    pattern: str
    workers: int
    users: list[w.User]
    pages: list[Renderer]
    seconds: float
    expected_readings: int
    notes: list[str] = field(default_factory=list)


def run_comparison(lab: Lab, config: Config, on_progress: Callable[[Progress], None] = lambda p: None,
                   cancelled: Callable[[], bool] = lambda: False, offload: Offload | None = None) -> dict:
    """Play every round of `config` against `lab`; returns the result document (see `result_row`
    and `offload.offload_row`). Lesson 8's crowd runs only with `config.offload` and an `offload`
    (the lab's signing key); otherwise the result says why it is missing."""
    started = time.time()
    health = lab.health()
    if not health.get("instruments", True):
        raise LabError("the comparison reads the instruments, and they are off (INSTRUMENTS=off)")
    if health.get("degraded"):
        raise LabError("Redis is unreachable (degraded mode): the figures cannot be recorded")
    gunicorn = health.get("server") == "gunicorn"
    before = len(health["workers"])
    counts = config.workers if gunicorn else (1,)
    graph = lab.dependencies()
    users = w.scripted_users(config.users)
    expected_fp = {shop: w.expected_fingerprint(shop, config.rows) for shop in {u.shop for u in users}}
    modes = offload.modes() if offload and config.offload else ()
    step = float(health.get("step_seconds") or 0)
    total = len(counts) * (len(config.patterns) + len(modes))
    done = 0
    rows: list[dict] = []
    offload_rows: list[dict] = []

    def check_cancel() -> None:
        if cancelled():
            raise Cancelled()

    try:
        for count in counts:
            check_cancel()
            if gunicorn:
                on_progress(Progress(done, total, count, None, f"asking gunicorn for {count} worker{'s' * (count > 1)}"))
                lab.set_workers(count)
            for slug in config.patterns:
                check_cancel()
                pattern = pattern_named(slug)
                on_progress(Progress(done, total, count, slug, f"{config.users} users pick a shop at once"))
                played = play_round(lab, graph.within(pattern.prefix), slug, count, users, config.rows)
                on_progress(Progress(done, total, count, slug, "reading the instruments"))
                rows.append(result_row(lab, played, expected_fp, config.rows))
                done += 1
                on_progress(Progress(done, total, count, slug, "done"))
            for mode in modes:
                check_cancel()
                on_progress(Progress(done, total, count, f"offload-{mode}",
                                     f"{crowd_users(config.users)} users ask for a different report each"))
                offload_rows.append(offload_round(lab, offload, mode, count, config.users, step))
                done += 1
                on_progress(Progress(done, total, count, f"offload-{mode}", "done"))
    finally:
        if gunicorn and len(lab.health()["workers"]) != before:
            on_progress(Progress(done, total, before, None, f"restoring {before} worker{'s' * (before > 1)}"))
            try:
                lab.set_workers(before)
            except LabError:
                pass  # the lab may be going away; the page shows the live count anyway
    return {
        "started_at": started, "finished_at": time.time(), "seconds": round(time.time() - started, 2),
        "config": config.as_dict(),
        "lab": {"backend": health.get("backend"), "redis": (health.get("redis") or {}).get("url"),
                "server": health.get("server"), "step_seconds": health.get("step_seconds"),
                "workers_before": before},
        "shops": {u.shop: sum(x.shop == u.shop for x in users) for u in users},
        "rows": rows,
        "offload": {"rows": offload_rows, "missing": _offload_missing(config, offload)},
    }


def _offload_missing(config: Config, offload: Offload | None) -> str | None:
    """Why lesson 8's crowd, or part of it, is not in the result (None: nothing is missing)."""
    if not config.offload:
        return NOT_ASKED
    if offload is None:
        return NO_KEY
    return offload.skipped


def play_round(lab: Lab, graph: CallbackGraph, slug: str, count: int, users: list[w.User], rows: int) -> Round:
    """Every user's page picks its shop at the same moment, follows its callbacks, then changes the currency."""
    pattern = pattern_named(slug)
    shop, currency = (pattern.id(SHOP), "value"), (pattern.id(CURRENCY), "value")
    first_wave = [cb for cb in graph.triggered_by({shop}) if not cb.clientside]
    if not first_wave:
        raise LabError(f"the lab has no callback for pattern {slug!r}: is it the same version as this runner?")
    readers = {(pattern.id(r), "data") for r in READERS}
    on_currency = [cb for cb in graph.triggered_by({currency}) if readers.intersection(cb.outputs)]
    round_visit = lab.visit()
    pages = []
    for user in users:
        visit = lab.visit()
        pages.append(Renderer(lab, graph, visit, {
            shop: None, currency: w.FIRST_CURRENCY, (pattern.id(ROWS), "data"): rows,
            (pattern.id(ROUND), "data"): round_visit, (pattern.id(TOKEN), "data"): visit}))

    # Connect every first request now, in user order; send them all when everyone is connected.
    barrier = threading.Barrier(len(users) * len(first_wave) + 1, timeout=60)
    waiting = [[lab.connect() for _ in first_wave] for _ in users]
    lock = threading.Lock()

    def sender(i: int) -> Callable[[Callback, dict], Reply]:
        def send(_cb: Callback, body: dict) -> Reply:
            with lock:
                conn = waiting[i].pop(0)
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                conn.close()
                return Reply(0, None, 0.0, "the users could not start together")
            return lab.callback(body, pages[i].visit, conn=conn)
        return send

    errors: list[str] = []

    def user_session(i: int) -> None:
        try:
            pages[i].change(shop, users[i].shop, "pick", fire=sender(i))
            pages[i].change(currency, w.SECOND_CURRENCY, "currency")
        except LabError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=user_session, args=(i,), daemon=True) for i in range(len(users))]
    for thread in threads:
        thread.start()
    t0 = time.perf_counter()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        errors.append("the users could not start together")
    for thread in threads:
        thread.join(lab.timeout * 4)
    seconds = time.perf_counter() - t0
    for page_conns in waiting:
        for conn in page_conns:
            conn.close()
    expected = len(users) * (len(readers) + len(on_currency))
    return Round(slug, count, users, pages, seconds, expected, errors)


def readings_of(played: Round) -> list[Reading]:
    pattern = pattern_named(played.pattern)
    names = {pattern.id(r): r for r in READERS}
    found = []
    for user, page in zip(played.users, played.pages, strict=True):
        for call in page.calls:
            reader = next((names[c] for c, _prop in parse_props(call.callback) if c in names), None)
            if reader is None:
                continue
            shown = call.outputs.get((pattern.id(reader), "data"))
            found.append(Reading(user.number, user.shop, reader, call.phase, call.reply.status, shown))
    return found


def result_row(lab: Lab, played: Round, expected_fp: dict[str, str], rows: int) -> dict:
    """The round's figures (from the instruments) and its verdict (from what every reader showed)."""
    visits = [page.visit for page in played.pages]
    sent = [sum(1 for c in page.calls if c.reply.status) for page in played.pages]
    deadline = time.monotonic() + RECORD_WAIT_SECONDS
    while True:
        recorded = lab.visit_figures(visits, PAGE_PATTERN)
        if any("error" in v for v in recorded):
            raise LabError(f"the lab did not recognise its own visit ids: {recorded[0].get('error')}")
        if all(v["callbacks"] >= n for v, n in zip(recorded, sent, strict=True)):
            break
        if time.monotonic() > deadline:
            raise LabError(f"the instruments recorded {sum(v['callbacks'] for v in recorded)} of "
                           f"{sum(sent)} callbacks after {RECORD_WAIT_SECONDS:.0f} s")
        time.sleep(0.1)
    verdict = judge(readings_of(played), expected_fp, played.expected_readings)
    pattern = pattern_named(played.pattern)
    failed = [c for page in played.pages for c in page.calls if c.reply.status == 0]
    waits = [c.reply.seconds * 1000.0 for page in played.pages for c in page.calls if c.reply.status]
    return {
        "pattern": pattern.slug, "label": pattern.label, "lesson": pattern.lesson, "keeps": pattern.keeps,
        "workers": played.workers, "users": len(played.users), "shops": len({u.shop for u in played.users}),
        "rows": rows, "seconds": round(played.seconds, 2),
        **figures(recorded, pattern.slug),
        "unanswered": len(failed),
        # What the users waited for each answer, queueing included (measured by this HTTP client).
        "wait_p50_ms": _ms(percentile(waits, 50)), "wait_p95_ms": _ms(percentile(waits, 95)),
        "verdict": verdict.as_dict(),
        "notes": played.notes[:3],
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
