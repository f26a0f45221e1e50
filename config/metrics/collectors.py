"""The application's metrics, computed when Prometheus scrapes.

Rows that exist (items, sources, digests, deliveries) are counted in the
database with a fixed number of aggregate queries; events (fetches, task runs,
responses, Telegram sends) come from the Redis hashes of config.metrics.events.
The rendered page is cached for METRICS_CACHE_SECONDS, so several scrapers, or
every replica behind one service, cost the database one set of queries.

Each section is collected on its own: when the database is down the page still
answers, with aihub_ready 0 and the failed section named in
aihub_metrics_collection_errors.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from config import health
from config.metrics import events

logger = logging.getLogger(__name__)

SCRAPE_CACHE_KEY = "metrics:scrape"
# kombu's Redis transport keeps each priority level in a list of its own.
_KOMBU_PRIORITY_SEPARATOR = "\x06\x16"
_KOMBU_PRIORITY_STEPS = (0, 3, 6, 9)


def _timestamp(value: Any) -> float:
    return value.timestamp() if value is not None else 0.0


def database_metrics() -> Iterator[Metric]:
    from competitors.models import Source
    from digests.models import ChannelDigest, Delivery, Digest, Notification
    from news.models import NewsItem

    items = CounterMetricFamily(
        "aihub_items_ingested", "News items stored, by source type.", labels=["source_type"]
    )
    for row in NewsItem.objects.order_by().values("source_type").annotate(n=Count("id")):
        items.add_metric([row["source_type"]], row["n"])
    yield items

    sources = GaugeMetricFamily("aihub_sources", "Sources by status.", labels=["status"])
    by_status = {
        row["status"]: row
        for row in Source.objects.order_by()
        .values("status")
        .annotate(n=Count("id"), last_success=Max("last_success_at"))
    }
    for status in Source.Status.values:
        sources.add_metric([status], by_status.get(status, {}).get("n", 0))
    yield sources
    last_success = max(
        (row["last_success"] for row in by_status.values() if row["last_success"]), default=None
    )
    yield GaugeMetricFamily(
        "aihub_last_successful_ingestion_timestamp_seconds",
        "When a source was last fetched successfully (unix seconds; 0 = never).",
        value=_timestamp(last_success),
    )

    built = CounterMetricFamily("aihub_digests_built", "Digests built, by kind.", labels=["kind"])
    counts = {
        row["kind"]: row["n"]
        for row in Digest.objects.filter(built_at__isnull=False)
        .order_by()
        .values("kind")
        .annotate(n=Count("id"))
    }
    for kind in Digest.Kind.values:
        built.add_metric([kind], counts.get(kind, 0))
    yield built

    # Sent, failed and skipped are final, so their counts only grow; pending and
    # sending come and go and are a gauge.
    finished = CounterMetricFamily(
        "aihub_digest_deliveries",
        "Digest deliveries that reached a final status, by channel and status.",
        labels=["channel", "status"],
    )
    open_ = GaugeMetricFamily(
        "aihub_digest_deliveries_open",
        "Digest deliveries waiting or being sent, by channel and status.",
        labels=["channel", "status"],
    )
    deliveries = {
        (row["channel"], row["status"]): row["n"]
        for row in Delivery.objects.order_by().values("channel", "status").annotate(n=Count("id"))
    }
    # The public channel's daily digest is one more channel.
    deliveries.update(
        (("telegram_channel", row["status"]), row["n"])
        for row in ChannelDigest.objects.order_by().values("status").annotate(n=Count("id"))
    )
    open_statuses = {Delivery.Status.PENDING, Delivery.Status.SENDING}
    for channel in [*Delivery.Channel.values, "telegram_channel"]:
        for status in Delivery.Status.values:
            family = open_ if status in open_statuses else finished
            family.add_metric([channel, status], deliveries.get((channel, status), 0))
    yield finished
    yield open_

    # Old read notifications are purged, so a count of rows would fall and look
    # like a counter reset; the last hour's rows are never purged.
    notifications = GaugeMetricFamily(
        "aihub_notifications_created_last_hour",
        "Notifications created in the last hour, by type.",
        labels=["type"],
    )
    since = timezone.now() - timedelta(hours=1)
    counts = {
        row["type"]: row["n"]
        for row in Notification.objects.filter(created_at__gte=since)
        .order_by()
        .values("type")
        .annotate(n=Count("id"))
    }
    for kind in Notification.Type.values:
        notifications.add_metric([kind], counts.get(kind, 0))
    yield notifications


def readiness_metrics() -> Iterator[Metric]:
    ready, results = health.readiness()
    yield GaugeMetricFamily(
        "aihub_ready", "1 when every readiness check of /readyz passes.", value=int(ready)
    )
    checks = GaugeMetricFamily(
        "aihub_readiness_check", "Each readiness check: 1 passing, 0 failing.", labels=["check"]
    )
    for name, result in results.items():
        checks.add_metric([name], int(result == "ok"))
    yield checks


def queue_metrics() -> Iterator[Metric]:
    url = settings.CELERY_BROKER_URL
    # The filesystem broker of local development has no queue lengths to read.
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        pipeline = client.pipeline(transaction=False)
        for queue in settings.CELERY_QUEUE_NAMES:
            for step in _KOMBU_PRIORITY_STEPS:
                key = queue if step == 0 else f"{queue}{_KOMBU_PRIORITY_SEPARATOR}{step}"
                pipeline.llen(key)
        lengths = iter(pipeline.execute())
    finally:
        client.close()
    depth = GaugeMetricFamily(
        "aihub_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"]
    )
    for queue in settings.CELERY_QUEUE_NAMES:
        depth.add_metric([queue], sum(next(lengths) for _ in _KOMBU_PRIORITY_STEPS))
    yield depth


_EVENT_HASHES = [
    events.HTTP_RESPONSES,
    *events.histogram_hashes(events.HTTP_DURATION),
    events.FETCH_OUTCOMES,
    *events.histogram_hashes(events.FETCH_DURATION),
    events.TASK_RUNS,
    events.TASK_SECONDS,
    events.TASK_FAILURES,
    events.TELEGRAM_SENT,
    events.TELEGRAM_RATE_LIMITED,
    events.WORKER_SEEN,
    events.BEAT_DISPATCH,
]

FETCH_OUTCOMES = ("success", "not_modified", "error")
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


def _labelled(
    family: CounterMetricFamily | GaugeMetricFamily,
    values: dict[tuple[str, ...], float],
    *,
    always: Iterable[str] = (),
) -> CounterMetricFamily | GaugeMetricFamily:
    # Known label values are always exported, at 0 before the first event, so
    # alert expressions never meet an empty series.
    merged: dict[tuple[str, ...], float] = {(value,): 0.0 for value in always}
    merged.update(values)
    for labels, value in sorted(merged.items()):
        family.add_metric(list(labels), value)
    return family


def event_metrics() -> Iterator[Metric]:
    hashes = events.read_all(_EVENT_HASHES)

    yield _labelled(
        CounterMetricFamily(
            "aihub_http_responses", "Web responses, by status class.", labels=["status_class"]
        ),
        hashes[events.HTTP_RESPONSES],
        always=STATUS_CLASSES,
    )
    yield _histogram(
        "aihub_http_request_duration_seconds",
        "Time to answer a web request.",
        hashes,
        events.HTTP_DURATION,
        events.HTTP_BUCKETS,
    )
    yield _labelled(
        CounterMetricFamily("aihub_fetches", "Source fetches, by outcome.", labels=["outcome"]),
        hashes[events.FETCH_OUTCOMES],
        always=FETCH_OUTCOMES,
    )
    yield _histogram(
        "aihub_fetch_duration_seconds",
        "Time to fetch, parse and store one source.",
        hashes,
        events.FETCH_DURATION,
        events.FETCH_BUCKETS,
    )

    runtimes = SummaryMetricFamily(
        "aihub_task_runtime_seconds", "Celery task runs and their run time.", labels=["task"]
    )
    seconds = hashes[events.TASK_SECONDS]
    for labels, count in sorted(hashes[events.TASK_RUNS].items()):
        runtimes.add_metric(
            list(labels), count_value=int(count), sum_value=seconds.get(labels, 0.0)
        )
    yield runtimes
    yield _labelled(
        CounterMetricFamily("aihub_task_failures", "Celery task failures.", labels=["task"]),
        hashes[events.TASK_FAILURES],
    )

    yield CounterMetricFamily(
        "aihub_telegram_messages_sent",
        "Messages the Telegram sender delivered.",
        value=hashes[events.TELEGRAM_SENT].get((), 0.0),
    )
    yield CounterMetricFamily(
        "aihub_telegram_rate_limited",
        "429 (flood control) answers from Telegram.",
        value=hashes[events.TELEGRAM_RATE_LIMITED].get((), 0.0),
    )

    workers = GaugeMetricFamily(
        "aihub_worker_last_seen_timestamp_seconds",
        "When each Celery worker last reported itself alive (unix seconds).",
        labels=["worker"],
    )
    # A worker gone for a day was replaced (a new host name per container).
    forgotten_before = time.time() - 86400
    for labels, seen in sorted(hashes[events.WORKER_SEEN].items()):
        if seen >= forgotten_before:
            workers.add_metric(list(labels), seen)
    yield workers

    yield GaugeMetricFamily(
        "aihub_beat_last_dispatch_timestamp_seconds",
        "When celery beat last sent a task (unix seconds; 0 = never).",
        value=hashes[events.BEAT_DISPATCH].get((), 0.0),
    )


def _histogram(
    name: str,
    documentation: str,
    hashes: dict[str, dict[tuple[str, ...], float]],
    source: str,
    buckets: tuple[float, ...],
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation)
    samples = events.histogram_samples(hashes, source, buckets=buckets)
    if not samples:
        samples = [((), [*((str(float(b)), 0.0) for b in buckets), ("+Inf", 0.0)], 0.0)]
    for labels, cumulative, total in samples:
        family.add_metric(list(labels), cumulative, total)
    return family


def beat_heartbeat_metrics() -> Iterator[Metric]:
    from config.tasks import BEAT_HEARTBEAT_KEY

    ran_at = parse_datetime(cache.get(BEAT_HEARTBEAT_KEY) or "")
    yield GaugeMetricFamily(
        "aihub_beat_heartbeat_timestamp_seconds",
        "When a worker last ran beat's heartbeat task (unix seconds; 0 = never).",
        value=_timestamp(ran_at),
    )


SECTIONS: dict[str, Callable[[], Iterator[Metric]]] = {
    "database": database_metrics,
    "readiness": readiness_metrics,
    "queues": queue_metrics,
    "events": event_metrics,
    "beat_heartbeat": beat_heartbeat_metrics,
}


class ApplicationCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        errors = GaugeMetricFamily(
            "aihub_metrics_collection_errors",
            "1 for each section of /metrics that could not be collected on this scrape.",
            labels=["section"],
        )
        for name, section in SECTIONS.items():
            try:
                # Materialised first, so a section fails whole and never half-exported.
                collected = list(section())
            except Exception as error:  # the rest of the page is still worth serving
                logger.warning("metrics section %s failed: %s", name, type(error).__name__)
                errors.add_metric([name], 1)
                if name == "readiness":
                    yield GaugeMetricFamily("aihub_ready", "Readiness.", value=0)
                continue
            errors.add_metric([name], 0)
            yield from collected
        yield errors


def render_metrics() -> bytes:
    """The exposition page, from the cache when a recent scrape left one."""
    ttl = settings.METRICS_CACHE_SECONDS
    if ttl > 0:
        try:
            cached = cache.get(SCRAPE_CACHE_KEY)
        except Exception:  # Redis down: collect without the cache
            cached = None
        if isinstance(cached, bytes):
            return cached
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ApplicationCollector())
    page = generate_latest(registry)
    if ttl > 0:
        # The page is served even when it cannot be cached.
        with contextlib.suppress(Exception):
            cache.set(SCRAPE_CACHE_KEY, page, timeout=ttl)
    return page
