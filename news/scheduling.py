"""When to fetch a source next: adaptive intervals, server hints and backoff.

Pure functions over times and counts, so the policy is testable without a clock.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

MIN_INTERVAL = timedelta(minutes=5)
MAX_INTERVAL = timedelta(hours=24)
DEFAULT_INTERVAL = timedelta(hours=1)
FIRST_BACKOFF = timedelta(minutes=5)
MAX_FAILURES_BEFORE_ERROR = 10
JITTER = 0.1
# Expect a new post about four times per typical gap: frequent enough to be
# timely, rare enough not to hammer a quiet blog.
CHECKS_PER_POSTING_GAP = 4


def clamp(interval: timedelta) -> timedelta:
    return max(MIN_INTERVAL, min(MAX_INTERVAL, interval))


def jittered(interval: timedelta, *, rng: random.Random | None = None) -> timedelta:
    # Spreads sources that share an interval, so they do not all come due together.
    factor = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return interval * factor


def posting_interval(published: Sequence[datetime]) -> timedelta | None:
    """The fetch interval suggested by how often the source posts, or None when unknown."""
    ordered = sorted(published, reverse=True)[:20]
    gaps = [(newer - older).total_seconds() for newer, older in pairwise(ordered) if newer > older]
    if len(gaps) < 2:
        return None
    return timedelta(seconds=median(gaps) / CHECKS_PER_POSTING_GAP)


def next_interval(
    *,
    published: Sequence[datetime],
    ttl_minutes: int | None = None,
    freshness_seconds: int | None = None,
    current: timedelta = DEFAULT_INTERVAL,
) -> timedelta:
    """The interval after a successful fetch, clamped to MIN_INTERVAL … MAX_INTERVAL.

    Server hints (RSS ttl, Cache-Control max-age or Expires) are lower bounds:
    fetching before them only gets the same content back.
    """
    interval = posting_interval(published) or current
    if ttl_minutes:
        interval = max(interval, timedelta(minutes=ttl_minutes))
    if freshness_seconds:
        interval = max(interval, timedelta(seconds=freshness_seconds))
    return clamp(interval)


def backoff_delay(failures: int, *, retry_after: float | None = None) -> timedelta:
    """Exponential backoff after `failures` consecutive failures, capped at 24 hours.

    A server's Retry-After is honoured as a lower bound.
    """
    exponent = max(0, min(failures - 1, 20))
    delay = min(MAX_INTERVAL, FIRST_BACKOFF * (2**exponent))
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    capped: timedelta = min(delay, MAX_INTERVAL)
    return capped
