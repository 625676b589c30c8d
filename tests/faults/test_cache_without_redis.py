"""singlewindow.cache on a Redis that does not answer (a closed port): reads miss, fills are skipped, take-backs and
counters raise. The app-level behaviour is in test_redis_down.py; this pins each operation's answer."""
import pytest

from singlewindow.cache import CacheUnavailable, RedisCache

from .conftest import free_port


@pytest.fixture
def cache():
    return RedisCache(f"redis://127.0.0.1:{free_port()}/0", {})


def test_a_read_is_a_miss_and_a_fill_is_skipped(cache):
    assert cache.get("k") is None and cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.set("k", 1) is None
    assert cache.add("k", 1) is False
    assert cache.touch("k") is False


@pytest.mark.parametrize("call", [
    lambda c: c.delete("k"), lambda c: c.delete_many(["k"]), lambda c: c.set_many({"k": 1}), lambda c: c.clear(),
    lambda c: c.incr("k"),
])
def test_a_take_back_or_a_counter_fails_loudly(cache, call):
    with pytest.raises(CacheUnavailable):
        call(cache)


def test_a_hanging_redis_is_given_a_short_timeout(cache):
    options = cache._options
    assert (options["socket_connect_timeout"], options["socket_timeout"]) == (1, 1)
