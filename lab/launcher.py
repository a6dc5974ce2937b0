"""`python app.py`: serve the lab with gunicorn (several workers) or, with --dev, one debug process.

gunicorn is embedded through its `BaseApplication` API, not started as a shell command, and
reads the same settings and hooks as a plain `gunicorn app:server` (`lab.gunicorn_config`).
Command-line options are written back to the environment first, so the master, every worker
and `lab.settings` agree on one configuration.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

from lab.settings import MAX_WORKERS, SettingsError, get_settings


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description="Serve the live lab for sharing data between Dash callbacks.",
        epilog="Every option also reads from the environment (WORKERS, HOST, PORT); see README.md for the rest.",
    )
    parser.add_argument("--workers", type=int, metavar="N", help=f"gunicorn worker processes, 1 to {MAX_WORKERS} (default 4, env WORKERS)")
    parser.add_argument("--host", metavar="ADDRESS", help="address to listen on (default 127.0.0.1, env HOST)")
    parser.add_argument("--port", type=int, metavar="PORT", help="port to listen on (default 8050, env PORT)")
    parser.add_argument("--dev", action="store_true", help="one process with Dash's debug server and hot reload, no gunicorn")
    return parser.parse_args(argv)


def apply_to_environment(args: argparse.Namespace) -> None:
    for name, value in (("WORKERS", args.workers), ("HOST", args.host), ("PORT", args.port)):
        if value is not None:
            os.environ[name] = str(value)
    get_settings.cache_clear()


def gunicorn_options() -> dict:
    from lab import gunicorn_config

    names = ("bind", "workers", "worker_class", "timeout", "graceful_timeout", "control_socket_disable", "preload_app",
             "errorlog", "loglevel", "accesslog", "on_starting", "when_ready", "worker_exit")
    settings = get_settings()
    options = {name: getattr(gunicorn_config, name) for name in names}
    options.update(bind=[f"{settings.host}:{settings.port}"], workers=settings.workers)
    return options


def serve_gunicorn(wsgi_app, options: dict) -> None:
    from gunicorn.app.base import BaseApplication

    class LabServer(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return wsgi_app

    LabServer().run()


def main(dash_app, argv: list[str] | None = None) -> int:
    """Run `dash_app` as the command line asks; returns the exit status."""
    args = parse_args(argv)
    apply_to_environment(args)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    if args.dev:
        from lab import worker_copies
        from lab.guard import LISTENERS_ENV
        from lab.board import prepare_board
        from lab.metrics import prepare_stores
        from lab.workers import MASTER_PID_ENV

        for inherited in (LISTENERS_ENV, MASTER_PID_ENV):  # this process is no gunicorn worker
            os.environ.pop(inherited, None)
        prepare_stores(settings)
        prepare_board(settings)
        worker_copies.prepare(settings)
        print(f"Dev server (one process, debug on) at {settings.url}  backend: {settings.backend}", flush=True)
        dash_app.run(host=settings.host, port=settings.port, debug=True)
        return 0
    celery = start_celery_worker(settings)
    try:
        serve_gunicorn(dash_app.server, gunicorn_options())
    finally:
        if celery is not None:
            stop_celery_worker(celery, settings)
    return 0


def celery_command(settings) -> list[str]:
    """The Celery worker that runs lesson 8's background jobs: the same command as the compose
    file's worker service, with a node name of its own (several labs may share one Redis)."""
    return [sys.executable, "-m", "celery", "-A", "app:celery_app", "worker", "--loglevel", "WARNING",
            "--concurrency", str(settings.celery_workers), "--without-gossip", "--without-mingle",
            "--hostname", f"lab-{os.getpid()}@%h"]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the Celery worker gets SIGTERM if the launcher dies without stopping it."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_celery_worker(settings) -> subprocess.Popen | None:
    """With REDIS_URL set: a Celery worker beside gunicorn (stopped with it). Without Redis there is
    nothing to start: lesson 8 says its Celery variant needs Redis."""
    from lab.settings import PROJECT_DIR
    from lab.workers import NOT_WORKERS_ENV

    if not settings.redis_url:
        return None
    proc = subprocess.Popen(celery_command(settings), cwd=PROJECT_DIR,
                            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
    os.environ[NOT_WORKERS_ENV] = str(proc.pid)  # it is a child of gunicorn's master, not a web worker
    print(f"Celery worker for background callbacks: PID {proc.pid}, concurrency {settings.celery_workers}",
          flush=True)
    return proc


def stop_celery_worker(proc: subprocess.Popen, settings) -> None:
    """SIGTERM (a warm shutdown: running jobs finish), then SIGKILL to it and its pool if it lingers."""
    import psutil

    try:
        pool = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        pool = []
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(settings.step_seconds + 10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    for child in pool:
        try:
            child.kill()
        except psutil.Error:
            pass
