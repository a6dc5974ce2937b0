"""The meters forget what is gone, under real gunicorn, on Redis and on the filesystem: a worker
retired with SIGTTOU (fewer workers) and every worker of an earlier run on the same data are
folded into `retired_workers`, so /api/metrics lists only live workers, and no callback is lost
from the totals."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lab.http_client import callback_body, exchange
from lab.local_servers import LabServer, free_port
from tests.conftest import PROJECT_DIR
from tests.support import eventually

pytestmark = pytest.mark.gunicorn

RUN = callback_body(["overview-result.children"], {"overview-run.n_clicks": 1}, state={"overview-size.value": 1_000})


def busy(server, calls=24):
    """Enough concurrent callbacks for every worker to serve some."""
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: exchange(server.url, RUN).status, range(calls)))
    assert statuses == [200] * calls


def consistent(figures) -> bool:
    """Every callback of the lesson is on a worker, live or retired."""
    retired = figures.get("retired_workers", {}).get("callbacks", 0)
    return sum(w["callbacks"] for w in figures["workers"].values()) + retired == \
        figures["patterns"]["overview"]["callbacks"]


@pytest.mark.parametrize("backend", ["redis", "filesystem"])
def test_gone_workers_are_folded_into_the_retired_total(backend, request, tmp_path):
    redis_url = request.getfixturevalue("redis_url") if backend == "redis" else None
    started = []

    def start(workers):
        server = LabServer(PROJECT_DIR, tmp_path / "data", port=free_port(), host="127.0.0.1", workers=workers,
                           redis_url=redis_url, env={"STEP_SECONDS": "0"}, argv=None)
        started.append(server)
        server.start()
        server.wait_ready()
        return server

    try:
        server = start(3)
        busy(server)
        figures = eventually(lambda: server.get("/api/metrics").json(),
                             lambda m: m["patterns"].get("overview", {}).get("callbacks", 0) == 24)
        assert len(figures["workers"]) == 3 and "retired_workers" not in figures

        assert server.post("/api/workers", json={"count": 2}).status_code == 202
        deadline = time.monotonic() + 15
        while len(server.health()["workers"]) != 2:
            assert time.monotonic() < deadline, "gunicorn did not retire a worker"
            time.sleep(0.1)
        live = {str(pid) for pid in server.health()["workers"]}
        figures = eventually(lambda: server.get("/api/metrics").json(),
                             lambda m: m.get("retired_workers", {}).get("workers") == 1)
        assert set(figures["workers"]) <= live and all(w["live"] for w in figures["workers"].values())
        assert consistent(figures) and figures["retired_workers"]["callbacks"] > 0
        server.stop()

        again = start(2)  # a fresh start on the same data: nothing of the earlier run is listed as a worker
        busy(again, 12)
        figures = eventually(lambda: again.get("/api/metrics").json(),
                             lambda m: m["patterns"]["overview"]["callbacks"] == 36)
        assert set(figures["workers"]) <= {str(pid) for pid in again.health()["workers"]}
        assert figures["retired_workers"]["workers"] == 3 and consistent(figures)
    finally:
        for server in started:
            server.stop()
