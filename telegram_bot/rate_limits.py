"""Telegram's sending limits, kept by one limiter that every worker shares.

Telegram answers 429 (flood control) to a bot that sends more than about 30
messages a second overall, more than one a second to one private chat, or more
than 20 a minute to one group or channel. Every message takes its turn from
TelegramRateLimiter.wait_turn first, so all workers together stay under all
three at once.

Algorithm: a sliding-window log per limit, whose entries are send times that
may lie slightly in the future (booked places). Each window is a Redis sorted
set of send times in microseconds of the Redis clock (one clock for every
worker and machine). A window of `limit` over `span` admits a new entry no
earlier than its latest entry, and no earlier than `span` after its
`limit`-th latest, so no stretch of `span` ever holds more than `limit`
entries (the log is exact, unlike a token bucket).

- Overall, the limit is kept as an even pace: a window of one message per
  1/30 s (which never lets 31 into a second either). Bursts of 30 from many
  workers would queue up on the way to Telegram, and the uneven delays of a
  queue could bring 31 into one second at Telegram's end although they left
  here more than a second apart.
- Per chat, the window is the chat's own limit, so a channel digest of a few
  messages goes out in a burst (at the overall pace).

A message for chat C gets the next free place on the overall pace, t, provided
C's window admits it at t; the place is then booked in both windows and the
caller sleeps until t and sends. Booking rather than polling keeps the pace
exact however late sleepers wake. When C's window is what stops it, nothing is
booked (a long wait for one chat must not hold up the others): the caller
learns when C's window frees, sleeps until then and asks again. One Lua script
checks and books every window, and Redis runs scripts one at a time, so
concurrent workers can never both take one place.

Every span is lengthened by a small margin (8 %) for the variation in delay
between a message's place here and its arrival at Telegram. A chat's window
also gets a fixed slack (a quarter of a second): on a loaded machine one
message can take 50 ms longer than the next to reach Telegram, which would
bring two messages to one chat closer than a second apart. The slack costs
nothing in overall throughput, since it only spaces messages to one chat.
A caller that wakes well after its place re-books rather than sending late,
for the same reason on the overall pace.

Without Redis (local embedded mode, LocMemCache) the same algorithm runs in
process memory, shared by the threads of one process.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import redis
from django.conf import settings
from django.core.cache import cache

# Covers the variation in delay between a place here and arrival at Telegram, as
# a fraction of each window: 1 s becomes 1.08 s, so 30/s becomes 27.8/s.
DEFAULT_MARGIN = 0.08
# Added to each chat's window, in seconds: 1 s per private chat becomes 1.3 s.
DEFAULT_CHAT_SLACK = 0.25
# A caller woken later than this after its place books a new one (at most
# _MAX_REBOOKINGS times), so a late send cannot crowd the ones after it.
_LATE_WAKE_SECONDS = 0.02
_MAX_REBOOKINGS = 3
# Wakes a refused caller just after its place frees, not just before it.
_WAKE_SLACK_SECONDS = 0.001


@dataclass(frozen=True)
class RateWindow:
    """At most `limit` messages in any `seconds`-long stretch of time."""

    limit: int
    seconds: float


@dataclass(frozen=True)
class TelegramLimits:
    overall: RateWindow = RateWindow(limit=30, seconds=1.0)
    private_chat: RateWindow = RateWindow(limit=1, seconds=1.0)
    group_chat: RateWindow = RateWindow(limit=20, seconds=60.0)


TELEGRAM_LIMITS = TelegramLimits()


@dataclass(frozen=True)
class Decision:
    """Admitted: the message has its place at `at` (seconds on the limiter's clock),
    `wait` seconds from now; send it then. Refused: nothing was booked; ask again
    in `wait` seconds."""

    admitted: bool
    wait: float
    at: float


@dataclass(frozen=True)
class _Window:
    key: str
    limit: int
    span_us: int


class RateLimiterUnavailableError(Exception):
    """The shared limiter could not be reached, so nothing may be sent now."""


class _WindowStore(Protocol):
    def admit(self, pace: _Window, others: Sequence[_Window]) -> Decision:
        """Book the next place on `pace` if every window in `others` allows it then."""
        ...


# KEYS[1]: the pace window, KEYS[2..]: the others, each a sorted set of send
# times. ARGV: limit and span (microseconds) for each key in turn, then a unique
# member. Returns {admitted (0/1), wait_us, at_us}.
_ADMIT_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local function earliest(i)
  local key, limit, span = KEYS[i], tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  local count = redis.call('ZCARD', key)
  if count == 0 then
    return now
  end
  local at = tonumber(redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2])
  if count >= limit then
    local blocking = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    at = math.max(at, tonumber(blocking[2]) + span)
  end
  return math.max(at, now)
end
local at = earliest(1)
local blocked = 0
for i = 2, #KEYS do
  blocked = math.max(blocked, earliest(i))
end
if blocked > at then
  return {0, blocked - now, now}
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], at, ARGV[#ARGV])
  redis.call('PEXPIRE', KEYS[i], math.ceil((at - now + tonumber(ARGV[2 * i])) / 1000) + 1000)
end
return {1, at - now, at}
"""


class RedisWindowStore:
    """Windows in Redis, shared by every process that uses the same key prefix."""

    def __init__(self, client: redis.Redis) -> None:
        self._admit = client.register_script(_ADMIT_SCRIPT)

    def admit(self, pace: _Window, others: Sequence[_Window]) -> Decision:
        windows = [pace, *others]
        args: list[int | str] = []
        for window in windows:
            args += [window.limit, window.span_us]
        args.append(uuid.uuid4().hex)
        try:
            admitted, wait_us, at_us = self._admit(keys=[w.key for w in windows], args=args)
        except redis.RedisError as error:
            raise RateLimiterUnavailableError(
                f"The Telegram rate limiter could not reach Redis ({error})"
            ) from error
        return Decision(admitted=admitted == 1, wait=int(wait_us) / 1e6, at=int(at_us) / 1e6)


class LocalWindowStore:
    """The same windows in process memory, for a deployment without Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, deque[int]] = {}

    def admit(self, pace: _Window, others: Sequence[_Window]) -> Decision:
        with self._lock:
            now = time.monotonic_ns() // 1000
            at = self._earliest(pace, now)
            blocked = max((self._earliest(window, now) for window in others), default=0)
            if blocked > at:
                return Decision(admitted=False, wait=(blocked - now) / 1e6, at=now / 1e6)
            for window in (pace, *others):
                self._entries[window.key].append(at)
            return Decision(admitted=True, wait=(at - now) / 1e6, at=at / 1e6)

    def _earliest(self, window: _Window, now: int) -> int:
        entries = self._entries.setdefault(window.key, deque())
        while entries and entries[0] <= now - window.span_us:
            entries.popleft()
        if not entries:
            return now
        at = entries[-1]
        if len(entries) >= window.limit:
            at = max(at, entries[len(entries) - window.limit] + window.span_us)
        return max(at, now)


_LOCAL_STORE = LocalWindowStore()


class TelegramRateLimiter:
    """Thread-safe; every instance over the same store and key prefix shares the limits."""

    def __init__(
        self,
        store: _WindowStore,
        *,
        key_prefix: str,
        limits: TelegramLimits = TELEGRAM_LIMITS,
        margin: float = DEFAULT_MARGIN,
        chat_slack: float = DEFAULT_CHAT_SLACK,
    ) -> None:
        self._store = store
        self._key_prefix = key_prefix
        self._limits = limits
        self._margin = margin
        self._chat_slack = chat_slack
        overall = limits.overall
        self._pace = self._window(
            "overall", RateWindow(limit=1, seconds=overall.seconds / overall.limit)
        )

    def try_acquire(self, chat_id: int | str) -> Decision:
        """Book a place for one message to `chat_id`, or say when to ask again.

        Raises RateLimiterUnavailableError when the shared store cannot be reached.
        """
        chat_key = str(chat_id).strip().lower()  # "@Channel" and "@channel" are one chat
        chat_window = (
            self._limits.private_chat if is_private_chat(chat_id) else self._limits.group_chat
        )
        return self._store.admit(
            self._pace, [self._window(f"chat:{chat_key}", chat_window, slack=self._chat_slack)]
        )

    async def wait_turn(self, chat_id: int | str) -> float:
        """Sleep until a message to `chat_id` may go out, having booked its place.

        Returns the place (seconds, limiter clock). A refused caller sleeps at most
        as long as the chat's window (a minute for a group), but another worker
        may take the place that frees, so it may have to wait more than once.
        The Redis call itself is synchronous: a fraction of a millisecond, about
        the cost of handing it to a thread.
        """
        rebookings = 0
        while True:
            decision = self.try_acquire(chat_id)
            if not decision.admitted:
                await asyncio.sleep(decision.wait + _WAKE_SLACK_SECONDS)
                continue
            if decision.wait <= 0:
                return decision.at
            due = time.monotonic() + decision.wait
            await asyncio.sleep(decision.wait)
            # The abandoned place stays booked; that only spaces later sends more.
            if time.monotonic() - due <= _LATE_WAKE_SECONDS or rebookings >= _MAX_REBOOKINGS:
                return decision.at
            rebookings += 1

    def _window(self, name: str, window: RateWindow, *, slack: float = 0.0) -> _Window:
        return _Window(
            key=f"{self._key_prefix}:{name}",
            limit=window.limit,
            span_us=round((window.seconds * (1 + self._margin) + slack) * 1e6),
        )


def is_private_chat(chat_id: int | str) -> bool:
    """Private chats have positive ids; groups and channels negative ids or "@names"."""
    if isinstance(chat_id, str):
        text = chat_id.strip()
        return text.isdigit() and int(text) > 0
    return chat_id > 0


def telegram_rate_limiter() -> TelegramRateLimiter:
    """The limiter for this deployment: in Redis when the cache is django-redis."""
    store: _WindowStore
    if "django_redis" in settings.CACHES["default"]["BACKEND"]:
        from django_redis import get_redis_connection  # type: ignore[import-untyped]

        store = RedisWindowStore(get_redis_connection("default"))
    else:
        store = _LOCAL_STORE
    # The cache's key prefix names the deployment (and the test worker), so
    # deployments sharing one Redis keep separate limits.
    return TelegramRateLimiter(
        store,
        key_prefix=str(cache.make_key("telegram-rate")),
        margin=float(settings.TELEGRAM_RATE_MARGIN),
    )
