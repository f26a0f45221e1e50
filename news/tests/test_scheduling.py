import random
from datetime import UTC, datetime, timedelta

from news import scheduling

START = datetime(2026, 11, 1, tzinfo=UTC)


def test_interval_follows_posting_frequency_and_is_clamped():
    daily = [START - timedelta(days=n) for n in range(10)]
    assert scheduling.next_interval(published=daily) == timedelta(hours=6)
    hourly_burst = [START - timedelta(minutes=5 * n) for n in range(10)]
    assert scheduling.next_interval(published=hourly_burst) == scheduling.MIN_INTERVAL
    yearly = [START - timedelta(days=365 * n) for n in range(4)]
    assert scheduling.next_interval(published=yearly) == scheduling.MAX_INTERVAL


def test_unknown_frequency_keeps_the_current_interval():
    assert scheduling.next_interval(published=[START], current=timedelta(hours=2)) == timedelta(
        hours=2
    )


def test_server_hints_are_lower_bounds():
    frequent = [START - timedelta(minutes=10 * n) for n in range(10)]
    assert scheduling.next_interval(published=frequent, ttl_minutes=60) == timedelta(hours=1)
    assert scheduling.next_interval(published=frequent, freshness_seconds=7200) == timedelta(
        hours=2
    )
    assert scheduling.next_interval(published=frequent, ttl_minutes=60 * 48) == timedelta(hours=24)


def test_backoff_doubles_and_is_capped_and_honours_retry_after():
    delays = [scheduling.backoff_delay(n) for n in range(1, 12)]
    assert delays[0] == timedelta(minutes=5)
    assert delays[1] == timedelta(minutes=10)
    assert delays[2] == timedelta(minutes=20)
    assert max(delays) == timedelta(hours=24)
    assert scheduling.backoff_delay(1, retry_after=3600) == timedelta(hours=1)
    assert scheduling.backoff_delay(1, retry_after=10 * 86400) == timedelta(hours=24)


def test_jitter_stays_within_ten_percent():
    rng = random.Random(7)
    values = {scheduling.jittered(timedelta(hours=1), rng=rng) for _ in range(200)}
    assert len(values) > 100
    assert all(timedelta(minutes=54) <= value <= timedelta(minutes=66) for value in values)
