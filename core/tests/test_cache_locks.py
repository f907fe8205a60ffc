"""A lock or mark held with a token is renewed and taken away only by its holder: core.cache.touch_if_holds and
delete_if_holds, on a process's memory cache and on Redis (one step there), and while Redis is unavailable."""

import os
import uuid

import pytest
import redis
from django.core.cache import cache as default_cache
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCacheClient

from core.cache import delete_if_holds, touch_if_holds

KEY = "lock:under-test"


@pytest.fixture
def memory(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"locks-{uuid.uuid4().hex}"}}
    yield caches["default"]
    caches["default"].clear()


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": os.environ["REDIS_URL"],
                                   "KEY_PREFIX": f"locks-{uuid.uuid4().hex}"}}
    cache = caches["default"]
    yield cache
    cache.delete(KEY)
    cache.close()


def _seconds_left(cache) -> int:
    key = cache.make_and_validate_key(KEY)
    return cache._cache.get_client(key).ttl(key)


def _holder_and_other(cache):
    assert cache.add(KEY, "mine", timeout=60)
    assert not delete_if_holds(cache, KEY, "another's")
    assert cache.get(KEY) == "mine"
    assert delete_if_holds(cache, KEY, "mine")
    assert cache.get(KEY) is None
    assert not delete_if_holds(cache, KEY, "mine")  # gone: nothing to take away
    assert cache.add(KEY, "another's", timeout=60)  # it expired, and another took it
    assert not delete_if_holds(cache, KEY, "mine")
    assert not touch_if_holds(cache, KEY, "mine", 60)
    assert cache.get(KEY) == "another's"


def test_on_a_memory_cache_only_the_holder_takes_its_lock_away(memory):
    _holder_and_other(memory)


def test_on_a_memory_cache_only_the_holder_renews_its_lock(memory):
    memory.add(KEY, "mine", timeout=60)
    assert touch_if_holds(memory, KEY, "mine", 60)
    assert not touch_if_holds(memory, KEY, "another's", 60)
    assert memory.get(KEY) == "mine"
    assert not touch_if_holds(memory, "lock:never-taken", "mine", 60)


@pytest.mark.redis
def test_on_redis_only_the_holder_takes_its_lock_away(redis_cache):
    _holder_and_other(redis_cache)
    assert redis_cache.redis_available  # answered by Redis, not the fallback


@pytest.mark.redis
def test_on_redis_only_the_holder_renews_its_lock_and_for_the_seconds_given(redis_cache):
    redis_cache.add(KEY, "mine", timeout=5)
    assert touch_if_holds(redis_cache, KEY, "mine", 40)
    assert 30 < _seconds_left(redis_cache) <= 40
    assert not touch_if_holds(redis_cache, KEY, "another's", 500)
    assert _seconds_left(redis_cache) <= 40
    assert redis_cache.get(KEY) == "mine"
    with pytest.raises(ValueError):
        touch_if_holds(redis_cache, KEY, "mine", 0)  # would delete it, not renew it
    assert redis_cache.redis_available


@pytest.mark.redis
@pytest.mark.parametrize("through", ["backend", "django.core.cache.cache"])
def test_on_redis_the_comparison_and_the_change_are_one_step(redis_cache, monkeypatch, through):
    """Not a read and then a delete or a renewal: between the two, the lock may expire and another take it. Also
    through the proxy the services use."""
    redis_cache.add(KEY, "mine", timeout=60)
    if through != "backend":
        redis_cache = default_cache

    def separate_step(*args, **kwargs):
        raise AssertionError("the lock was read or changed in a step of its own")

    with monkeypatch.context() as patched:
        for operation in ("get", "delete", "touch"):
            patched.setattr(RedisCacheClient, operation, separate_step)
        assert touch_if_holds(redis_cache, KEY, "mine", 60)
        assert not delete_if_holds(redis_cache, KEY, "another's")
        assert delete_if_holds(redis_cache, KEY, "mine")
    assert redis_cache.get(KEY) is None


def test_with_redis_unavailable_the_process_memory_stands_in(settings):
    settings.CACHES = {"default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": "redis://127.0.0.1:9/0",
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    cache = caches["default"]
    try:
        assert not delete_if_holds(cache, KEY, "mine")  # no error: Redis failed, the memory cache answered
        assert not cache.redis_available
        _holder_and_other(cache)
        assert touch_if_holds(cache, KEY, "another's", 60)
        assert cache.add(KEY, "mine", timeout=60, version=2)
        assert not delete_if_holds(cache, KEY, "mine")  # version 1 holds another's
        assert cache.touch_if_holds(KEY, "mine", 60, version=2)
        assert cache.delete_if_holds(KEY, "mine", version=2)
        assert cache.get(KEY, version=2) is None and cache.get(KEY) == "another's"
    finally:
        cache.close()


@pytest.mark.redis
def test_where_redis_refuses_the_script_it_stays_in_use_and_the_lock_is_released_in_two_steps(redis_cache,
                                                                                              monkeypatch, caplog):
    """An error answer (a user not allowed scripts, say) is not Redis failing: the process does not turn to its
    memory cache for every call, as it would were Redis down."""
    def refused(*args, **kwargs):
        raise redis.exceptions.NoPermissionError("NOPERM this user has no permissions to run the 'eval' command")

    monkeypatch.setattr(redis.Redis, "eval", refused)
    redis_cache.add(KEY, "mine", timeout=60)
    assert touch_if_holds(redis_cache, KEY, "mine", 40)
    assert 30 < _seconds_left(redis_cache) <= 40
    assert not delete_if_holds(redis_cache, KEY, "another's")
    assert delete_if_holds(redis_cache, KEY, "mine")
    assert redis_cache.redis_available
    assert redis_cache.get(KEY) is None
    assert "refused the script" in caplog.text
