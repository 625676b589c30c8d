"""The shared cache (Redis) as something pages can live without: while Redis does not answer, a read is a miss and
a fill is skipped, so sessions, the logged-in user and eligibility come from the database and every page still
works; only what must not be lost fails, and with it the request (the friendly error page, nothing changed).

- get, get_many, has_key: a miss. Every reader here has the database behind it (cached_db sessions, the cached
  user, eligibility counts).
- set, add, touch: skipped (add answers False). They fill or refresh what the database already holds.
- incr (the per-address counters of 立即注册's code check, 保单查验 and the API): raises CacheUnavailable, so a
  limit is never lifted by an outage; those pages say the service is busy.
- delete, delete_many, set_many, clear: raise. They take something back (a logout, a revoked user's cached copy:
  accounts.usercache.forget): silently skipping one would let it return with Redis.

Redis that hangs rather than refuses is given a short timeout, so a page waits a second, not a minute.
"""
import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
DOWN = (RedisConnectionError, RedisTimeoutError)
_LOG_EVERY = 60.0  # seconds between two log lines about the same outage
_last_logged = [0.0]


class CacheUnavailable(RuntimeError):
    """A cache operation that must not be skipped could not be made."""


def _note(operation, error):
    now = time.monotonic()
    if now - _last_logged[0] >= _LOG_EVERY:
        _last_logged[0] = now
        log.error("cache: Redis does not answer (%s: %s); reads are misses until it does", operation, error)


def _or(fallback):
    """The operation, or `fallback` (called) when Redis is down."""
    def wrap(method):
        @functools.wraps(method)
        def guarded(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except DOWN as error:
                _note(method.__name__, error)
                return fallback(*args, **kwargs)
        return guarded
    return wrap


def _unavailable(method):
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except DOWN as error:
            _note(method.__name__, error)
            raise CacheUnavailable(f"cache {method.__name__}: {error}") from error
    return guarded


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        options = {"socket_connect_timeout": 1, "socket_timeout": 1, **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})

    get = _or(lambda key, default=None, version=None: default)(DjangoRedisCache.get)
    get_many = _or(lambda keys, version=None: {})(DjangoRedisCache.get_many)
    has_key = _or(lambda key, version=None: False)(DjangoRedisCache.has_key)
    set = _or(lambda *args, **kwargs: None)(DjangoRedisCache.set)
    add = _or(lambda *args, **kwargs: False)(DjangoRedisCache.add)
    touch = _or(lambda *args, **kwargs: False)(DjangoRedisCache.touch)
    incr = _unavailable(DjangoRedisCache.incr)
    delete = _unavailable(DjangoRedisCache.delete)
    delete_many = _unavailable(DjangoRedisCache.delete_many)
    set_many = _unavailable(DjangoRedisCache.set_many)
    clear = _unavailable(DjangoRedisCache.clear)
