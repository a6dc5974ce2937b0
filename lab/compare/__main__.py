"""`python -m lab.compare`: the comparison from a terminal.

    python -m lab.compare                          # starts a lab (gunicorn, filesystem), runs, prints
    python -m lab.compare --backend redis --workers 1,4 --users 8 --rows 100000 --step 1
    python -m lab.compare --url http://127.0.0.1:8050 --token "$INSTRUCTOR_TOKEN"   # a lab already running

Without `--url` it starts the lab under gunicorn on a free loopback port (a private redis-server
with `--backend redis`, unless `--redis-url` names one), runs every pattern at each worker count,
prints the table, writes the result as JSON (`--json`), and stops what it started. Lesson 8's
crowd (`--no-offload` leaves it out) signs its users' visits with the lab's key: the lab started
here gets one; for `--url`, set `SECRET_KEY` to that lab's key, or the crowd is left out. Its
Celery way runs only when the lab starts the run (the /compare page): that is where a Celery
worker answers.

`--publish RUN_ID` is how the lab starts it from the /compare page: the runner then works on the
lab it was started by (the same environment), and reports on the lab's board.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sys
import traceback
from pathlib import Path

from lab.compare import workload as w
from lab.compare.client import Lab, LabError
from lab.compare.offload import CELERY_ELSEWHERE, NO_CELERY, Offload
from lab.compare.patterns import PATTERNS
from lab.compare.report import table
from lab.compare.runner import Cancelled, Config, Progress, run_comparison
from lab.crowd import own_address
from lab.settings import MAX_WORKERS


def _counts(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("give worker counts as numbers separated by commas, e.g. 1,4") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lab.compare", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running lab to measure (default: start one for this run)")
    parser.add_argument("--token", help="the instructor token, when the lab at --url needs one")
    parser.add_argument("--backend", choices=("filesystem", "redis"), default="filesystem",
                        help="the backend of the lab started here (default filesystem)")
    parser.add_argument("--redis-url", help="with --backend redis: this Redis instead of a private redis-server")
    parser.add_argument("--step", type=float, default=1.0, help="STEP_SECONDS of the lab started here (default 1)")
    parser.add_argument("--workers", type=_counts, default=(1, 4), help="worker counts to sweep (default 1,4)")
    parser.add_argument("--users", type=int, default=w.DEFAULT_USERS, help=f"simulated users (default {w.DEFAULT_USERS})")
    parser.add_argument("--rows", type=int, default=w.DEFAULT_ROWS,
                        help=f"rows of each shop's data: {', '.join(map(str, w.ROW_CHOICES))} (default {w.DEFAULT_ROWS})")
    parser.add_argument("--patterns", default=",".join(p.slug for p in PATTERNS), help="patterns to run (default all)")
    parser.add_argument("--offload", action=argparse.BooleanOptionalAction, default=True,
                        help="also fire lesson 8's crowd at each worker count (default: yes)")
    parser.add_argument("--json", type=Path, default=Path("compare-results.json"),
                        help="where to write the result (default compare-results.json)")
    parser.add_argument("--publish", metavar="RUN_ID", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def print_progress(p: Progress) -> None:
    where = f"{p.workers} worker{'s' * ((p.workers or 0) > 1)}" if p.workers else ""
    print(f"  [{p.done}/{p.total}] {where} {p.pattern or ''}: {p.phase}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def started_lab(args: argparse.Namespace, max_workers: int):
    from lab.compare.local import local_lab, private_redis

    with contextlib.ExitStack() as stack:
        redis_url = None
        if args.backend == "redis":
            redis_url = args.redis_url or stack.enter_context(private_redis())
        print(f"starting a lab: gunicorn, {args.backend}, STEP_SECONDS={args.step:g} …", file=sys.stderr, flush=True)
        yield stack.enter_context(local_lab(max_workers, args.step, redis_url, args.secret))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = Config(args.users, args.workers, args.rows, tuple(s for s in args.patterns.split(",") if s),
                    args.offload)
    if args.publish:
        return publish(args.publish, config)
    try:
        config = config.checked(MAX_WORKERS)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # The crowd's visits are signed with the lab's key: ours for a lab started here, else SECRET_KEY.
    args.secret = os.environ.get("SECRET_KEY") or (None if args.url else secrets.token_urlsafe(32))
    offload = None
    if args.secret:
        offload = Offload(args.secret, skipped=CELERY_ELSEWHERE if args.url or args.backend == "redis" else None)
    try:
        with (contextlib.nullcontext(args.url) if args.url else started_lab(args, max(config.workers))) as url:
            lab = Lab(own_address([url.rstrip("/")]), token=args.token)
            result = run_comparison(lab, config, print_progress, offload=offload)
    except (LabError, RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(table(result))
    args.json.write_text(json.dumps(result, indent=1))
    print(f"\nwritten: {args.json}")
    return 0


def publish(run_id: str, config: Config) -> int:
    """Run for the lab whose environment this process inherited, reporting on its board."""
    from lab.background import celery_workers_online
    from lab.board import board_for
    from lab.compare.runs import Publisher
    from lab.guard import listening_addresses
    from lab.settings import get_settings

    settings = get_settings()
    lab = Lab(own_address(listening_addresses(settings)), token=settings.instructor_token)
    celery = bool(settings.redis_url and config.offload and celery_workers_online(settings))
    offload = Offload(settings.secret_key, celery=celery,
                      skipped=None if celery or not settings.redis_url or not config.offload else NO_CELERY)
    with Publisher(board_for(settings), run_id) as board:
        def report(p: Progress) -> None:
            print_progress(p)
            board.progress(done=p.done, total=p.total, workers=p.workers, pattern=p.pattern, phase=p.phase)

        try:
            result = run_comparison(lab, config, report, board.cancelled, offload)
        except Cancelled:
            board.finish(None, "cancelled")
            return 0
        except Exception as exc:  # the page must say the run failed, whatever the reason
            traceback.print_exc()
            board.finish(None, "failed", f"{type(exc).__name__}: {exc}")
            return 1
        board.finish(result, "done")
        print(table(result), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
