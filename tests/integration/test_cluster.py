"""Several servers behind a load balancer, as `docker compose --profile cluster up` runs them: two
gunicorn masters on two loopback ports sharing one real Redis and one SECRET_KEY, and Debian's
HAProxy in front with the repository's deploy/haproxy.cfg (only its addresses changed). Users
spread over both masters compute once; a session started on one continues on the other; with one
master stopped, the other and the proxy serve every session; the meters add up across both."""

import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from lab.http_client import callback_body, exchange, visit_token
from lab.local_servers import free_port, stop_process
from tests.conftest import PROJECT_DIR, need
from tests.integration import test_cache_signal as lesson5
from tests.integration import test_session_cache as lesson6

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis]

SECRET = "cluster-secret-key-0123456789abcdef"
RUN = callback_body(["overview-result.children"], {"overview-run.n_clicks": 1}, state={"overview-size.value": 1_000})


class Proxy:
    """HAProxy as the tests see it: a URL, like a LabServer's."""

    def __init__(self, url: str, proc: subprocess.Popen, log_path):
        self.url, self.proc, self.log_path = url, proc, log_path

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return requests.get(self.url + path, **kwargs)


def haproxy_config(servers, port: int) -> str:
    """deploy/haproxy.cfg with the test's addresses: the proxy on 127.0.0.1:`port`, and the
    compose replicas (app-1:8050, app-2:8050) replaced by the servers' loopback ports."""
    config = (PROJECT_DIR / "deploy" / "haproxy.cfg").read_text()
    config, binds = re.subn(r"^(\s*)bind \*:8060$", rf"\1bind 127.0.0.1:{port}", config, flags=re.M)
    assert binds == 1
    names = iter(servers)
    config, replaced = re.subn(r"^(\s*server \S+ )\S+:8050\b", lambda m: f"{m.group(1)}127.0.0.1:{next(names).port}",
                               config, flags=re.M)
    assert replaced == len(servers), "one server line per replica"
    # No Docker DNS here: the addresses are literal.
    return config.replace(" resolvers docker", "")


@pytest.fixture(scope="module")
def cluster(module_server, redis_server, tmp_path_factory):
    """Two masters (2 workers each) on one Redis with one key, HAProxy in front: (proxy, a, b).
    Shared by this module's tests, in order: the last one stops a master."""
    binary = shutil.which("haproxy", path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/local/sbin")
    need(binary is not None, "haproxy is not installed (apt-get install haproxy)")
    env = {"SECRET_KEY": SECRET, "STEP_SECONDS": "1"}
    redis_url = redis_server.fresh_db_url()
    masters = [module_server(workers=2, redis_url=redis_url, env=env) for _ in range(2)]
    tmp_path = tmp_path_factory.mktemp("haproxy")
    port = free_port()
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(haproxy_config(masters, port))
    log_path = tmp_path / "haproxy.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([binary, "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    proxy = Proxy(f"http://127.0.0.1:{port}", proc, log_path)
    try:
        seen, deadline = set(), time.monotonic() + 30
        while seen != {m.proc.pid for m in masters}:  # both servers up behind the proxy
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"HAProxy reached only {seen}:\n{log_path.read_text()[-3000:]}"
            try:
                seen.add(proxy.get("/api/health", timeout=5).json()["master_pid"])
            except (requests.RequestException, ValueError):
                time.sleep(0.1)
        yield proxy, *masters
    finally:
        stop_process(proc, grace=5)


def master_of(masters, pid: int):
    (found,) = [m for m in masters if pid in m.health()["workers"]]
    return found


def test_users_spread_over_both_masters_compute_once(cluster):
    proxy, a, b = cluster
    replies = lesson5.users_at_once(proxy, lesson5.select("A"), users=8)
    signals = [lesson5.signal_of(r) for r in replies]
    served_by = {master_of((a, b), int(r.headers["X-Lab-Worker"])).proc.pid for r in replies}
    assert served_by == {a.proc.pid, b.proc.pid}, "the proxy spread the users over both masters"
    assert lesson5.executions(a) == lesson5.executions(b) == 1
    assert sorted(s["source"] for s in signals).count("computed") == 1
    assert len({s["fingerprint"] for s in signals}) == 1


def test_a_session_started_on_one_master_continues_on_the_other(cluster):
    _proxy, a, b = cluster
    token = lesson6.page_token(a)  # minted and signed by A
    first = lesson6.read(a, 1, token)
    assert first["checksum"]
    before = lesson6.executions(b)
    again = lesson6.read(b, 2, token)
    assert again["checksum"] == first["checksum"] and again["created"] == first["created"]
    assert "read from the server" in again["text"] and lesson6.executions(b) == before


def callbacks_by_master(figures, masters) -> dict:
    """Callbacks recorded per master (its live workers), and by workers that are gone."""
    out = {}
    for master in masters:
        live = set(master.health()["workers"])
        out[master.proc.pid] = sum(w["callbacks"] for pid, w in figures["workers"].items() if int(pid) in live)
    out["retired"] = figures.get("retired_workers", {}).get("callbacks", 0)
    return out


def test_the_meters_add_up_across_both_masters(cluster):
    proxy, a, b = cluster
    calls = 24
    time.sleep(0.5)  # what earlier tests did is written (batches leave within 0.25 s)
    before = callbacks_by_master(a.get("/api/metrics").json(), (a, b))
    token = visit_token(proxy.url)
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: exchange(proxy.url, RUN, headers={"X-Lab-Session": token}).status,
                                 range(calls)))
    assert statuses == [200] * calls

    def settled():
        figures = [m.get("/api/metrics").json() for m in (a, b)]
        return all(f["patterns"].get("overview", {}).get("callbacks") == calls for f in figures)

    deadline = time.monotonic() + 5
    while not settled():
        assert time.monotonic() < deadline, [m.get("/api/metrics").json()["patterns"] for m in (a, b)]
        time.sleep(0.1)
    time.sleep(0.5)  # and nothing more arrives
    fa, fb = (m.get("/api/metrics").json() for m in (a, b))
    assert fa["patterns"]["overview"] == fb["patterns"]["overview"], "one set of meters, whichever master answers"
    overview = fa["patterns"]["overview"]
    assert overview["callbacks"] == calls and overview["recomputes"] == calls
    after = callbacks_by_master(fa, (a, b))
    added = {key: after[key] - before[key] for key in after}
    assert added[a.proc.pid] > 0 and added[b.proc.pid] > 0, f"the proxy spread them: {added}"
    assert sum(added.values()) == calls, added


def test_one_master_stopped_the_other_serves_every_session(cluster):
    proxy, a, b = cluster
    tokens = [lesson6.page_token(proxy) for _ in range(6)]
    with ThreadPoolExecutor(6) as pool:
        first = list(pool.map(lambda t: lesson6.read(proxy, 1, t), tokens))
    a.stop()  # SIGTERM: the master and its workers leave; HAProxy has not noticed yet
    before = lesson6.executions(b)
    for _round in range(3):  # right away (the proxy retries elsewhere), then once it has noticed
        with ThreadPoolExecutor(6) as pool:
            again = list(pool.map(lambda t: lesson6.read(proxy, 2, t), tokens))  # asserts 200
        for old, new in zip(first, again, strict=True):
            assert new["checksum"] == old["checksum"] and new["created"] == old["created"]
        time.sleep(1.5)
    assert lesson6.executions(b) == before, "every session read, none recomputed"
    assert proxy.get("/api/health").json()["master_pid"] == b.proc.pid
    assert proxy.proc.poll() is None
