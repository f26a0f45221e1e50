"""Counters for things that happen rather than rows that exist, kept in Redis.

Each metric is one Redis hash: fields are the JSON list of label values, values
are counts, sums or timestamps. Every recording is one pipelined round trip.
Recording never raises: after a Redis failure it is skipped for a while, so an
outage costs a request or a task nothing but its metric.

Without a Redis cache (local development on locmem) nothing is recorded: a
counter per process would not mean anything once there are several processes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

# Seconds. Fetches wait on remote servers; web requests are mostly fast.
FETCH_BUCKETS: tuple[float, ...] = (0.25, 0.5, 1, 2, 5, 10, 20, 30, 60)
HTTP_BUCKETS: tuple[float, ...] = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

# The names below are the hashes' names, not the exported metric names.
HTTP_RESPONSES = "http_responses"
HTTP_DURATION = "http_duration"
FETCH_OUTCOMES = "fetch_outcomes"
FETCH_DURATION = "fetch_duration"
TASK_RUNS = "task_runs"
TASK_SECONDS = "task_seconds"
TASK_FAILURES = "task_failures"
TELEGRAM_SENT = "telegram_sent"
TELEGRAM_RATE_LIMITED = "telegram_rate_limited"
WORKER_SEEN = "worker_seen"
BEAT_DISPATCH = "beat_dispatch"

_PAUSE_AFTER_ERROR_SECONDS = 30.0
_paused_until = 0.0


def _redis() -> Any | None:
    if not settings.CACHES["default"]["BACKEND"].startswith("django_redis."):
        return None
    from django_redis import get_redis_connection  # type: ignore[import-untyped]

    return get_redis_connection("default")


def _key(name: str) -> str:
    # The cache's prefix keeps test runs and deployments sharing a Redis apart.
    return cache.make_key(f"metrics:{name}")


def _field(labels: Sequence[str]) -> str:
    return json.dumps(list(labels), separators=(",", ":"))


def _write(commands: list[tuple[str, str, str, float]]) -> None:
    """Run (command, hash, field, value) commands in one round trip, or skip them."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return
    try:
        client = _redis()
        if client is None:
            return
        pipeline = client.pipeline(transaction=False)
        for command, name, field, value in commands:
            getattr(pipeline, command)(_key(name), field, value)
        pipeline.execute()
    except Exception as error:  # a metric is never worth failing the caller for
        _paused_until = time.monotonic() + _PAUSE_AFTER_ERROR_SECONDS
        logger.warning("metrics not recorded: %s", type(error).__name__)


def _bucket_index(seconds: float, buckets: Sequence[float]) -> int:
    for index, bound in enumerate(buckets):
        if seconds <= bound:
            return index
    return len(buckets)


def _observation(
    name: str, *, labels: Sequence[str], seconds: float, buckets: Sequence[float]
) -> list[tuple[str, str, str, float]]:
    # Buckets are stored one by one and made cumulative when read.
    index = _bucket_index(seconds, buckets)
    return [
        ("hincrby", f"{name}:bucket", _field([*labels, str(index)]), 1),
        ("hincrbyfloat", f"{name}:sum", _field(labels), seconds),
        ("hincrby", f"{name}:count", _field(labels), 1),
    ]


# ---------------------------------------------------------------- recording


def http_response_recorded(*, status: int, seconds: float) -> None:
    _write(
        [
            ("hincrby", HTTP_RESPONSES, _field([f"{status // 100}xx"]), 1),
            *_observation(HTTP_DURATION, labels=[], seconds=seconds, buckets=HTTP_BUCKETS),
        ]
    )


def fetch_recorded(*, outcome: str, seconds: float) -> None:
    _write(
        [
            ("hincrby", FETCH_OUTCOMES, _field([outcome]), 1),
            *_observation(FETCH_DURATION, labels=[], seconds=seconds, buckets=FETCH_BUCKETS),
        ]
    )


def task_recorded(*, task: str, seconds: float | None, failed: bool) -> None:
    commands: list[tuple[str, str, str, float]] = []
    if seconds is not None:
        commands += [
            ("hincrby", TASK_RUNS, _field([task]), 1),
            ("hincrbyfloat", TASK_SECONDS, _field([task]), seconds),
        ]
    if failed:
        commands.append(("hincrby", TASK_FAILURES, _field([task]), 1))
    if commands:
        _write(commands)


def telegram_sends_recorded(*, sent: int, rate_limited: int) -> None:
    commands: list[tuple[str, str, str, float]] = []
    if sent:
        commands.append(("hincrby", TELEGRAM_SENT, _field([]), sent))
    if rate_limited:
        commands.append(("hincrby", TELEGRAM_RATE_LIMITED, _field([]), rate_limited))
    if commands:
        _write(commands)


def timestamp_recorded(name: str, *, labels: Sequence[str] = (), when: float | None = None) -> None:
    _write([("hset", name, _field(labels), time.time() if when is None else when)])


# ---------------------------------------------------------------- reading


def read_all(names: Sequence[str]) -> dict[str, dict[tuple[str, ...], float]]:
    """Every hash in `names` as {label values: number}, in one round trip.

    Raises when Redis is unreachable; returns empty hashes without a Redis cache.
    """
    client = _redis()
    if client is None:
        return {name: {} for name in names}
    pipeline = client.pipeline(transaction=False)
    for name in names:
        pipeline.hgetall(_key(name))
    result: dict[str, dict[tuple[str, ...], float]] = {}
    for name, raw in zip(names, pipeline.execute(), strict=True):
        result[name] = {
            tuple(json.loads(field)): float(value) for field, value in (raw or {}).items()
        }
    return result


def histogram_hashes(name: str) -> list[str]:
    return [f"{name}:bucket", f"{name}:sum", f"{name}:count"]


def histogram_samples(
    hashes: dict[str, dict[tuple[str, ...], float]],
    name: str,
    *,
    buckets: Sequence[float],
) -> list[tuple[tuple[str, ...], list[tuple[str, float]], float]]:
    """(labels, cumulative buckets ending with +Inf, sum) for each label set seen."""
    per_bucket = hashes.get(f"{name}:bucket", {})
    sums = hashes.get(f"{name}:sum", {})
    samples = []
    for labels, count in sorted(hashes.get(f"{name}:count", {}).items()):
        running = 0.0
        cumulative: list[tuple[str, float]] = []
        for index, bound in enumerate(buckets):
            running += per_bucket.get((*labels, str(index)), 0.0)
            cumulative.append((_bound(bound), running))
        cumulative.append(("+Inf", count))
        samples.append((labels, cumulative, sums.get(labels, 0.0)))
    return samples


def _bound(value: float) -> str:
    return str(float(value))


def source_refresh_recorded(*, error: str, not_modified: bool, started: datetime) -> None:
    """Called where news.services.source_refresh finishes a fetch, failed or not."""
    outcome = "error" if error else "not_modified" if not_modified else "success"
    fetch_recorded(outcome=outcome, seconds=(timezone.now() - started).total_seconds())
