"""Celery tasks for outbound webhooks; each takes ids and calls one service.

Every task may run twice: queueing inserts with ON CONFLICT DO NOTHING and a
send first claims its delivery (see webhooks.sending). Retries are not
Celery's: a failed send records its next attempt, and the periodic
deliver_due hands it out again when that comes.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from webhooks import selectors, sending, services


@shared_task(name="webhooks.queue_news_created", ignore_result=True, acks_late=True)
def queue_news_created(item_ids: list[int]) -> int:
    return services.webhook_deliveries_queue_news_created(item_ids=item_ids, now=timezone.now())


@shared_task(name="webhooks.queue_news_matched", ignore_result=True, acks_late=True)
def queue_news_matched(item_ids: list[int]) -> int:
    return services.webhook_deliveries_queue_news_matched(item_ids=item_ids, now=timezone.now())


@shared_task(name="webhooks.queue_digest_built", ignore_result=True, acks_late=True)
def queue_digest_built(digest_id: int) -> int:
    return services.webhook_deliveries_queue_digest_built(digest_id=digest_id, now=timezone.now())


# Not acks_late: a send redelivered after a crash finds its lease still held, and
# the sweep hands the delivery out again once the lease runs out.
@shared_task(name="webhooks.deliver", ignore_result=True)
def deliver(delivery_id: int) -> str:
    return sending.webhook_delivery_send(delivery_id=delivery_id, now=timezone.now()).status


@shared_task(name="webhooks.deliver_due", ignore_result=True)
def deliver_due() -> int:
    """The sweep: beat runs it every minute, and queueing runs it after commit.
    Two sweeps at once may hand out one delivery twice; only one send claims it."""
    due = selectors.webhook_deliveries_due(now=timezone.now(), limit=sending.DISPATCH_BATCH)
    for delivery_id in due:
        deliver.delay(delivery_id)
    return len(due)


@shared_task(name="webhooks.purge_deliveries", ignore_result=True, acks_late=True)
def purge_deliveries() -> int:
    return sending.webhook_deliveries_purge(now=timezone.now())
