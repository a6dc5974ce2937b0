"""Backend selection: FileSystemCache without REDIS_URL, RedisCache with it, and a Redis that is
configured but unreachable degrades to cache misses instead of errors, then recovers by itself."""

import shutil
import time

import pytest
import redis
from flask import Flask
from flask_caching.backends.filesystemcache import FileSystemCache
from flask_caching.backends.rediscache import RedisCache

from lab.backend import RETRY_AFTER_SECONDS, redis_link
from lab.cache import CACHE_KEY_PREFIX, ResilientRedisCache, active_backend, cache, cache_config
from lab.health import backend_status
from lab.settings import load_settings
from tests.conftest import need
from lab.local_servers import RedisServer, free_port


def make_app(settings):
    server = Flask(__name__)
    cache.init_app(server, config=cache_config(settings))
    return server


def test_filesystem_when_no_redis_url(tmp_path):
    settings = load_settings({"DATA_DIR": str(tmp_path)})
    server = make_app(settings)
    backend = server.extensions["cache"][cache]
    assert isinstance(backend, FileSystemCache) and active_backend(server) == "filesystem"
    assert cache_config(settings)["CACHE_TYPE"] == "FileSystemCache"  # not the short name 'filesystem'
    with server.app_context():
        assert cache.set("answer", {"value": 42})
        assert cache.get("answer") == {"value": 42}
    assert list(settings.cache_dir.iterdir()), "the entry is a file in CACHE_DIR"
    status = backend_status(server, settings)
    assert status["backend"] == "filesystem" and status["degraded"] is False
    assert status["redis"]["configured"] is False


@pytest.mark.redis
def test_redis_when_redis_url(tmp_path, redis_url):
    settings = load_settings({"DATA_DIR": str(tmp_path), "REDIS_URL": redis_url})
    first, second = make_app(settings), make_app(settings)
    assert isinstance(first.extensions["cache"][cache], RedisCache)
    assert active_backend(first) == "redis"
    with first.app_context():
        assert cache.set("answer", [1, 2, 3])
    with second.app_context():  # another app object: the value went through the Redis server
        assert cache.get("answer") == [1, 2, 3]
    assert redis.Redis.from_url(redis_url).exists(CACHE_KEY_PREFIX + "answer") == 1
    status = backend_status(first, settings)
    assert status["backend"] == "redis" and status["redis"]["reachable"] is True and not status["degraded"]


@pytest.mark.redis
def test_unreachable_redis_degrades_then_recovers(tmp_path):
    binary = shutil.which("redis-server")
    need(binary is not None, "redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    settings = load_settings({"DATA_DIR": str(tmp_path), "REDIS_URL": url})
    server = make_app(settings)  # starting with Redis down must not raise
    assert isinstance(server.extensions["cache"][cache], ResilientRedisCache)
    with server.app_context():
        t0 = time.monotonic()
        assert cache.get("k") is None
        assert cache.set("k", 1) is False
        assert cache.get_many("a", "b") == [None, None]
        assert cache.delete("k") is False and cache.has("k") is False
        assert time.monotonic() - t0 < 2.0, "a dead Redis must cost little per call"
    status = backend_status(server, settings)
    assert status == {**status, "backend": "redis", "degraded": True}
    assert status["redis"]["reachable"] is False and "Connection" in status["redis"]["error"]

    live = RedisServer.start(binary, port)
    try:
        time.sleep(RETRY_AFTER_SECONDS + 0.1)
        assert backend_status(server, settings)["redis"]["reachable"] is True
        with server.app_context():
            assert cache.set("k", 1) is True and cache.get("k") == 1
        assert redis_link(url).last_error is None
    finally:
        live.stop()
    with server.app_context():  # and down again: still no exception
        assert cache.get("k") is None
