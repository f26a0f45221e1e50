"""The shared Telegram limiter: exact windows, per-chat kinds, and no overshoot when
several processes and threads take places from one Redis at once.

Windows are scaled down (fractions of a second) so the tests are quick; the
algorithm does not depend on the numbers. Admission times are read on the
limiter's own clock (Redis TIME), so the checks measure the limiter itself,
not the scheduling of the test's threads.
"""

import asyncio
import itertools
import multiprocessing
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.conf import settings

from telegram_bot.rate_limits import (
    LocalWindowStore,
    RateLimiterUnavailableError,
    RateWindow,
    RedisWindowStore,
    TelegramLimits,
    TelegramRateLimiter,
    is_private_chat,
    telegram_rate_limiter,
)

FAST = TelegramLimits(
    overall=RateWindow(limit=20, seconds=0.5),
    private_chat=RateWindow(limit=1, seconds=0.25),
    group_chat=RateWindow(limit=4, seconds=1.0),
)
# The same chat windows with an overall pace too fast to matter.
CHATS_ONLY = TelegramLimits(
    overall=RateWindow(limit=1_000_000, seconds=1.0),
    private_chat=FAST.private_chat,
    group_chat=FAST.group_chat,
)


def redis_limiter(prefix, limits=FAST, redis_url=None):
    client = redis.Redis.from_url(redis_url or settings.TEST_REDIS_URL)
    return TelegramRateLimiter(
        RedisWindowStore(client), key_prefix=prefix, limits=limits, margin=0, chat_slack=0
    )


@pytest.fixture
def prefix():
    return f"test-telegram-rate:{uuid.uuid4().hex}"


def most_in_any_window(times, seconds):
    """The largest number of `times` inside any half-open window (t - seconds, t]."""
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        # A microsecond of slack: the times went through float division.
        while times[start] <= moment - seconds + 1e-7:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_chat_kinds():
    assert is_private_chat(42)
    assert is_private_chat("42")
    assert not is_private_chat(-42)
    assert not is_private_chat(-1001234567890)
    assert not is_private_chat("-1001234567890")
    assert not is_private_chat("@insight_hub")


def test_a_private_chat_gets_one_message_per_window_and_others_are_not_held_up(prefix):
    limiter = redis_limiter(prefix, limits=CHATS_ONLY)

    first = limiter.try_acquire(42)
    second = limiter.try_acquire(42)
    other = limiter.try_acquire(43)

    assert first.admitted
    assert other.admitted
    assert not second.admitted
    assert 0.2 < second.wait <= 0.25


def test_a_group_or_channel_gets_its_burst_then_waits_for_the_oldest(prefix):
    limiter = redis_limiter(prefix, limits=CHATS_ONLY)

    decisions = [limiter.try_acquire("@Insight_Hub") for _ in range(4)]
    # The same channel, however its name is capitalised.
    refused = limiter.try_acquire("@insight_hub")

    assert all(decision.admitted for decision in decisions)
    assert not refused.admitted
    assert refused.wait == pytest.approx(1.0 - (refused.at - decisions[0].at), abs=1e-3)
    assert limiter.try_acquire(-100123).admitted


def test_overall_limit_is_kept_as_an_even_pace_of_booked_places(prefix):
    limiter = redis_limiter(prefix)

    decisions = [limiter.try_acquire(1000 + n) for n in range(4)]

    assert all(decision.admitted for decision in decisions)
    assert decisions[0].wait == 0
    # 20 per 0.5 s: one every 25 ms, whatever the chat.
    places = [decision.at - decisions[0].at for decision in decisions]
    assert places == pytest.approx([0, 0.025, 0.05, 0.075], abs=1e-6)
    # Its wait is what is left until that place (less the time the calls took).
    assert 0.075 - 0.05 < decisions[3].wait <= 0.075 + 1e-3


def test_a_chat_that_must_wait_books_nothing_on_the_overall_pace(prefix):
    limiter = redis_limiter(prefix)
    first = limiter.try_acquire(7)

    refused = [limiter.try_acquire(7) for _ in range(5)]
    other = limiter.try_acquire(8)

    assert not any(decision.admitted for decision in refused)
    assert other.admitted
    assert other.at - first.at == pytest.approx(0.025, abs=1e-6)


def test_a_refused_message_is_not_counted(prefix):
    limiter = redis_limiter(prefix, limits=CHATS_ONLY)
    limiter.try_acquire(-1)
    limiter.try_acquire(-1)
    limiter.try_acquire(-1)
    limiter.try_acquire(-1)
    for _ in range(10):
        assert not limiter.try_acquire(-1).admitted

    time.sleep(1.0)

    assert [limiter.try_acquire(-1).admitted for _ in range(5)] == [True] * 4 + [False]


def test_waiting_for_a_turn_sleeps_until_the_window_allows_it(prefix):
    limiter = redis_limiter(prefix)

    async def three_to_one_chat():
        return [await limiter.wait_turn(7) for _ in range(3)]

    started = time.monotonic()
    admitted_at = asyncio.run(three_to_one_chat())

    assert time.monotonic() - started >= 0.5
    assert all(later - earlier >= 0.25 for earlier, later in itertools.pairwise(admitted_at))


def test_margin_lengthens_every_window(prefix):
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    limiter = TelegramRateLimiter(
        RedisWindowStore(client), key_prefix=prefix, limits=FAST, margin=0.2, chat_slack=0
    )

    first = limiter.try_acquire(5)
    paced = limiter.try_acquire(6)
    time.sleep(0.05)
    same_chat = limiter.try_acquire(5)

    assert first.admitted
    assert paced.admitted
    assert paced.at - first.at == pytest.approx(0.03, abs=1e-6)
    assert not same_chat.admitted
    assert same_chat.wait == pytest.approx(0.3 - (same_chat.at - first.at), abs=1e-3)


def test_an_unreachable_redis_is_reported(closed_port):
    limiter = redis_limiter("x", redis_url=f"redis://127.0.0.1:{closed_port}/0")

    with pytest.raises(RateLimiterUnavailableError):
        limiter.try_acquire(1)


def test_the_deployment_limiter_lives_in_redis_under_the_cache_prefix():
    limiter = telegram_rate_limiter()

    assert limiter.try_acquire(99).admitted
    assert not limiter.try_acquire(99).admitted  # Telegram's 1 a second per private chat
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    assert client.exists(f"{prefix}:1:telegram-rate:chat:99")


# ---------------------------------------------------------------- concurrency

RUN_SECONDS = 1.6
THREADS_PER_PROCESS = 3
PROCESSES = 3


def _take_places(redis_url, prefix, chats, seconds):
    """One worker process: a few threads, each with its own event loop, taking places
    for `chats` in turn as fast as the limiter allows. Returns (admitted at, chat)."""
    limiter = redis_limiter(prefix, redis_url=redis_url)
    taken = []
    lock = threading.Lock()

    def thread(offset):
        async def loop():
            deadline = time.monotonic() + seconds
            turn = offset
            while time.monotonic() < deadline:
                chat = chats[turn % len(chats)]
                turn += 1
                at = await limiter.wait_turn(chat)
                with lock:
                    taken.append((at, chat))

        asyncio.run(loop())

    with ThreadPoolExecutor(THREADS_PER_PROCESS) as pool:
        list(pool.map(thread, range(THREADS_PER_PROCESS)))
    return taken


def _run_workers(prefix, chats_for_worker):
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        results = pool.starmap(
            _take_places,
            [
                (settings.TEST_REDIS_URL, prefix, chats_for_worker(worker), RUN_SECONDS)
                for worker in range(PROCESSES)
            ],
        )
    return [place for result in results for place in result]


def test_chat_slack_spaces_one_chat_but_not_the_overall_pace(prefix):
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    limiter = TelegramRateLimiter(
        RedisWindowStore(client), key_prefix=prefix, limits=FAST, margin=0, chat_slack=0.1
    )

    first = limiter.try_acquire(5)
    other_chat = limiter.try_acquire(6)
    same_chat = limiter.try_acquire(5)

    assert first.admitted
    assert other_chat.admitted
    assert other_chat.at - first.at == pytest.approx(0.025, abs=1e-6)
    assert not same_chat.admitted
    assert same_chat.wait == pytest.approx(0.35 - (same_chat.at - first.at), abs=1e-3)


@pytest.mark.slow
def test_processes_and_threads_together_never_exceed_the_overall_limit(prefix):
    # Every worker sends to chats of its own, so only the overall limit binds.
    taken = _run_workers(prefix, lambda worker: [10_000 * (worker + 1) + n for n in range(400)])

    times = [at for at, _chat in taken]
    assert most_in_any_window(times, FAST.overall.seconds) <= FAST.overall.limit
    # ...and the limiter does not starve them: close to the 20 per 0.5 s allowed.
    span = max(times) - min(times)
    assert len(times) >= 0.9 * FAST.overall.limit * span / FAST.overall.seconds


@pytest.mark.slow
def test_processes_and_threads_together_keep_each_chat_within_its_limit(prefix):
    # All workers compete for the same two private chats and two groups.
    shared = [7, 8, -100500, "@insight_hub"]
    taken = _run_workers(prefix, lambda worker: shared[worker:] + shared[:worker])

    for chat in shared:
        times = [at for at, to in taken if to == chat]
        window = FAST.private_chat if chat in (7, 8) else FAST.group_chat
        assert most_in_any_window(times, window.seconds) <= window.limit
        # Every window's worth of places is used, give or take the edges.
        assert len(times) >= window.limit * int(RUN_SECONDS / window.seconds)


def test_the_in_process_store_keeps_the_same_limits_across_threads():
    limiter = TelegramRateLimiter(
        LocalWindowStore(), key_prefix="local", limits=FAST, margin=0, chat_slack=0
    )
    taken = []
    lock = threading.Lock()

    def thread(offset):
        async def loop():
            deadline = time.monotonic() + 1.0
            turn = 0
            while time.monotonic() < deadline:
                chat = [7, 1000 * offset + turn][turn % 2]
                turn += 1
                at = await limiter.wait_turn(chat)
                with lock:
                    taken.append((at, chat))

        asyncio.run(loop())

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(thread, range(4)))

    assert most_in_any_window([at for at, _ in taken], 0.5) <= 20
    assert most_in_any_window([at for at, chat in taken if chat == 7], 0.25) <= 1
