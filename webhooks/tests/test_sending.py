import json
import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from webhooks import selectors, sending, services, tasks
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.tests.receiver import Answer

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def send(delivery, *, now=None):
    return sending.webhook_delivery_send(delivery_id=delivery.pk, now=now or timezone.now())


# ---------------------------------------------------------------- sending


def test_a_2xx_answer_is_a_success(reachable):
    reachable.replies = [Answer(status=204)]
    endpoint = WebhookEndpointFactory(url=reachable.url(), consecutive_failures=3)
    delivery = WebhookDeliveryFactory(endpoint=endpoint)

    assert send(delivery).status == "succeeded"

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (1, 204, "")
    assert delivery.delivered_at is not None
    assert delivery.duration_ms is not None
    assert delivery.claimed_until is None
    assert endpoint.consecutive_failures == 0
    (received,) = reachable.requests
    assert received.headers["x-webhook-attempt"] == "1"
    assert json.loads(received.body)["id"] == delivery.event_id


def test_a_failure_is_retried_with_backoff(reachable):
    reachable.replies = [Answer(status=500)]
    delivery = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=reachable.url()))

    before = timezone.now()
    outcome = send(delivery, now=before)

    delivery.refresh_from_db()
    assert outcome.status == "failed"
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert (delivery.attempts, delivery.last_status_code) == (1, 500)
    assert delivery.last_error == "HTTP 500"
    wait = delivery.next_attempt_at - before
    assert timedelta(seconds=47) <= wait <= timedelta(seconds=75)
    # Not due yet: a second send now does nothing.
    assert send(delivery, now=before).status == "not_claimed"
    assert len(reachable.requests) == 1


def test_the_next_attempt_succeeds_once_due(reachable):
    reachable.replies = [Answer(status=503), Answer(status=200)]
    delivery = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=reachable.url()))
    send(delivery)
    delivery.refresh_from_db()

    assert send(delivery, now=delivery.next_attempt_at).status == "succeeded"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.SUCCEEDED, 2)
    assert [r.headers["x-webhook-attempt"] for r in reachable.requests] == ["1", "2"]


@pytest.mark.parametrize(
    ("attempts", "minimum", "maximum"),
    [
        (1, timedelta(seconds=48), timedelta(seconds=72)),
        (2, timedelta(minutes=4), timedelta(minutes=6)),
        (3, timedelta(minutes=24), timedelta(minutes=36)),
        (4, timedelta(minutes=96), timedelta(minutes=144)),
        (5, timedelta(hours=9.6), timedelta(hours=14.4)),
        (9, timedelta(hours=9.6), timedelta(hours=14.4)),
    ],
)
def test_retry_delays_grow_with_jitter(attempts, minimum, maximum):
    rng = random.Random(attempts)
    delays = {sending.retry_delay(attempts=attempts, rng=rng) for _ in range(50)}
    assert all(minimum <= delay <= maximum for delay in delays)
    assert len(delays) > 1  # jittered, not one fixed value


def test_retry_after_is_respected_up_to_the_longest_delay():
    assert sending.retry_delay(attempts=1, retry_after=3600) == timedelta(hours=1)
    assert sending.retry_delay(attempts=1, retry_after=10 * 86400) == timedelta(hours=12)


def test_after_the_last_attempt_a_delivery_is_given_up(reachable, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    reachable.replies = [Answer(status=500)]
    endpoint = WebhookEndpointFactory(url=reachable.url())
    delivery = WebhookDeliveryFactory(endpoint=endpoint)

    statuses = []
    for _ in range(3):
        delivery.refresh_from_db()
        statuses.append(send(delivery, now=delivery.next_attempt_at).status)

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert statuses == ["failed", "failed", "given_up"]
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.GIVEN_UP, 3)
    assert endpoint.consecutive_failures == 1
    assert endpoint.disabled_at is None
    assert send(delivery, now=timezone.now() + timedelta(days=1)).status == "not_claimed"
    assert len(reachable.requests) == 3


def test_an_endpoint_is_disabled_after_deliveries_given_up_in_a_row(reachable, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_DISABLE_AFTER = 3
    reachable.replies = [Answer(status=500)]
    endpoint = WebhookEndpointFactory(url=reachable.url())
    failing = WebhookDeliveryFactory.create_batch(3, endpoint=endpoint)
    waiting = WebhookDeliveryFactory(endpoint=endpoint, next_attempt_at=NOW + timedelta(days=9))

    assert [send(delivery).status for delivery in failing[:2]] == ["given_up", "given_up"]
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.disabled_at) == (2, None)

    send(failing[2])

    endpoint.refresh_from_db()
    waiting.refresh_from_db()
    assert endpoint.consecutive_failures == 3
    assert endpoint.disabled_at is not None
    assert "3 deliveries in a row failed" in endpoint.disabled_reason
    assert "HTTP 500" in endpoint.disabled_reason
    assert waiting.status == WebhookDelivery.Status.GIVEN_UP
    assert "disabled" in waiting.last_error


def test_a_success_between_failures_resets_the_count(reachable, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_DISABLE_AFTER = 2
    reachable.replies = [Answer(status=500), Answer(status=200), Answer(status=500)]
    endpoint = WebhookEndpointFactory(url=reachable.url())
    for delivery in WebhookDeliveryFactory.create_batch(3, endpoint=endpoint):
        send(delivery)
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.disabled_at) == (1, None)


def test_a_disabled_endpoint_gets_nothing_but_pings(reachable):
    endpoint = WebhookEndpointFactory(url=reachable.url(), disabled_at=NOW)
    delivery = WebhookDeliveryFactory(endpoint=endpoint)

    assert send(delivery).status == "skipped"
    ping = services.webhook_ping_queue(endpoint=endpoint, now=timezone.now())
    assert send(ping).status == "succeeded"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PENDING, 0)
    (received,) = reachable.requests
    assert received.headers["x-webhook-event"] == "ping"
    assert json.loads(received.body)["data"]["endpoint_id"] == endpoint.pk


def test_a_failed_ping_is_tried_once_and_does_not_count(reachable):
    reachable.replies = [Answer(status=500)]
    endpoint = WebhookEndpointFactory(url=reachable.url())
    ping = services.webhook_ping_queue(endpoint=endpoint, now=timezone.now())

    assert send(ping).status == "given_up"

    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_the_ping_is_sent_after_commit(reachable, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(url=reachable.url())
    with django_capture_on_commit_callbacks(execute=True):
        ping = services.webhook_ping_queue(endpoint=endpoint, now=timezone.now())
    ping.refresh_from_db()
    assert ping.status == WebhookDelivery.Status.SUCCEEDED


# ---------------------------------------------------------------- claiming


def test_a_delivery_is_claimed_once_until_its_lease_runs_out():
    delivery = WebhookDeliveryFactory(next_attempt_at=NOW)
    lease = sending.webhook_delivery_claim(delivery_id=delivery.pk, now=NOW)
    assert lease == NOW + sending.delivery_lease()
    assert sending.webhook_delivery_claim(delivery_id=delivery.pk, now=NOW) is None
    assert sending.webhook_delivery_claim(delivery_id=delivery.pk, now=lease) is None
    later = lease + timedelta(seconds=1)
    assert sending.webhook_delivery_claim(delivery_id=delivery.pk, now=later) is not None
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_a_worker_that_lost_its_lease_records_nothing(reachable):
    """The lease ran out mid-send and another worker claimed the delivery: the
    first worker's outcome must not overwrite the second's claim."""
    endpoint = WebhookEndpointFactory(url=reachable.url())
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    original = sending.webhook_delivery_claim

    def claim_then_lose(*, delivery_id, now):
        lease = original(delivery_id=delivery_id, now=now)
        WebhookDelivery.objects.filter(pk=delivery_id).update(claimed_until=lease + timedelta(1))
        return lease

    sending.webhook_delivery_claim = claim_then_lose
    try:
        send(delivery)
    finally:
        sending.webhook_delivery_claim = original
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.claimed_until is not None


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_one_delivery_twice(reachable):
    reachable.replies = [Answer(status=200, delay=0.2)]
    delivery = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=reachable.url()))
    barrier = threading.Barrier(4)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            outcomes.append(send(delivery).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["not_claimed"] * 3 + ["succeeded"]
    assert len(reachable.requests) == 1


# ---------------------------------------------------------------- the sweep


def test_the_sweep_finds_due_work_only():
    now = timezone.now()
    past = now - timedelta(minutes=1)
    due = WebhookDeliveryFactory(next_attempt_at=past - timedelta(minutes=1))
    retry = WebhookDeliveryFactory(status=WebhookDelivery.Status.FAILED, next_attempt_at=now)
    lost = WebhookDeliveryFactory(next_attempt_at=past, claimed_until=now - timedelta(seconds=1))
    WebhookDeliveryFactory(next_attempt_at=now + timedelta(minutes=1))
    WebhookDeliveryFactory(next_attempt_at=past, claimed_until=now + timedelta(minutes=1))
    WebhookDeliveryFactory(next_attempt_at=past, status=WebhookDelivery.Status.SUCCEEDED)
    WebhookDeliveryFactory(next_attempt_at=past, status=WebhookDelivery.Status.GIVEN_UP)
    disabled = WebhookEndpointFactory(disabled_at=now)
    WebhookDeliveryFactory(endpoint=disabled, next_attempt_at=past)
    ping = WebhookDeliveryFactory(
        endpoint=disabled, event=WebhookEvent.PING, event_id="ping:1", next_attempt_at=past
    )
    paused = WebhookEndpointFactory(is_active=False)
    WebhookDeliveryFactory(endpoint=paused, next_attempt_at=past)

    found = selectors.webhook_deliveries_due(now=now, limit=100)

    assert set(found) == {due.pk, retry.pk, lost.pk, ping.pk}
    assert selectors.webhook_deliveries_due(now=now, limit=2) == found[:2]


def test_the_sweep_task_sends_what_is_due(reachable):
    endpoint = WebhookEndpointFactory(url=reachable.url())
    WebhookDeliveryFactory.create_batch(3, endpoint=endpoint)
    assert tasks.deliver_due.delay().get() == 3
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 3
    assert len(reachable.requests) == 3
    assert tasks.deliver_due.delay().get() == 0


def test_old_finished_deliveries_are_purged():
    old = timezone.now() - sending.DELIVERY_RETENTION - timedelta(days=1)
    WebhookDeliveryFactory(status=WebhookDelivery.Status.SUCCEEDED, created_at=old)
    WebhookDeliveryFactory(status=WebhookDelivery.Status.GIVEN_UP, created_at=old)
    kept_open = WebhookDeliveryFactory(status=WebhookDelivery.Status.FAILED, created_at=old)
    kept_recent = WebhookDeliveryFactory(status=WebhookDelivery.Status.SUCCEEDED)

    assert sending.webhook_deliveries_purge(now=timezone.now()) == 2
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {
        kept_open.pk,
        kept_recent.pk,
    }
