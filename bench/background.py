"""Lesson 8's figures, side by side in one run: the same slow step as a plain callback and as a
background callback (Diskcache; Celery too on Redis), under the same crowd.

    python -m bench.background [--backend filesystem|redis|both] [--step 3] [--workers 4] [--users 8]

For each backend it starts the lab as `python app.py --workers N` (with Redis, that starts a
Celery worker beside gunicorn, as `make run` does) with STEP_SECONDS=`--step`. Then, for each
way of running the step, `--users` users (each a fresh visit) ask at the same moment for as many
*different* uncached reports (a private round each time), polling like dash-renderer for
background jobs, while a cheap callback is pinged every 0.2 s from this process.

Targets: every user gets its own report, in every mode; plain callbacks: the cheap callback's
p95 is at least the step time (the web workers were all busy); background: the cheap callback's
p95 is at most 100 ms (the web workers stayed free). Prints a table and exits 1 if one is missed.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from bench.common import arguments, on_backends
from lab import background as lesson
from lab.crowd import Address
from lab.local_servers import LabServer, free_port

PROJECT_DIR = Path(__file__).resolve().parent.parent
BACKGROUND_P95_MS = 100.0


def measure(backend: str, redis_url: str | None, directory: Path, args) -> dict:
    secret = secrets.token_urlsafe(24)
    port = free_port()
    server = LabServer(PROJECT_DIR, directory / f"lab-{backend}", port=port, host="127.0.0.1", workers=args.workers,
                       redis_url=redis_url, env={"STEP_SECONDS": str(args.step), "SECRET_KEY": secret},
                       argv=[sys.executable, "app.py", "--workers", str(args.workers), "--port", str(port)])
    server.start()
    try:
        server.wait_ready()
        modes = [lesson.PLAIN, lesson.DISKCACHE] + ([lesson.CELERY] if redis_url else [])
        timeout = args.step * args.users + 60
        runs = {mode: lesson.crowd(Address("http", "127.0.0.1", port), mode, args.users, secret, timeout)
                for mode in modes}
    finally:
        server.stop()
    return {"backend": backend, "runs": runs}


def verdicts(mode: str, run: dict, step: float) -> list[tuple[str, bool]]:
    p95 = run["ping_p95_ms"]
    checks = [(f"{run['served']}/{run['users']} users got their report", run["served"] == run["users"])]
    if mode == lesson.PLAIN:
        checks.append((f"cheap p95 ≥ step ({step * 1000:.0f} ms)", p95 is not None and p95 >= step * 1000))
    else:
        checks.append((f"cheap p95 ≤ {BACKGROUND_P95_MS:.0f} ms", p95 is not None and p95 <= BACKGROUND_P95_MS))
    return checks


def main() -> int:
    parser = arguments(__doc__, workers=4)
    parser.add_argument("--step", type=float, default=3.0, help="STEP_SECONDS of the servers (default 3)")
    parser.add_argument("--users", type=int, default=8, choices=range(2, lesson.MAX_USERS + 1), metavar="2-8")
    args = parser.parse_args()
    results = on_backends(args.backend, lambda backend, url, tmp: measure(backend, url, tmp, args))
    print(f"\nLesson 8: {args.users} users, {args.users} different uncached reports, step {args.step:g} s, "
          f"{args.workers} web workers; a cheap callback pinged every {lesson.PING_EVERY:g} s\n")
    header = f"{'backend':<11} {'mode':<10} {'served':>6} {'cheap p95':>10} {'cheap max':>10} {'pings':>5} " \
             f"{'wall':>7} {'step ran on':>12}  verdict"
    print(header)
    print("-" * len(header))
    ok = True
    for result in results:
        for mode, run in result["runs"].items():
            checks = verdicts(mode, run, args.step)
            ok &= all(passed for _, passed in checks)
            where = f"{len(run['step_pids'])} {'web' if mode == lesson.PLAIN else 'bg'} procs"
            p95 = "—" if run["ping_p95_ms"] is None else f"{run['ping_p95_ms']:.0f} ms"
            worst = "—" if run["ping_max_ms"] is None else f"{run['ping_max_ms']:.0f} ms"
            print(f"{result['backend']:<11} {mode:<10} {run['served']:>3}/{run['users']:<2} {p95:>10} {worst:>10} "
                  f"{run['pings']:>5} {run['wall']:>6.2f}s {where:>12}  "
                  + "; ".join(f"{'PASS' if passed else 'FAIL'} {what}" for what, passed in checks))
    print("\nall targets met" if ok else "\nsome targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
