"""Celery tasks for digests. Each takes ids and calls one service.

Digest work is idempotent by construction (see digests.services), so every
task may run twice: a redelivered build finds its digest built, a redelivered
send loses its claim.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from digests import channel_digest as channel
from digests import services

# Celery registers the alert tasks when this module is imported.
from digests.notification_tasks import *  # noqa: F403


@shared_task(name="digests.dispatch_due", ignore_result=True)
def dispatch_due() -> int:
    """The one beat entry for every user's digest: claim what is due, hand it to
    workers, and hand out again what a lost task left behind."""
    now = timezone.now()
    services.digests_schedule_missing(now=now)
    due = 0
    while True:
        claim = services.digests_claim_due(now=now)
        due += claim.due
        for digest_id in claim.digest_ids:
            digest_build_task.delay(digest_id)
        if claim.due < services.CLAIM_BATCH:
            break
    stale = services.digests_stale_work(now=now)
    for digest_id in stale.digest_ids:
        digest_build_task.delay(digest_id)
    for delivery_id in stale.delivery_ids:
        delivery_send_task.delay(delivery_id)
    return due


@shared_task(name="digests.digest_build", ignore_result=True, acks_late=True)
def digest_build_task(digest_id: int) -> None:
    built = services.digest_build(digest_id=digest_id, now=timezone.now())
    for delivery_id in built.delivery_ids if built else []:
        delivery_send_task.delay(delivery_id)


# A transient failure is not retried here: the delivery records its next attempt
# (exponential backoff) and dispatch_due hands it out again when that comes.
@shared_task(name="digests.delivery_send", ignore_result=True, acks_late=True)
def delivery_send_task(delivery_id: int) -> str:
    return services.delivery_send(delivery_id=delivery_id, now=timezone.now()).status


@shared_task(name="digests.channel_digest", ignore_result=True)
def channel_digest() -> str:
    return channel.channel_digest_run(now=timezone.now())
