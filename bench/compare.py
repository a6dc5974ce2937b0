"""The comparison's targets, measured: every pattern through the same workload, side by side.

    python -m bench.compare [--backend filesystem|redis|both] [--step 1] [--users 8] [--workers 1,4]

For each backend it starts the lab under gunicorn (STEP_SECONDS=`--step`) and runs:

1. the sweep: 7 patterns × the worker counts, `--users` users, 10,000 rows (the page's default);
2. the bytes: dcc.Store, aggregates and the per-session cache at 100,000 rows, 2 users.

Targets (issue 9, 2-core machine): the global variable isolated ✗ at 1 worker and correct ✗ at
the largest count, every other pattern correct ✓ and isolated ✓; compute-once exactly 1 execution
per distinct shop, the per-session cache and dcc.Store 1 per user, recompute-everywhere and plain
memoize above compute-once at the largest count; aggregates ≥ 1000× fewer bytes down than the
dcc.Store at 100,000 rows; the per-session cache ≤ 1 KB up per callback; the sweep under 2 minutes
(with STEP_SECONDS=1, 8 users, 2 worker counts). Prints the tables and PASS/FAIL; exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from lab.compare.__main__ import _counts
from lab.compare.client import Lab
from lab.compare.local import local_lab, private_redis
from lab.compare.report import table
from lab.compare.runner import Config, run_comparison
from lab.crowd import own_address


def by(result: dict, pattern: str, workers: int) -> dict:
    return next(r for r in result["rows"] if r["pattern"] == pattern and r["workers"] == workers)


def checks(sweep: dict, size: dict, users: int) -> list[tuple[str, bool, str]]:
    low, high = min(sweep["config"]["workers"]), max(sweep["config"]["workers"])
    shops = len(sweep["shops"])
    out = []
    g_low, g_high = by(sweep, "global", low)["verdict"], by(sweep, "global", high)["verdict"]
    out.append((f"global isolated ✗ at {low} worker(s)", not g_low["isolated"], f"{g_low['leaks']} leaks"))
    out.append((f"global correct ✗ at {high} workers", not g_high["correct"], f"{g_high['right']}/{g_high['expected']} right"))
    others = [r for r in sweep["rows"] if r["pattern"] != "global"]
    bad = [f"{r['pattern']}@{r['workers']}" for r in others if not (r["verdict"]["correct"] and r["verdict"]["isolated"])]
    out.append(("every other pattern correct ✓ and isolated ✓", not bad, ", ".join(bad) or "all"))
    for count in sweep["config"]["workers"]:
        once = by(sweep, "once", count)["executions"]
        out.append((f"compute-once = {shops} (1 per shop) at {count}", once == shops, str(once)))
        for pattern in ("session", "store"):
            n = by(sweep, pattern, count)["executions"]
            out.append((f"{pattern} = {users} (1 per user) at {count}", n == users, str(n)))
    once = by(sweep, "once", high)["executions"]
    for pattern in ("baseline", "memoize"):
        n = by(sweep, pattern, high)["executions"]
        out.append((f"{pattern} above compute-once at {high}", n > once, f"{n} > {once}"))
    store, aggregates = by(size, "store", 2)["bytes_down"], by(size, "aggregates", 2)["bytes_down"]
    out.append(("aggregates ≥ 1000× fewer bytes down than dcc.Store at 100,000 rows",
                store >= 1000 * aggregates, f"{store / max(aggregates, 1):,.0f}× ({store:,} / {aggregates:,} B)"))
    session = by(size, "session", 2)["max_up"]
    out.append(("per-session cache ≤ 1 KB up per callback at 100,000 rows", session <= 1000, f"{session} B"))
    if sweep["lab"]["step_seconds"] == 1 and users == 8 and len(sweep["config"]["workers"]) == 2:
        out.append(("the sweep under 2 minutes", sweep["seconds"] < 120, f"{sweep['seconds']:.0f} s"))
    return out


def measure(backend: str, args: argparse.Namespace) -> list[tuple[str, bool, str]]:
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(private_redis()) if backend == "redis" else None
        url = stack.enter_context(local_lab(max(args.workers), args.step, redis_url))
        lab = Lab(own_address([url]))
        print(f"\n== {backend}: the sweep …", file=sys.stderr, flush=True)
        sweep = run_comparison(lab, Config(args.users, args.workers))
        print(table(sweep))
        print(f"\n== {backend}: bytes at 100,000 rows …", file=sys.stderr, flush=True)
        size = run_comparison(lab, Config(2, (2,), 100_000, ("store", "aggregates", "session")))
        print(table(size))
        return checks(sweep, size, args.users)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("filesystem", "redis", "both"), default="both")
    parser.add_argument("--step", type=float, default=1.0)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--workers", type=_counts, default=(1, 4))
    args = parser.parse_args()
    failed = 0
    for backend in (["filesystem", "redis"] if args.backend == "both" else [args.backend]):
        results = measure(backend, args)
        print(f"\n{'target':<72} {'result':<6} measured")
        for name, ok, measured in results:
            failed += not ok
            print(f"{backend + ': ' + name:<72} {'PASS' if ok else 'FAIL':<6} {measured}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
