"""At most N requests in flight to any one host, across every worker.

It keeps the project a polite reader: however many feeds one site publishes,
it sees a bounded number of simultaneous requests from us. With Redis
configured the slots live there, so the limit spans processes and machines;
in local embedded mode (no REDIS_URL) an in-process limiter stands in.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

import redis
from django.conf import settings

# A slot is a lease, so a worker killed mid-fetch cannot hold it forever. It
# must outlast the longest fetch, which the total deadline bounds.
LEASE_MARGIN_SECONDS = 15.0
_MAX_POLL_INTERVAL = 0.25

# KEYS[1]: a sorted set of slot tokens scored by lease expiry, in milliseconds
# of the Redis clock (one clock for every worker). ARGV: limit, lease in
# milliseconds, token. Returns 1 when the token now holds a slot, else 0.
_ACQUIRE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


class SlotUnavailableError(Exception):
    """No slot came free in time, or the shared limiter could not be reached."""


class HostLimiter(Protocol):
    def slot(self, host: str, *, timeout: float) -> AbstractContextManager[None]:
        """Hold one of the host's slots for the duration of the block.

        Waits at most ``timeout`` seconds for a slot, then raises SlotUnavailableError.
        """
        ...


class RedisHostLimiter:
    """A counting semaphore per host in Redis; thread-safe.

    Every instance pointing at the same Redis and key prefix shares the slots.
    Acquiring is one Lua script, so concurrent workers cannot both take the last
    slot; expired leases are swept by the next acquirer.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        limit: int,
        lease_seconds: float,
        key_prefix: str = "aihub:fetch-slots",
        poll_interval: float = 0.02,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._client = client
        self._acquire = client.register_script(_ACQUIRE_SCRIPT)
        self._limit = limit
        self._lease_ms = max(1, round(lease_seconds * 1000))
        self._key_prefix = key_prefix
        self._poll_interval = poll_interval

    def acquire(self, host: str, *, timeout: float) -> str:
        """Take a slot; returns the token for release(). Raises SlotUnavailableError."""
        key = self._key(host)
        token = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        delay = self._poll_interval
        while True:
            try:
                won = self._acquire(keys=[key], args=[self._limit, self._lease_ms, token])
            except redis.RedisError as error:
                raise SlotUnavailableError(
                    f"The host limiter could not reach Redis ({error})"
                ) from error
            if won == 1:
                return token
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SlotUnavailableError(
                    f"All {self._limit} request slots for {host} stayed busy for {timeout:g} s"
                )
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, _MAX_POLL_INTERVAL)

    def release(self, host: str, token: str) -> None:
        # If Redis is unreachable the lease still expires on its own.
        with contextlib.suppress(redis.RedisError):
            self._client.zrem(self._key(host), token)

    @contextmanager
    def slot(self, host: str, *, timeout: float) -> Iterator[None]:
        token = self.acquire(host, timeout=timeout)
        try:
            yield
        finally:
            self.release(host, token)

    def _key(self, host: str) -> str:
        return f"{self._key_prefix}:{host.lower()}"


class LocalHostLimiter:
    """Per-process slots for local embedded mode; thread-safe, no leases needed."""

    def __init__(self, *, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._limit = limit
        self._in_use: dict[str, int] = {}
        self._changed = threading.Condition()

    @contextmanager
    def slot(self, host: str, *, timeout: float) -> Iterator[None]:
        host = host.lower()
        with self._changed:
            if not self._changed.wait_for(
                lambda: self._in_use.get(host, 0) < self._limit, timeout=max(timeout, 0)
            ):
                raise SlotUnavailableError(
                    f"All {self._limit} request slots for {host} stayed busy for {timeout:g} s"
                )
            self._in_use[host] = self._in_use.get(host, 0) + 1
        try:
            yield
        finally:
            with self._changed:
                self._in_use[host] -= 1
                if not self._in_use[host]:
                    del self._in_use[host]
                self._changed.notify_all()


def host_limiter_from_settings() -> HostLimiter:
    limit = int(settings.FETCH_PER_HOST_CONCURRENCY)
    if not settings.REDIS_URL:
        return LocalHostLimiter(limit=limit)
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    # The cache's key prefix names the deployment (and the test worker), so
    # two deployments sharing one Redis keep separate slots.
    namespace = settings.CACHES["default"].get("KEY_PREFIX") or "aihub"
    return RedisHostLimiter(
        client,
        limit=limit,
        lease_seconds=float(settings.FETCH_TOTAL_TIMEOUT) + LEASE_MARGIN_SECONDS,
        key_prefix=f"{namespace}:fetch-slots",
    )
