"""GET /metrics: who may read it, and the numbers it reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from celery import shared_task
from celery.signals import beat_init, before_task_publish, worker_ready
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from competitors.models import Source
from competitors.tests.factories import SourceFactory
from config import health
from config.metrics import collectors, events, signals
from config.metrics.collectors import render_metrics
from config.tasks import beat_heartbeat
from digests.models import ChannelDigest, Delivery, Digest, Notification
from digests.tests.factories import DeliveryFactory, DigestFactory, NotificationFactory
from news.fetching import TransientFetchError
from news.services import source_refresh
from news.tests.factories import NewsItemFactory
from telegram_bot import sending
from telegram_bot.models import TelegramEvent

PUBLIC = "203.0.113.9"
TOKEN = "scrape-token-0123456789"


@pytest.fixture(autouse=True)
def _metrics_settings(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOW_PRIVATE_NETWORKS = True
    settings.METRICS_CACHE_SECONDS = 0
    settings.TRUSTED_PROXY_COUNT = 0


def samples(page: bytes | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = (page if page is not None else render_metrics()).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(name: str, **labels: str) -> float:
    return samples()[(name, tuple(sorted(labels.items())))]


# ---------------------------------------------------------------- access


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("remote_addr", "headers", "allow_private", "expected"),
    [
        (PUBLIC, {}, True, 404),
        (PUBLIC, {"HTTP_AUTHORIZATION": "Bearer wrong-token"}, True, 404),
        (PUBLIC, {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"}, True, 404),
        (PUBLIC, {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}, True, 200),
        (PUBLIC, {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}, False, 200),
        ("127.0.0.1", {}, True, 200),
        ("10.4.0.7", {}, True, 200),
        ("172.20.1.1", {}, True, 200),
        ("192.168.1.20", {}, True, 200),
        ("fd00::12", {}, True, 200),
        ("::ffff:10.0.0.5", {}, True, 200),
        ("172.32.0.1", {}, True, 404),
        ("10.4.0.7", {}, False, 404),
        ("127.0.0.1", {}, False, 404),
    ],
)
def test_access(client: Client, settings, remote_addr, headers, allow_private, expected) -> None:
    settings.METRICS_ALLOW_PRIVATE_NETWORKS = allow_private
    response = client.get("/metrics", REMOTE_ADDR=remote_addr, **headers)
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"].startswith("text/plain")
        assert b"aihub_ready" in response.content
    else:
        assert b"aihub_" not in response.content


@pytest.mark.django_db
def test_empty_token_turns_token_access_off(client: Client, settings) -> None:
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR=PUBLIC, HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404


@pytest.mark.django_db
def test_refusal_looks_like_any_missing_page(client: Client) -> None:
    refused = client.get("/metrics", REMOTE_ADDR=PUBLIC)
    missing = client.get("/no-such-page", REMOTE_ADDR=PUBLIC)
    assert refused.status_code == missing.status_code == 404
    assert refused["Content-Type"] == missing["Content-Type"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        # An undeclared proxy: its private address must not stand for the client.
        (0, PUBLIC, 404),
        (0, "10.0.0.5", 404),
        (1, PUBLIC, 404),
        (1, f"10.0.0.5, {PUBLIC}", 404),
        (1, "10.0.0.5", 200),
    ],
)
def test_private_network_honours_the_proxy_setup(
    client: Client, settings, proxies, forwarded_for, expected
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    response = client.get("/metrics", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert response.status_code == expected


@pytest.mark.django_db
def test_in_cluster_scrape_skips_host_check_and_https_redirect(client: Client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["hub.example.com"]
    scrape = client.get("/metrics", REMOTE_ADDR="10.0.0.2", HTTP_HOST="10.0.0.8:8000")
    assert scrape.status_code == 200
    # A refused one goes through the normal stack: host validation still applies.
    refused = client.get("/metrics", REMOTE_ADDR=PUBLIC, HTTP_HOST="10.0.0.8:8000")
    assert refused.status_code == 400


@pytest.mark.django_db
def test_other_methods_are_not_served(client: Client) -> None:
    assert client.post("/metrics").status_code == 405
    assert client.head("/metrics").status_code == 200


# ---------------------------------------------------------------- values from the database


@pytest.mark.django_db
def test_values_from_the_database() -> None:
    last_success = timezone.now().replace(microsecond=0) - timedelta(minutes=7)
    healthy = SourceFactory(status=Source.Status.ACTIVE, last_success_at=last_success)
    SourceFactory(status=Source.Status.ERROR, last_success_at=last_success - timedelta(days=1))
    SourceFactory(status=Source.Status.ERROR)
    NewsItemFactory.create_batch(2, source=healthy, source_type=Source.SourceType.BLOG)
    NewsItemFactory(source=healthy, source_type=Source.SourceType.GITHUB)

    DeliveryFactory(channel=Delivery.Channel.EMAIL, status=Delivery.Status.SENT)
    DeliveryFactory(channel=Delivery.Channel.EMAIL, status=Delivery.Status.FAILED)
    DeliveryFactory(channel=Delivery.Channel.TELEGRAM, status=Delivery.Status.FAILED)
    DeliveryFactory(channel=Delivery.Channel.TELEGRAM, status=Delivery.Status.PENDING)
    DigestFactory(built_at=None, status=Digest.Status.PENDING)
    ChannelDigest.objects.create(
        day=timezone.now().date(), channel_id="@news", status=ChannelDigest.Status.SENT
    )
    NotificationFactory.create_batch(2, type=Notification.Type.NEW_NEWS)
    NotificationFactory(
        type=Notification.Type.NEW_NEWS, created_at=timezone.now() - timedelta(hours=2)
    )

    found = samples()

    def get(name: str, **labels: str) -> float:
        return found[(name, tuple(sorted(labels.items())))]

    assert get("aihub_items_ingested_total", source_type="blog") == 2
    assert get("aihub_items_ingested_total", source_type="github") == 1
    assert get("aihub_sources", status="error") == 2
    assert get("aihub_sources", status="active") == 1
    assert get("aihub_sources", status="paused") == 0
    assert get("aihub_last_successful_ingestion_timestamp_seconds") == last_success.timestamp()
    # Four built with the deliveries (one each), the pending one not.
    assert get("aihub_digests_built_total", kind="scheduled") == 4
    assert get("aihub_digest_deliveries_total", channel="email", status="sent") == 1
    assert get("aihub_digest_deliveries_total", channel="email", status="failed") == 1
    assert get("aihub_digest_deliveries_total", channel="telegram", status="failed") == 1
    assert get("aihub_digest_deliveries_total", channel="telegram", status="sent") == 0
    assert get("aihub_digest_deliveries_open", channel="telegram", status="pending") == 1
    assert get("aihub_digest_deliveries_total", channel="telegram_channel", status="sent") == 1
    assert get("aihub_notifications_created_last_hour", type="new_news") == 2
    assert get("aihub_ready") == 1
    assert get("aihub_readiness_check", check="database") == 1
    assert get("aihub_metrics_collection_errors", section="database") == 0


@pytest.mark.django_db
def test_never_ingested_reports_zero() -> None:
    assert value("aihub_last_successful_ingestion_timestamp_seconds") == 0
    assert value("aihub_beat_last_dispatch_timestamp_seconds") == 0


@pytest.mark.django_db
def test_a_failing_readiness_check_is_reported(monkeypatch) -> None:
    def broken() -> None:
        raise ConnectionError("down")

    monkeypatch.setitem(health.READINESS_CHECKS, "broker", broken)
    assert value("aihub_ready") == 0
    assert value("aihub_readiness_check", check="broker") == 0
    assert value("aihub_readiness_check", check="database") == 1


@pytest.mark.django_db
def test_a_failing_section_does_not_take_the_page_down(monkeypatch) -> None:
    def broken():
        raise RuntimeError("database unreachable")
        yield  # pragma: no cover

    monkeypatch.setitem(collectors.SECTIONS, "database", broken)
    found = samples()
    assert found[("aihub_metrics_collection_errors", (("section", "database"),))] == 1
    assert ("aihub_ready", ()) in found
    assert not any(name == "aihub_sources" for name, _ in found)


@pytest.mark.django_db
def test_scrapes_are_cached(settings) -> None:
    settings.METRICS_CACHE_SECONDS = 10
    first = render_metrics()
    SourceFactory(status=Source.Status.ERROR)
    assert render_metrics() == first
    settings.METRICS_CACHE_SECONDS = 0
    assert value("aihub_sources", status="error") == 1


@pytest.mark.django_db
def test_queue_depth_from_the_broker(settings) -> None:
    import redis

    queue = "metrics-test-queue"
    settings.CELERY_QUEUE_NAMES = [queue]
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        client.delete(queue, f"{queue}\x06\x163")
        client.rpush(queue, "a", "b")
        client.rpush(f"{queue}\x06\x163", "c")
        assert value("aihub_queue_depth", queue=queue) == 3
    finally:
        client.delete(queue, f"{queue}\x06\x163")
        client.close()


# ---------------------------------------------------------------- events recorded in Redis


@pytest.mark.django_db
def test_web_responses_counted_by_status_class(client: Client) -> None:
    client.get("/no-such-page")
    client.get("/no-such-page")
    client.get("/accounts/login/")
    assert value("aihub_http_responses_total", status_class="4xx") == 2
    assert value("aihub_http_responses_total", status_class="2xx") == 1
    assert value("aihub_http_responses_total", status_class="5xx") == 0
    assert value("aihub_http_request_duration_seconds_count") == 3
    # Scrapes themselves are not counted.
    client.get("/metrics")
    assert value("aihub_http_request_duration_seconds_count") == 3


@shared_task(name="config.tests.metrics_failing_task")
def failing_task() -> None:
    raise ValueError("boom")


@pytest.mark.django_db
def test_task_runs_and_failures_counted() -> None:
    beat_heartbeat.delay()
    beat_heartbeat.delay()
    # As in a worker: the failure is recorded, not raised into the caller.
    result = failing_task.apply(throw=False)
    assert isinstance(result.result, ValueError)
    found = samples()
    runs = (("task", "config.tasks.beat_heartbeat"),)
    assert found[("aihub_task_runtime_seconds_count", runs)] == 2
    assert found[("aihub_task_runtime_seconds_sum", runs)] > 0
    failed = (("task", "config.tests.metrics_failing_task"),)
    assert found[("aihub_task_failures_total", failed)] == 1
    assert found[("aihub_task_runtime_seconds_count", failed)] == 1
    assert ("aihub_task_failures_total", runs) not in found
    # beat_heartbeat ran, so the heartbeat it writes is exported.
    assert found[("aihub_beat_heartbeat_timestamp_seconds", ())] > 0


@pytest.mark.django_db
def test_beat_dispatch_recorded_only_in_the_beat_process(monkeypatch) -> None:
    monkeypatch.setattr(signals, "_in_beat", False)
    before_task_publish.send(sender="news.dispatch_due_sources", headers={})
    assert value("aihub_beat_last_dispatch_timestamp_seconds") == 0

    before = timezone.now().timestamp()
    beat_init.send(sender=None)
    before_task_publish.send(sender="news.dispatch_due_sources", headers={})
    assert value("aihub_beat_last_dispatch_timestamp_seconds") >= before


@dataclass(frozen=True)
class FakeConsumer:
    hostname: str


@pytest.mark.django_db
def test_worker_liveness() -> None:
    before = timezone.now().timestamp()
    worker_ready.send(sender=FakeConsumer(hostname="celery@worker-1"))
    assert value("aihub_worker_last_seen_timestamp_seconds", worker="celery@worker-1") >= before


class FailingFetcher:
    def fetch(self, url: str, **_: object) -> object:
        raise TransientFetchError("timed out", url=url)


@pytest.mark.django_db
def test_fetch_outcomes_from_source_refresh() -> None:
    source = SourceFactory.create()
    source_refresh(source_id=source.pk, fetcher=FailingFetcher())  # type: ignore[arg-type]
    events.source_refresh_recorded(error="", not_modified=True, started=timezone.now())
    assert value("aihub_fetches_total", outcome="error") == 1
    assert value("aihub_fetches_total", outcome="not_modified") == 1
    assert value("aihub_fetches_total", outcome="success") == 0
    assert value("aihub_fetch_duration_seconds_count") == 2
    assert value("aihub_fetch_duration_seconds_bucket", le="+Inf") == 2


@pytest.mark.django_db
def test_telegram_sends_and_429s() -> None:
    incidents = sending._Incidents(
        events=[
            (TelegramEvent.Kind.RETRY_AFTER, "retry after 3 s"),
            (TelegramEvent.Kind.PLAIN_TEXT_FALLBACK, "can't parse entities"),
        ],
        sent=3,
    )
    sending._record(chat_id=42, incidents=incidents)
    assert value("aihub_telegram_messages_sent_total") == 3
    assert value("aihub_telegram_rate_limited_total") == 1


def test_histogram_buckets_are_cumulative() -> None:
    hashes: dict[str, dict[tuple[str, ...], float]] = {
        "h:bucket": {("0",): 1.0, ("2",): 2.0},
        "h:sum": {(): 4.5},
        "h:count": {(): 4.0},
    }
    [(labels, cumulative, total)] = events.histogram_samples(hashes, "h", buckets=(1, 2, 5))
    assert labels == ()
    assert cumulative == [("1.0", 1.0), ("2.0", 1.0), ("5.0", 3.0), ("+Inf", 4.0)]
    assert total == 4.5
