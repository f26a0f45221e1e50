"""Scheduled alert checks: category trends, busy companies, and the purge of old
read alerts. Idempotent per UTC day through the notification keys."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime

from django.db.models import Count
from django.utils import translation
from django.utils.translation import gettext, ngettext

from accounts.models import Preferences
from digests.models import Notification
from digests.notifications import (
    CATEGORY_TREND_THRESHOLD,
    COMPANY_ACTIVE_THRESHOLD,
    READ_RETENTION,
    TREND_WINDOW,
    alert_language,
    alerting_preferences,
    forget_unread_counts,
    priority_rank,
)
from news.categories import category_label
from news.models import NewsItem

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- scheduled checks


def notifications_check_trends(*, now: datetime) -> int:
    """Category trends and busy companies over the 24 hours before `now`; returns
    how many notifications were inserted.

    Idempotent per UTC day: the keys are "trend:<category>:<day>" and
    "active:<company id>:<day>", so the checks may run as often as wanted.
    Six queries at most, whatever the number of users.
    """
    since = now - TREND_WINDOW
    day = now.astimezone(UTC).date().isoformat()
    recent = NewsItem.objects.filter(published_at__gte=since, published_at__lte=now).order_by()
    trends = dict(
        recent.exclude(category="")
        .values("category")
        .annotate(count=Count("id"))
        .filter(count__gte=CATEGORY_TREND_THRESHOLD)
        .values_list("category", "count")
    )
    busy = {
        company_id: (name, count)
        for company_id, name, count in recent.filter(company__isnull=False)
        .values("company_id", "company__name")
        .annotate(count=Count("id"))
        .filter(count__gte=COMPANY_ACTIVE_THRESHOLD)
        .values_list("company_id", "company__name", "count")
    }
    if not trends and not busy:
        return 0
    candidates = alerting_preferences().filter(notify_category_trends=True)
    subscribers = list(
        candidates.order_by("user__language", "user_id").values_list(
            "id", "user_id", "user__language", "notify_min_priority", "categories"
        )
    )
    tracked: dict[int, set[int]] = defaultdict(set)
    if busy and subscribers:
        for preferences_id, company_id in Preferences.tracked_companies.through.objects.filter(
            company_id__in=list(busy), preferences__in=candidates
        ).values_list("preferences_id", "company_id"):
            tracked[preferences_id].add(company_id)
    trend_keys = {category: f"trend:{category}:{day}" for category in trends}
    busy_keys = {company_id: f"active:{company_id}:{day}" for company_id in busy}
    already = set(
        Notification.objects.filter(
            user__in=candidates.values("user_id"),
            dedupe_key__in=[*trend_keys.values(), *busy_keys.values()],
        ).values_list("user_id", "dedupe_key")
    )
    rows: list[Notification] = []
    for preferences_id, user_id, language, min_priority, categories in subscribers:
        chosen = set(categories) if isinstance(categories, list) else set()
        with translation.override(alert_language(language)):
            for category, count in trends.items():
                level = _trend_level(count, CATEGORY_TREND_THRESHOLD)
                if (
                    (chosen and category not in chosen)
                    or priority_rank(level) < priority_rank(min_priority)
                    or (user_id, trend_keys[category]) in already
                ):
                    continue
                rows.append(
                    _category_trend(user_id, category, count, level=level, key=trend_keys[category])
                )
            for company_id in tracked[preferences_id]:
                name, count = busy[company_id]
                level = _trend_level(count, COMPANY_ACTIVE_THRESHOLD)
                if (
                    priority_rank(level) < priority_rank(min_priority)
                    or (user_id, busy_keys[company_id]) in already
                ):
                    continue
                rows.append(
                    _company_active(
                        user_id, company_id, name, count, level=level, key=busy_keys[company_id]
                    )
                )
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    forget_unread_counts(row.user_id for row in rows)
    return len(rows)


def _trend_level(count: int, threshold: int) -> str:
    """Twice the threshold is news in itself; just past it is worth a look."""
    return "high" if count >= 2 * threshold else "medium"


def _category_trend(
    user_id: int, category: str, count: int, *, level: str, key: str
) -> Notification:
    label = category_label(category)
    return Notification(
        user_id=user_id,
        type=Notification.Type.CATEGORY_TREND,
        priority=level,
        title=ngettext(
            "%(category)s is trending: %(count)d item in 24 hours",
            "%(category)s is trending: %(count)d items in 24 hours",
            count,
        )
        % {"category": label, "count": count},
        body=gettext("More news than usual in this category today."),
        category=category,
        dedupe_key=key,
    )


def _company_active(
    user_id: int, company_id: int, name: str, count: int, *, level: str, key: str
) -> Notification:
    return Notification(
        user_id=user_id,
        type=Notification.Type.COMPANY_ACTIVE,
        priority=level,
        title=ngettext(
            "%(company)s is busy: %(count)d item in 24 hours",
            "%(company)s is busy: %(count)d items in 24 hours",
            count,
        )
        % {"company": name, "count": count},
        body=gettext("A company you track published more than usual today."),
        company_id=company_id,
        dedupe_key=key,
    )


def notifications_purge(*, now: datetime) -> int:
    """Delete read notifications older than 30 days; unread ones stay whatever their age."""
    deleted, _ = Notification.objects.filter(
        read_at__isnull=False, created_at__lt=now - READ_RETENTION
    ).delete()
    return deleted
