"""What the benchmark scripts share: their common options, and measuring on each backend asked
for, side by side in one run."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable

from lab.local_servers import RedisServer, free_port


def arguments(doc: str, workers: int) -> argparse.ArgumentParser:
    """A benchmark's command line: `--backend` and `--workers` (each script adds its own options)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["filesystem", "redis", "both"], default="both")
    parser.add_argument("--workers", type=int, default=workers, help="gunicorn workers per server")
    return parser


def on_backends(choice: str, measure: Callable[[str, str | None, Path], dict]) -> list[dict]:
    """`measure(backend, redis_url, directory)` for `filesystem`, `redis` or `both`; Redis is a private
    redis-server started here (and stopped after), so nothing else on the machine is touched."""
    backends = ["filesystem", "redis"] if choice == "both" else [choice]
    redis_server = None
    results = []
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as tmp:
        try:
            for backend in backends:
                redis_url = None
                if backend == "redis":
                    binary = shutil.which("redis-server")
                    if binary is None:
                        print("redis-server is not installed: no Redis figures", file=sys.stderr)
                        continue
                    redis_server = redis_server or RedisServer.start(binary, free_port())
                    redis_url = redis_server.fresh_db_url()
                print(f"measuring {backend} …", file=sys.stderr, flush=True)
                results.append(measure(backend, redis_url, Path(tmp)))
        finally:
            if redis_server:
                redis_server.stop()
    return results
