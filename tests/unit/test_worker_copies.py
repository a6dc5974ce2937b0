"""Lesson 2's per-worker copies, on SQLite and on real Redis: each worker's latest value, read for
the live workers only (a gone worker's copy is dropped), forgotten on a fresh start."""

import pytest

from lab.settings import Settings
from lab.worker_copies import PREFIX, RedisCopies, SqliteCopies, copies_for, prepare


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def settings(request, tmp_path):
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    return Settings(redis_url=redis_url, data_dir=tmp_path, cache_dir=tmp_path / "cache", secret_key="k" * 20)


def test_each_workers_latest_copy(settings):
    copies = copies_for(settings)
    assert isinstance(copies, RedisCopies if settings.redis_url else SqliteCopies)
    assert copies.read("counter", [101, 202]) == {}
    copies.publish("counter", 101, {"n": 1, "names": ["a"]})
    copies.publish("counter", 202, [1, 2.5, None, "x"])
    copies.publish("counter", 101, 5)
    copies.publish("other", 101, "ü")
    assert copies.read("counter", [101, 202]) == {101: 5, 202: [1, 2.5, None, "x"]}
    assert copies.read("other", [101, 202]) == {101: "ü"}


def test_a_gone_workers_copy_is_dropped(settings):
    copies = copies_for(settings)
    for pid in (101, 202, 303):
        copies.publish("counter", pid, pid)
    assert copies.read("counter", [202]) == {202: 202}
    assert copies.read("counter", [101, 202, 303]) == {202: 202}, "the others were dropped, not hidden"
    if settings.redis_url:
        import redis
        client = redis.Redis.from_url(settings.redis_url)
        assert client.hlen(PREFIX + "counter") == 1 and 0 < client.ttl(PREFIX + "counter") <= 3600


def test_a_fresh_start_forgets_every_copy(settings):
    copies_for(settings).publish("counter", 101, "before")
    prepare(settings)
    assert copies_for(settings).read("counter", [101]) == {}
    copies_for(settings).publish("counter", 101, "after")
    assert copies_for(settings).read("counter", [101]) == {101: "after"}
