"""A Redis cache that degrades instead of failing: when Redis is down or hangs, every cache call goes to a
per-process memory cache for a while, so no page, login or dashboard answers 500 because of the cache.

What lives in the cache is rebuilt or harmless to lose: allauth's login counters (during an outage they count
per gunicorn worker, so the limits still hold per worker instead of failing open or locking everyone out), the
dashboard's figures (recomputed), an import's progress (the job row has the truth). After a failure the
backend leaves Redis alone for RETRY_AFTER_SECONDS, so a hanging Redis costs one socket timeout per process
and period, not one per cache call.
"""

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

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

    @property
    def redis_available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _redis_failed(self, operation: str, exc: Exception) -> None:
        with self._lock:
            first = self.redis_available
            self.failures += 1
            self._down_until = time.monotonic() + self.RETRY_AFTER_SECONDS
        if first:
            logger.warning("Redis cache unavailable (%s: %s); using the process's memory cache for %s s",
                           operation, type(exc).__name__, self.RETRY_AFTER_SECONDS)


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
