"""A Redis cache that degrades instead of failing: when Redis is down or hangs, every cache call goes to a
per-process memory cache for a while, so no page, login or dashboard answers 500 because of the cache.

What lives in the cache is rebuilt or harmless to lose: allauth's login counters (during an outage they count
per gunicorn worker, so the limits still hold per worker instead of failing open or locking everyone out), the
dashboard's figures (recomputed), an import's progress (the job row has the truth). After a failure the
backend leaves Redis alone for RETRY_AFTER_SECONDS, so a hanging Redis costs one socket timeout per process
and period, not one per cache call.

A lock or mark that one process holds with a token of its own (`cache.add(key, token, timeout)`) is renewed and
taken away with `touch_if_holds` and `delete_if_holds`: on Redis the comparison and the change are one step (a
script), so a lock that expired and was taken by another in between is left to that other.
"""

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# The cache operations Django's RedisCache implements itself; the others (get_or_set, decr, …) call these.
OPERATIONS = ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many",
              "clear")


class ResilientRedisCache(RedisCache):
    RETRY_AFTER_SECONDS = 30

    def __init__(self, server, params):
        super().__init__(server, params)
        self._fallback = LocMemCache(f"resilient-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)})
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.failures = 0  # how many calls Redis failed: whether what one set reached Redis
        self._scripts_refused = False

    @property
    def redis_available(self) -> bool:
        return time.monotonic() >= self._down_until

    def delete_if_holds(self, key, token, version=None) -> bool:
        """Deletes `key` if it holds `token`; whether it did."""
        return self._if_holds("delete_if_holds", _DELETE_IF_HOLDS, key, token, version,
                              lambda cache: _delete_if_holds(cache, key, token, version=version))

    def touch_if_holds(self, key, token, timeout, version=None) -> bool:
        """Sets `key` to expire `timeout` seconds from now (a whole number above 0) if it holds `token`; whether it
        did."""
        seconds = self.get_backend_timeout(timeout)
        if not seconds:
            raise ValueError("touch_if_holds takes a timeout of at least one second")
        return self._if_holds("touch_if_holds", _EXPIRE_IF_HOLDS, key, token, version,
                              lambda cache: _touch_if_holds(cache, key, token, seconds, version=version), seconds)

    def _if_holds(self, operation: str, script: str, key, token, version, in_two_steps, *args) -> bool:
        if self.redis_available and not self._scripts_refused:
            redis_key = self.make_and_validate_key(key, version=version)
            try:
                client = self._cache.get_client(redis_key, write=True)
                return bool(client.eval(script, 1, redis_key, self._cache._serializer.dumps(token), *args))
            except (RedisConnectionError, RedisTimeoutError) as exc:
                self._redis_failed(operation, exc)
            except RedisError as exc:
                # An answer, not a failure (scripts not allowed to this user, say): Redis is left in use, and this
                # process reads and changes the lock in two steps there from now on.
                self._scripts_refused = True
                logger.warning("Redis refused the script of %s (%s: %s); locks are released in two steps",
                               operation, type(exc).__name__, exc)
        # The degrading operations: on Redis while it answers, else on the memory cache.
        return in_two_steps(self)

    def _redis_failed(self, operation: str, exc: Exception) -> None:
        with self._lock:
            first = self.redis_available
            self.failures += 1
            self._down_until = time.monotonic() + self.RETRY_AFTER_SECONDS
        if first:
            logger.warning("Redis cache unavailable (%s: %s); using the process's memory cache for %s s",
                           operation, type(exc).__name__, self.RETRY_AFTER_SECONDS)


# The token as the cache stored it (RedisSerializer) against the key's value, and only then the change.
_DELETE_IF_HOLDS = """
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0"""
_EXPIRE_IF_HOLDS = """
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("EXPIRE", KEYS[1], ARGV[2]) end
return 0"""


def delete_if_holds(cache, key, token) -> bool:
    """Deletes `key` if it holds `token` (a lock taken away only by its holder); whether it did. In one step on
    Redis; elsewhere (a process's memory cache, where only its own threads meet) a read, then the delete."""
    holds = getattr(cache, "delete_if_holds", None)  # also through django.core.cache.cache, a proxy
    return holds(key, token) if holds else _delete_if_holds(cache, key, token)


def touch_if_holds(cache, key, token, timeout: int) -> bool:
    """Renews `key` for `timeout` seconds if it holds `token`; whether it did (false: the lock is no longer this
    holder's). In one step on Redis, as delete_if_holds."""
    holds = getattr(cache, "touch_if_holds", None)
    return holds(key, token, timeout) if holds else _touch_if_holds(cache, key, token, timeout)


def _delete_if_holds(cache, key, token, version=None) -> bool:
    return cache.get(key, version=version) == token and cache.delete(key, version=version)


def _touch_if_holds(cache, key, token, timeout, version=None) -> bool:
    return cache.get(key, version=version) == token and cache.touch(key, timeout, version=version)


def _degrading(operation: str):
    redis_operation = getattr(RedisCache, operation)

    def method(self, *args, **kwargs):
        if self.redis_available:
            try:
                return redis_operation(self, *args, **kwargs)
            except RedisError as exc:
                self._redis_failed(operation, exc)
        return getattr(self._fallback, operation)(*args, **kwargs)

    method.__name__ = operation
    method.__doc__ = f"RedisCache.{operation}, or the memory cache while Redis is unavailable."
    return method


for _operation in OPERATIONS:
    setattr(ResilientRedisCache, _operation, _degrading(_operation))
