import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from news.host_limits import (
    LocalHostLimiter,
    RedisHostLimiter,
    SlotUnavailableError,
    host_limiter_from_settings,
)


class InFlight:
    """Counts threads inside the block and remembers the most at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.most = 0

    def __enter__(self):
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc_info):
        with self._lock:
            self.now -= 1


def hammer(limiters, *, host="feeds.example", threads=6, hold=0.1) -> int:
    in_flight = InFlight()

    def work(index: int) -> None:
        with limiters[index % len(limiters)].slot(host, timeout=5), in_flight:
            time.sleep(hold)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    return in_flight.most


def test_redis_limiter_holds_the_limit_across_threads(redis_limiter_factory):
    assert hammer([redis_limiter_factory(limit=2)]) == 2


def test_redis_limiter_holds_the_limit_across_instances(redis_limiter_factory):
    # Two instances with their own connections stand for two worker processes.
    limiters = [redis_limiter_factory(limit=2), redis_limiter_factory(limit=2)]
    assert hammer(limiters) == 2


def test_hosts_have_separate_slots(redis_limiter_factory):
    limiter = redis_limiter_factory(limit=1)
    with (
        limiter.slot("a.example", timeout=0),
        limiter.slot("b.example", timeout=0),
        pytest.raises(SlotUnavailableError),
    ):
        limiter.acquire("A.EXAMPLE", timeout=0)


def test_a_released_slot_is_free_at_once(redis_limiter_factory):
    limiter = redis_limiter_factory(limit=1)
    token = limiter.acquire("feeds.example", timeout=0)
    limiter.release("feeds.example", token)
    limiter.release("feeds.example", limiter.acquire("feeds.example", timeout=0))


def test_waiting_for_a_slot_has_a_deadline(redis_limiter_factory):
    limiter = redis_limiter_factory(limit=1)
    limiter.acquire("feeds.example", timeout=0)
    started = time.monotonic()
    with pytest.raises(SlotUnavailableError, match=r"All 1 request slots for feeds\.example"):
        limiter.acquire("feeds.example", timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 1.0


def test_slots_of_a_crashed_worker_expire(redis_limiter_factory):
    crashed = redis_limiter_factory(limit=2, lease_seconds=0.3)
    # Taken and never released, as by a worker killed mid-fetch.
    crashed.acquire("feeds.example", timeout=0)
    crashed.acquire("feeds.example", timeout=0)
    survivor = redis_limiter_factory(limit=2, lease_seconds=0.3)
    started = time.monotonic()
    survivor.acquire("feeds.example", timeout=3)
    assert 0.2 <= time.monotonic() - started < 1.5


def test_an_unreachable_redis_means_no_slot(closed_port):
    client = redis.Redis(
        host="127.0.0.1", port=closed_port, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    limiter = RedisHostLimiter(client, limit=2, lease_seconds=30)
    with pytest.raises(SlotUnavailableError, match="could not reach Redis"):
        limiter.acquire("feeds.example", timeout=1)


def test_local_limiter_holds_the_limit_across_threads():
    assert hammer([LocalHostLimiter(limit=2)]) == 2


def test_local_limiter_waits_with_a_deadline_and_frees_slots():
    limiter = LocalHostLimiter(limit=1)
    with limiter.slot("feeds.example", timeout=0):
        with pytest.raises(SlotUnavailableError), limiter.slot("Feeds.Example", timeout=0.05):
            pass
        with limiter.slot("other.example", timeout=0):
            pass
    with limiter.slot("feeds.example", timeout=0):
        pass


def test_limiter_from_settings_uses_redis_when_configured(settings):
    settings.REDIS_URL = settings.TEST_REDIS_URL
    assert isinstance(host_limiter_from_settings(), RedisHostLimiter)
    settings.REDIS_URL = ""
    assert isinstance(host_limiter_from_settings(), LocalHostLimiter)
