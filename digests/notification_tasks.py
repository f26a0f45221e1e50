"""Celery tasks for alerts; each calls one service in digests.notifications.

digests/tasks.py imports this module so that the worker registers them.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from digests import notification_checks, notification_push, notifications


# Idempotent: the unique keys make a redelivered batch insert nothing.
@shared_task(
    name="digests.notifications_for_items",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def notifications_for_items(item_ids: list[int]) -> int:
    return notifications.notifications_create_for_items(item_ids=item_ids)


# Idempotent per UTC day (see notifications_check_trends).
@shared_task(name="digests.check_trends", ignore_result=True, acks_late=True)
def check_trends() -> int:
    return notification_checks.notifications_check_trends(now=timezone.now())


# Not acks_late: a redelivery after a crash could repeat the alert that was in
# flight, and the next beat picks up whatever this run left anyway.
@shared_task(name="digests.push_notifications", ignore_result=True)
def push_notifications() -> int:
    return notification_push.notifications_push(now=timezone.now())


# Idempotent: deleting what is already gone deletes nothing.
@shared_task(name="digests.purge_notifications", ignore_result=True, acks_late=True)
def purge_notifications() -> int:
    return notification_checks.notifications_purge(now=timezone.now())
