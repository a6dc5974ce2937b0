"""Faults under real gunicorn: Redis stopped and restarted while learners click (no 5xx, the
degraded flag within 2 s, back within 5 s of the restart, compute-once exact again); a data
directory the lab cannot write at start, read-only or with a file where its cache directory goes
(a start-up error that names it, no worker boot loop); and one that fills up while learners click
(no 5xx, no worker restarted, the degraded flag naming it, back once there is space).

A worker killed while it holds the compute-once lock, with users waiting on it, is in
tests/integration/test_cache_signal.py (`test_a_killed_lock_holder_...`)."""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lab.http_client import callback_body, exchange, visit_token
from tests.conftest import need
from tests.integration import test_session_cache as lesson6
from tests.integration.test_cache_signal import KINDS, P, executions, graph, select, signal_of, users_at_once

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis]

RUN = callback_body(["overview-result.children"], {"overview-run.n_clicks": 1}, state={"overview-size.value": 1_000})
DEGRADED_WITHIN = 2.0  # the bounds
BACK_WITHIN = 5.0


def snapshot_body(pathname=f"/{P}"):
    """The shell's once-a-second poll, as the renderer posts it."""
    return callback_body(["lab-snapshot.data", "lab-snapshot-digest.data"],
                         {"lab-tick.n_intervals": 1, "_pages_location.pathname": pathname},
                         state={"lab-snapshot-digest.data": None})


class Traffic:
    """A few learners on /cache-signal, each in a thread of its own, until `stop()`: pick a sensor,
    draw one of its graphs from the signal, poll the snapshot. Every status is kept."""

    def __init__(self, server, users=3, values="ABCDE"):
        self.server, self.values = server, values
        self.statuses: list[tuple[float, str, int]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._learner, args=(i,), daemon=True) for i in range(users)]

    def _post(self, what, body, headers):
        try:
            status = exchange(self.server.url, body, headers=headers, timeout=30).status
        except Exception as exc:  # a dropped connection is a failure too
            self.errors.append(f"{what}: {type(exc).__name__}: {exc}")
            return None
        self.statuses.append((time.monotonic(), what, status))
        return status

    def _learner(self, seed):
        rng = random.Random(seed)
        headers = {"X-Lab-Session": visit_token(self.server.url)}
        while not self._stop.is_set():
            value = rng.choice(self.values)
            try:
                reply = exchange(self.server.url, select(value), headers=headers, timeout=30)
            except Exception as exc:
                self.errors.append(f"select: {type(exc).__name__}: {exc}")
                continue
            self.statuses.append((time.monotonic(), "select", reply.status))
            if reply.status == 200:
                self._post("graph", graph(rng.choice(KINDS), signal_of(reply)), headers)
            self._post("snapshot", snapshot_body(), headers)
            time.sleep(0.05)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def count(self, since=0.0):
        return sum(1 for t, _what, _status in self.statuses if t >= since)

    def server_errors(self):
        return [(what, status) for _t, what, status in self.statuses if status >= 500]


def degraded_flags(server):
    """(health says degraded, the shell's snapshot says degraded): the flag and the banner's source."""
    health = server.health()
    reply = exchange(server.url, snapshot_body(), timeout=10)
    assert reply.status == 200, reply.content[:300]
    snap = reply.json()["response"]["lab-snapshot"]["data"]
    return health["degraded"], snap["health"]["degraded"]


def seconds_until(condition, timeout, every=0.05):
    t0 = time.monotonic()
    while not condition():
        if time.monotonic() - t0 > timeout:
            return None
        time.sleep(every)
    return time.monotonic() - t0


def test_redis_stopped_and_restarted_under_traffic(lab_server, private_redis):
    server = lab_server(workers=4, redis_url=private_redis.url(0), env={"STEP_SECONDS": "0.3"})
    assert degraded_flags(server) == (False, False)
    with Traffic(server) as traffic:
        time.sleep(2)
        assert traffic.count() > 5, "the learners are clicking"

        private_redis.stop()
        down = seconds_until(lambda: degraded_flags(server) == (True, True), timeout=DEGRADED_WITHIN + 3)
        assert down is not None and down <= DEGRADED_WITHIN, f"degraded flag after {down}s"
        marked = time.monotonic()
        time.sleep(2)
        assert traffic.count(since=marked) > 3, "callbacks are served while Redis is down"

        private_redis.restart()
        back = seconds_until(lambda: degraded_flags(server) == (False, False), timeout=BACK_WITHIN + 5)
        assert back is not None and back <= BACK_WITHIN, f"back after {back}s"
        marked = time.monotonic()
        time.sleep(2)
        assert traffic.count(since=marked) > 3
    print(f"\nRedis restart under traffic: degraded flag after {down:.2f}s, back {back:.2f}s after the restart,"
          f" {len(traffic.statuses)} requests")
    assert traffic.errors == [] and traffic.server_errors() == []
    assert {status for _t, _w, status in traffic.statuses} <= {200, 204}

    # The learners' sensors were recomputed into the new, empty Redis; F was never asked for.
    before = executions(server)
    signals = [signal_of(reply) for reply in users_at_once(server, select("F"), users=6)]
    assert executions(server) - before == 1
    assert sorted(s["source"] for s in signals).count("computed") == 1
    assert {s["source"] for s in signals} <= {"computed", "waited", "hit"}, "no degraded answer any more"


# -- a data directory the lab cannot write ---------------------------------------------------------


def gunicorn_argv(port):
    return [sys.executable, "-m", "gunicorn", "app:server", "--bind", f"127.0.0.1:{port}", "--workers", "2"]


def read_only(directory):
    """A wrapper for a command line that sees `directory` read-only. Not as root: chmod is enough.
    As root (which writes through any mode bits), a read-only bind mount in a private mount
    namespace, as a read-only volume does in a container (EROFS for every user)."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        return lambda argv: argv
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare or "unshare", "--mount", "true"], capture_output=True) if unshare else None
    need(probe is not None and probe.returncode == 0, "running as root and `unshare --mount` is not allowed here")
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return lambda argv: [unshare, "--mount", "sh", "-c", script, str(directory), *argv]


def refused_at_start(lab_server, env, argv, variable):
    """The lab stops at once with one line naming `variable`: no worker boots, none is retried."""
    server = lab_server(workers=2, env=env, argv=argv, wait=False)
    try:
        code = server.proc.wait(30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 30 s after a start on an unwritable data directory:\n{server.log_text()[-3000:]}")
    log = server.log_text()
    assert code != 0
    errors = [line for line in log.splitlines() if line.startswith("Configuration error:")]
    assert len(errors) == 1 and variable in errors[0], log[-3000:]
    assert "Booting worker" not in log, "no worker was started (and so none restarted in a loop)"
    return errors[0]


def test_a_read_only_data_dir_stops_start_up_with_one_line(lab_server, tmp_path):
    data = tmp_path / "read-only"
    data.mkdir()
    wrap = read_only(data)
    line = refused_at_start(lab_server, {"DATA_DIR": str(data)}, lambda port: wrap(gunicorn_argv(port)), "DATA_DIR")
    assert str(data) in line


def test_a_cache_dir_that_is_a_file_stops_start_up_with_one_line(lab_server, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "cache").write_text("not a directory")
    line = refused_at_start(lab_server, {"DATA_DIR": str(data)}, gunicorn_argv, "CACHE_DIR")
    assert str(data / "cache") in line


def private_mounts():
    """The start of a command line that runs in a mount namespace of its own, where the test may
    mount a small tmpfs: as root, `unshare --mount`; otherwise a user namespace too."""
    unshare = shutil.which("unshare")
    prefix = [unshare, "--mount"] if os.geteuid() == 0 else [unshare, "--user", "--map-root-user", "--mount"]
    probe = None
    if unshare:
        with tempfile.TemporaryDirectory() as where:
            probe = subprocess.run([*prefix, "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", where],
                                   capture_output=True)
    need(probe is not None and probe.returncode == 0,
         "cannot mount a small tmpfs in a private mount namespace here (unshare --mount)")
    return prefix


def test_a_data_dir_that_fills_up_degrades_and_recovers(lab_server, tmp_path):
    """The filesystem backend on a 4 MB tmpfs that the test fills while learners click: no 5xx, no
    worker restarted, the degraded flag (health and the shell's snapshot) within 2 s naming the
    directory; space freed, the flag clears and the cache works again."""
    data = tmp_path / "small-disk"
    data.mkdir()
    script = 'mount -t tmpfs -o size=4m tmpfs "$0" && exec "$@"'
    server = lab_server(workers=2, env={"DATA_DIR": str(data), "STEP_SECONDS": "0.1"},
                        argv=lambda port: [*private_mounts(), "sh", "-c", script, str(data), *gunicorn_argv(port)])
    assert server.health()["data_dir"]["writable"] is True
    workers = set(server.health()["workers"])
    assert signal_of(exchange(server.url, select("A")))["source"] == "computed"
    seen_by_the_lab = f"/proc/{server.proc.pid}/root{data}"  # the tmpfs, as the lab's processes see it
    assert os.path.exists(f"{seen_by_the_lab}/metrics.sqlite3")

    with Traffic(server) as traffic:
        time.sleep(1)
        with open(f"{seen_by_the_lab}/filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError as exc:
                assert exc.errno == 28, exc  # ENOSPC: full
        down = seconds_until(lambda: degraded_flags(server) == (True, True), timeout=DEGRADED_WITHIN + 3)
        assert down is not None and down <= DEGRADED_WITHIN, f"degraded flag after {down}s"
        health = server.health()
        assert health["data_dir"] == {**health["data_dir"], "path": str(data), "writable": False}
        assert "No space left" in health["data_dir"]["error"]
        marked = time.monotonic()
        time.sleep(2)
        assert traffic.count(since=marked) > 3, "callbacks are served on a full disk"
        for _ in range(2):  # computed each time: nothing can be kept
            assert signal_of(exchange(server.url, select("F")))["source"] == "computed"
        token = lesson6.page_token(server)  # lesson 6: its session store is SQLite on that disk
        assert all(lesson6.read(server, n, token)["checksum"] for n in (1, 2))  # served, not kept
        assert exchange(server.url, RUN).status == 200  # the overview's demo: an execution counted

        os.unlink(f"{seen_by_the_lab}/filler")
        back = seconds_until(lambda: degraded_flags(server) == (False, False), timeout=BACK_WITHIN)
        assert back is not None, "the flag clears once there is space again"
        time.sleep(1)
    print(f"\nfull data directory: degraded flag after {down:.2f}s, back {back:.2f}s after freeing space, "
          f"{len(traffic.statuses)} requests")
    assert traffic.errors == [] and traffic.server_errors() == []
    assert set(server.health()["workers"]) == workers, "no worker died or was restarted"
    assert "Booting worker" not in server.log_text().split("degraded mode", 1)[-1]
    assert signal_of(exchange(server.url, select("F")))["source"] == "computed"
    assert signal_of(exchange(server.url, select("F")))["source"] == "hit", "the cache keeps values again"
