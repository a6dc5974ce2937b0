"""docker-compose.yml and the Dockerfile, checked without a Docker engine: the file is validated
against the Compose specification, its pieces are checked, and the app service's own command
line is run here under gunicorn against a real Redis, as the container would run it."""

import re
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import yaml

pytestmark = pytest.mark.gunicorn
PROJECT_DIR = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())


def interpolate(value: str) -> str:
    """Compose's ${NAME:-default} with nothing set in the environment: the default."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))


def test_compose_file_is_valid_against_the_spec():
    checker = Path(sys.executable).with_name("check-jsonschema")
    proc = subprocess.run([str(checker), "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_compose_services():
    services = COMPOSE["services"]
    default = {name for name, service in services.items() if not service.get("profiles")}
    assert default == {"redis", "app", "worker"}, "a plain `docker compose up` starts the app, its Celery worker and Redis only"
    redis = services["redis"]
    assert redis["image"].startswith("redis:")
    assert "redis-cli" in redis["healthcheck"]["test"] and "ping" in redis["healthcheck"]["test"]

    app = services["app"]
    assert app["build"] == "."
    assert app["command"][:2] == ["gunicorn", "app:server"]
    assert app["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert interpolate(app["environment"]["WORKERS"]) == "4"
    assert "8050:8050" in app["ports"]
    assert app["depends_on"] == {"redis": {"condition": "service_healthy"}}
    worker = services["worker"]
    assert worker["build"] == app["build"], "the worker runs the same image"
    assert worker["command"][:4] == ["celery", "-A", "app:celery_app", "worker"]
    assert worker["environment"]["REDIS_URL"] == app["environment"]["REDIS_URL"]
    assert worker["depends_on"] == {"redis": {"condition": "service_healthy"}}
    for service in (app, worker):  # SECRET_KEY unset: both read the key the first one writes there
        assert service["environment"]["DATA_DIR"] == "/app/.lab-data"
        assert service["volumes"] == ["lab-data:/app/.lab-data"]
    assert "lab-data" in COMPOSE["volumes"]
    for name, service in services.items():  # the schema does not catch a dangling depends_on
        assert set(service.get("depends_on", {})) <= set(services), name


def test_dockerfile():
    lines = [line.strip() for line in (PROJECT_DIR / "Dockerfile").read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    assert re.fullmatch(r"FROM python:3\.\d+-slim", instructions[0])
    users = [line for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("USER root", "USER 0")
    assert any(line.startswith("HEALTHCHECK") for line in instructions)
    assert instructions[-1] == 'CMD ["gunicorn", "app:server", "--bind", "0.0.0.0:8050"]'
    for path in ("app.py", "gunicorn.conf.py", "lab", "components", "pages", "assets"):
        assert any(line.startswith("COPY") and path in line.split() for line in instructions), path


def test_cluster_profile():
    """`docker compose --profile cluster up`: two or more app replicas, the same as the app service
    but for their data volume, sharing one Redis and one SECRET_KEY, behind the official HAProxy
    image on a port of its own, with the repository's config; each replica named in the config."""
    services = COMPOSE["services"]
    cluster = {name: service for name, service in services.items() if "cluster" in service.get("profiles", [])}
    replicas = {name: s for name, s in cluster.items() if s.get("build") == "."}
    assert len(replicas) >= 2
    app = services["app"]
    for name, replica in replicas.items():
        assert replica["command"] == app["command"], name
        env = replica["environment"]
        assert env["REDIS_URL"] == app["environment"]["REDIS_URL"], "one Redis"
        assert env["SECRET_KEY"] == "${SECRET_KEY:-}" and env["DATA_DIR"] == "/app/.lab-data", name
        assert replica["volumes"] == ["cluster-data:/app/.lab-data"], "unset, the key is written once and shared"
        assert replica["depends_on"] == {"redis": {"condition": "service_healthy"}}
        assert "ports" not in replica, "reached through the proxy only"
    assert "cluster-data" in COMPOSE["volumes"]

    (lb,) = [s for s in cluster.values() if s.get("image", "").startswith("haproxy:")]
    assert lb["volumes"] == ["./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"]
    (port,) = lb["ports"]
    assert port == "8060:8060" and "8050" not in port
    assert set(lb["depends_on"]) == set(replicas)
    config = (PROJECT_DIR / "deploy" / "haproxy.cfg").read_text()
    assert re.search(r"^\s*bind \*:8060$", config, re.M)
    servers = re.findall(r"^\s*server \S+ (\S+):8050\b", config, re.M)
    assert sorted(servers) == sorted(replicas), "every replica behind the proxy, and only them"
    assert re.search(r"option httpchk GET /api/health", config)


@pytest.mark.redis
def test_compose_command_runs_the_app(lab_server, redis_url):
    """The app service's command and environment, bound to 127.0.0.1 instead of 0.0.0.0."""
    app = COMPOSE["services"]["app"]
    env = {name: interpolate(value) for name, value in app["environment"].items()}
    env["REDIS_URL"] = redis_url  # the test's Redis instead of the `redis` service
    command = [str(Path(sys.executable).with_name(app["command"][0])), *app["command"][1:]]
    bind = command.index("--bind") + 1
    assert command[bind] == "0.0.0.0:8050"

    def argv(port):
        return [*command[:bind], f"127.0.0.1:{port}", *command[bind + 1:]]

    server = lab_server(workers=int(env["WORKERS"]), env=env, argv=argv)
    health = server.health()
    assert health["backend"] == "redis" and health["redis"]["reachable"] is True
    assert len(health["workers"]) == 4


@pytest.mark.redis
def test_compose_worker_command_runs_background_jobs(lab_server, redis_url, tmp_path):
    """The worker service's command, here, beside the app service's: a Celery job of lesson 8 runs on it."""
    from lab import background
    from lab.crowd import Address
    from lab.http_client import callback_body, exchange, visit_token
    from lab.local_servers import stop_process

    env = {"STEP_SECONDS": "0.3", "SECRET_KEY": "compose-test-secret-key"}
    server = lab_server(workers=2, redis_url=redis_url, env=env)
    worker = COMPOSE["services"]["worker"]
    command = [str(Path(sys.executable).with_name(worker["command"][0])),
               *[interpolate(part) for part in worker["command"][1:]]]
    P = background.PATTERN
    crowd = callback_body([f"{P}-crowd-results.data", f"{P}-crowd-view.children"], {f"{P}-crowd-fire.n_clicks": 1},
                          state={f"{P}-crowd-mode.value": background.CELERY, f"{P}-crowd-users.value": 2,
                                 "lab-workers-token.value": None, f"{P}-crowd-results.data": {}})
    alone = exchange(server.url, crowd, timeout=60).json()["response"][f"{P}-crowd-view"]["children"]
    assert "No Celery worker answers" in str(alone), "gunicorn alone says the worker is missing, at once"
    proc = subprocess.Popen(command, cwd=PROJECT_DIR, env={**server.environment(), **env, "REDIS_URL": redis_url},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        outcome = background.Outcome(1, "A")
        background.ask(Address("http", "127.0.0.1", server.port), background.run_body(background.CELERY, "A"),
                       {"X-Lab-Session": visit_token(server.url)}, 60, outcome)
        assert outcome.result and outcome.result["pid"] not in server.health()["workers"], outcome
        assert outcome.result["pid"] in {p.pid for p in psutil.Process(proc.pid).children(recursive=True)}
    finally:
        stop_process(proc)
