"""Reads for the notification centre: one user's notifications and their unread count.

Every read takes the user and filters by it, so a notification id from a URL
never reaches someone else's row.
"""

from __future__ import annotations

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from accounts.models import User
from digests.models import Notification

PAGE_SIZE = 25
# The bell polls every minute from every open tab; writes forget the cached
# count (digests.notifications), so this only bounds how stale a missed one is.
UNREAD_COUNT_TTL = 300


def unread_count_cache_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def notifications_unread_count(*, user_id: int) -> int:
    """The user's unread notifications: one COUNT on a partial index, or the cache."""
    key = unread_count_cache_key(user_id)
    cached = cache.get(key)
    if isinstance(cached, int):
        return cached
    count = Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()
    cache.set(key, count, UNREAD_COUNT_TTL)
    return count


def notifications_for_user(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    rows = Notification.objects.filter(user=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.select_related("item", "company").order_by("-created_at", "-pk")


def notifications_page(
    *, user: User, unread_only: bool, page_number: str | int | None
) -> Page[Notification]:
    """A page of the user's notifications, newest first; a bad page number gives
    the nearest real page rather than an error."""
    paginator = Paginator(notifications_for_user(user=user, unread_only=unread_only), PAGE_SIZE)
    return paginator.get_page(page_number)


def notification_for_user(*, user: User, notification_id: int) -> Notification | None:
    return (
        Notification.objects.filter(user=user, pk=notification_id)
        .select_related("item", "company")
        .first()
    )
