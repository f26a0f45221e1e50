"""Sending queued webhook deliveries: claimed once, signed, retried, and given up.

1. Claiming. webhook_delivery_send claims a delivery with a conditional UPDATE on
   that one row (open, due, and not held by a live lease), which changes it for
   exactly one worker. The lease outlasts the request's deadline; a worker that
   dies mid-send leaves it to run out, and the sweep hands the delivery out again.
   The receiver may therefore see a delivery twice (at-least-once): X-Webhook-Id
   stays the same across attempts so that it can drop repeats.
2. Retrying. A failed attempt (no 2xx in time, no answer, a redirect) is retried
   after RETRY_DELAYS with jitter, until WEBHOOK_MAX_ATTEMPTS; then it is given
   up. A target refused by the network policy is given up at once. A ping is
   tried once and never counts for or against its endpoint.
3. Disabling. consecutive_failures counts deliveries given up in a row; any
   delivery that succeeds resets it. At WEBHOOK_DISABLE_AFTER the endpoint is
   disabled with the reason shown to its owner, and its open deliveries are
   given up. Counting given-up deliveries rather than failed attempts means a
   receiver that is down for an hour, however busy, is not disabled: each
   given-up delivery stands for about 14 hours of failures.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from webhooks import signing
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.transport import (
    WebhookSender,
    WebhookSendError,
    WebhookTargetRefusedError,
    sender_from_settings,
)

logger = logging.getLogger(__name__)

# After attempt n fails, the next comes RETRY_DELAYS[n - 1] later (the last repeats).
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
# Each delay is stretched or shrunk by up to this share, so retries after an
# outage do not all arrive in the same second.
JITTER = 0.2
DISPATCH_BATCH = 500
DELIVERY_RETENTION = timedelta(days=30)
ERROR_LENGTH = 300


def retry_delay(
    *, attempts: int, retry_after: float | None = None, rng: random.Random | None = None
) -> timedelta:
    """How long after failed attempt number ``attempts`` the next one comes:
    RETRY_DELAYS with ±JITTER, never sooner than the receiver's Retry-After
    (which is believed up to the longest delay)."""
    base = RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]
    # Not for security: spreading retries out needs no unpredictable numbers.
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    delay = base * factor
    if retry_after:
        delay = max(delay, min(timedelta(seconds=retry_after), RETRY_DELAYS[-1]))
    return delay


def delivery_lease() -> timedelta:
    # Longer than any request can take (WEBHOOK_TIMEOUT is its whole deadline).
    return timedelta(seconds=3 * float(settings.WEBHOOK_TIMEOUT) + 30)


def webhook_delivery_claim(*, delivery_id: int, now: datetime) -> datetime | None:
    """Claim one delivery for this worker: returns the lease's end, or None when it
    is not due, finished, or held by another worker's live lease. A conditional
    UPDATE of that one row, so exactly one of two racing workers wins."""
    lease_until = now + delivery_lease()
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
            next_attempt_at__lte=now,
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=lease_until, attempts=F("attempts") + 1)
    )
    return lease_until if claimed == 1 else None


def delivery_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def delivery_headers(*, delivery: WebhookDelivery, secret: str, body: bytes) -> dict[str, str]:
    timestamp, signature = signing.sign(secret=secret, body=body)
    return {
        "X-Webhook-Id": delivery.event_id,
        "X-Webhook-Event": delivery.event,
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": signature,
        "X-Webhook-Attempt": str(delivery.attempts),
    }


@dataclass(frozen=True)
class SendOutcome:
    status: str  # succeeded | failed | given_up | not_claimed | skipped
    error: str = ""


def webhook_delivery_send(
    *, delivery_id: int, now: datetime, sender: WebhookSender | None = None
) -> SendOutcome:
    """Claim, sign and POST one delivery, and record what happened (see the module
    docstring for claims, retries and disabling). Safe to call twice: the second
    call finds the delivery claimed or finished."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return SendOutcome("not_claimed")
    is_ping = delivery.event == WebhookEvent.PING
    if not is_ping and not delivery.endpoint.receives:
        # Waits for the endpoint to be enabled; the sweep does not hand it out meanwhile.
        return SendOutcome("skipped")
    lease_until = webhook_delivery_claim(delivery_id=delivery_id, now=now)
    if lease_until is None:
        return SendOutcome("not_claimed")
    delivery.attempts += 1
    body = delivery_body(delivery.payload)
    headers = delivery_headers(delivery=delivery, secret=delivery.endpoint.secret, body=body)
    own_sender = sender is None
    sender = sender or sender_from_settings()
    error = ""
    status_code: int | None = None
    duration_ms: int | None = None
    retry_after: float | None = None
    permanent = False
    try:
        response = sender.post(delivery.endpoint.url, body=body, headers=headers)
    except WebhookTargetRefusedError as refused:
        error, permanent = str(refused), True
    except WebhookSendError as failure:
        error = str(failure)
    else:
        status_code, duration_ms = response.status, response.duration_ms
        retry_after = response.retry_after
        if not response.ok:
            error = f"HTTP {response.status}"
            if 300 <= response.status < 400:
                error += " (redirects are not followed)"
    finally:
        if own_sender:
            sender.close()
    finished = timezone.now()
    if not error:
        _record_success(
            delivery,
            lease_until=lease_until,
            status_code=status_code,
            duration_ms=duration_ms,
            now=finished,
            count=not is_ping,
        )
        return SendOutcome("succeeded")
    max_attempts = 1 if is_ping else int(settings.WEBHOOK_MAX_ATTEMPTS)
    give_up = permanent or delivery.attempts >= max_attempts
    _record_failure(
        delivery,
        lease_until=lease_until,
        status_code=status_code,
        duration_ms=duration_ms,
        error=error,
        next_attempt_at=None
        if give_up
        else finished + retry_delay(attempts=delivery.attempts, retry_after=retry_after),
        now=finished,
        count=not is_ping,
    )
    logger.info("webhook delivery %s failed: %s", delivery.pk, error)
    return SendOutcome("given_up" if give_up else "failed", error=error)


def _record_success(
    delivery: WebhookDelivery,
    *,
    lease_until: datetime,
    status_code: int | None,
    duration_ms: int | None,
    now: datetime,
    count: bool,
) -> None:
    with transaction.atomic():
        # Only the holder of this lease records: a worker that outlived it lost the delivery.
        written = WebhookDelivery.objects.filter(pk=delivery.pk, claimed_until=lease_until).update(
            status=WebhookDelivery.Status.SUCCEEDED,
            claimed_until=None,
            delivered_at=now,
            last_status_code=status_code,
            last_error="",
            duration_ms=duration_ms,
        )
        if written and count:
            WebhookEndpoint.objects.filter(
                pk=delivery.endpoint_id, consecutive_failures__gt=0
            ).update(consecutive_failures=0)


def _record_failure(
    delivery: WebhookDelivery,
    *,
    lease_until: datetime,
    status_code: int | None,
    duration_ms: int | None,
    error: str,
    next_attempt_at: datetime | None,
    now: datetime,
    count: bool,
) -> None:
    give_up = next_attempt_at is None
    with transaction.atomic():
        written = WebhookDelivery.objects.filter(pk=delivery.pk, claimed_until=lease_until).update(
            status=WebhookDelivery.Status.GIVEN_UP if give_up else WebhookDelivery.Status.FAILED,
            claimed_until=None,
            next_attempt_at=next_attempt_at or now,
            last_status_code=status_code,
            last_error=error[:ERROR_LENGTH],
            duration_ms=duration_ms,
        )
        if written and give_up and count:
            _count_given_up(endpoint_id=delivery.endpoint_id, error=error, now=now)


def _count_given_up(*, endpoint_id: int, error: str, now: datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    limit = int(settings.WEBHOOK_DISABLE_AFTER)
    # A conditional UPDATE: of two workers crossing the limit together, one disables.
    disabled = WebhookEndpoint.objects.filter(
        pk=endpoint_id, disabled_at__isnull=True, consecutive_failures__gte=limit
    ).update(
        disabled_at=now,
        disabled_reason=(
            f"{limit} deliveries in a row failed after every retry. Last error: {error}"
        )[:ERROR_LENGTH],
    )
    if disabled:
        WebhookDelivery.objects.filter(
            endpoint_id=endpoint_id,
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
            claimed_until__isnull=True,
        ).update(
            status=WebhookDelivery.Status.GIVEN_UP,
            last_error="Not sent: the endpoint was disabled.",
        )
        logger.warning("webhook endpoint %s disabled after %s failures", endpoint_id, limit)


def webhook_deliveries_purge(*, now: datetime) -> int:
    """Delete finished deliveries older than DELIVERY_RETENTION."""
    deleted, _ = WebhookDelivery.objects.filter(
        status__in=[WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.GIVEN_UP],
        created_at__lt=now - DELIVERY_RETENTION,
    ).delete()
    return deleted
