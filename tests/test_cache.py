"""config.cache: Django's Redis cache, keeping one redis-py client per connection pool."""

import os

import pytest

from config.cache import RedisCache


def test_the_client_is_built_once_per_pool():
    cache = RedisCache("redis://127.0.0.1:6379/14", {})  # no connection until a command is sent
    first = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is first
    assert cache._cache.get_client(write=False) is first  # one server: reads and writes share its pool


def test_reads_of_a_replica_get_their_own_client():
    cache = RedisCache(["redis://primary:6379/0", "redis://replica:6379/0"], {})
    writer, reader = cache._cache.get_client(write=True), cache._cache.get_client(write=False)
    assert writer is not reader
    assert writer.connection_pool is not reader.connection_pool
    assert cache._cache.get_client(write=False) is reader


@pytest.mark.realstack
def test_it_works_on_a_real_redis():
    cache = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "test-config-cache"})
    cache.delete_many(["a", "b", "n"])
    assert cache.add("a", {"x": 1}, 30) is True
    assert cache.add("a", "other", 30) is False
    cache.set("b", [1, 2], 30)
    cache.set("n", 1, 30)
    assert cache.incr("n") == 2
    assert cache.get_many(["a", "b", "n"]) == {"a": {"x": 1}, "b": [1, 2], "n": 2}
    cache.delete_many(["a", "b", "n"])
    assert cache.get("a") is None
    assert cache.get("a", "default") == "default"

    cache.set("forever", "kept", None)
    assert cache._cache.get_client().ttl(cache.make_key("forever")) == -1  # no expiry
    cache.set("short", "gone soon", 30)
    assert 0 < cache._cache.get_client().ttl(cache.make_key("short")) <= 30
    assert cache.add("new", 5, None) is True
    assert cache.get("new") == 5
    cache.set("short", "now", 0)  # Django's meaning of 0: expire at once
    assert cache.get("short") is None
    assert cache.add("zero", 1, 0) is True  # added, and expired at once
    assert cache.get("zero") is None
    cache.delete_many(["forever", "new"])
