"""Alerts: notifications created from newly analysed items and from scheduled
checks, pushed to Telegram, and changed by their owner in the web app.

Idempotency lives in Notification's unique keys, (user, dedupe_key) and
(user, item, type): every insert is ON CONFLICT DO NOTHING, so a redelivered
task or a second beat creates nothing twice. Creation reads what it needs in a
fixed number of queries per batch and matches in Python, whatever the number of
users and items.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext

from accounts.models import NotificationFrequency, Preferences, User
from digests.models import Notification
from digests.notification_selectors import unread_count_cache_key
from news.categories import Category, category_label
from news.models import NewsItem
from news.priority import priority_level
from webhooks.services import webhooks_enqueue_news_created, webhooks_enqueue_news_matched

logger = logging.getLogger(__name__)

# Items first seen now but published long before (a new source's back catalogue)
# are old news: they reach the web and digests, not alerts.
ALERT_MAX_AGE = timedelta(days=3)
TREND_WINDOW = timedelta(hours=24)
CATEGORY_TREND_THRESHOLD = 5
COMPANY_ACTIVE_THRESHOLD = 3
READ_RETENTION = timedelta(days=30)

# Realtime users get at most this many alerts per run, in one message where they
# fit; the rest go out on the next run, oldest first.
PUSH_BATCH = 10
# Older unsent alerts are still on the web; Telegram gets only recent ones.
REALTIME_PUSH_WINDOW = timedelta(hours=24)
SUMMARY_PERIODS = {
    NotificationFrequency.DAILY.value: timedelta(days=1),
    NotificationFrequency.WEEKLY.value: timedelta(days=7),
}
# A summary lists this many alerts and counts the rest; it covers at most
# SUMMARY_LOCK_LIMIT of them, the rest staying unsent on the web.
SUMMARY_SHOWN = 10
SUMMARY_LOCK_LIMIT = 500
# After a permanent error (the bot was blocked, the chat is gone) a user's
# alerts are not tried again for this long.
PUSH_PAUSE = timedelta(hours=24)

PRIORITY_RANK = {"low": 0, "medium": 1, "high": 2}

CATEGORY_TYPES: dict[str, Notification.Type] = {
    Category.PRICING_CHANGE: Notification.Type.PRICING_CHANGE,
    Category.FUNDING_NEWS: Notification.Type.FUNDING_ANNOUNCEMENT,
    Category.PRODUCT_UPDATE: Notification.Type.PRODUCT_LAUNCH,
    Category.MODEL_RELEASE: Notification.Type.PRODUCT_LAUNCH,
    Category.ACQUISITION: Notification.Type.COMPETITOR_MILESTONE,
    Category.PARTNERSHIP: Notification.Type.COMPETITOR_MILESTONE,
    Category.STRATEGIC_ANNOUNCEMENT: Notification.Type.COMPETITOR_MILESTONE,
}


def notification_type_for_category(category: str | None) -> Notification.Type:
    return CATEGORY_TYPES.get(category or "", Notification.Type.NEW_NEWS)


def item_dedupe_key(item_id: int, notification_type: str) -> str:
    return f"item:{item_id}:{notification_type}"


def alert_language(value: str) -> str:
    return value or settings.LANGUAGE_CODE


def priority_rank(level: str) -> int:
    return PRIORITY_RANK.get(level, PRIORITY_RANK["medium"])


def levels_up_to(level: str) -> list[str]:
    """The minimum-priority settings an alert of `level` satisfies."""
    return [name for name, rank in PRIORITY_RANK.items() if rank <= priority_rank(level)]


def forget_unread_counts(user_ids: Iterable[int]) -> None:
    # Forgotten now and again after commit: a bell read between the two would
    # otherwise cache the count from before this transaction.
    keys = [unread_count_cache_key(user_id) for user_id in set(user_ids)]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def alerting_preferences() -> QuerySet[Preferences]:
    return Preferences.objects.filter(notify_enabled=True, user__is_active=True).exclude(
        notification_frequency=NotificationFrequency.NEVER
    )


# ---------------------------------------------------------------- keywords


@dataclass(frozen=True)
class KeywordMatcher:
    """Whole-word, case-insensitive matching of many keywords against many texts."""

    patterns: dict[str, re.Pattern[str]]

    @classmethod
    def build(cls, keywords: Iterable[str]) -> KeywordMatcher:
        return cls({keyword: keyword_pattern(keyword) for keyword in set(keywords)})

    def matches(self, text: str) -> frozenset[str]:
        return frozenset(k for k, pattern in self.patterns.items() if pattern.search(text))


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    # \b would fail beside non-word characters ("c++", ".net"), so the edges are
    # "no word character here" instead; inner spaces match any whitespace.
    words = [re.escape(word) for word in keyword.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def _clean_keywords(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(k.strip().lower() for k in value if isinstance(k, str) and k.strip())


# ---------------------------------------------------------------- items


@dataclass(frozen=True)
class _Item:
    id: int
    title: str
    text: str
    category: str
    level: str
    # (company id, name), the item's own company first, then those it mentions.
    companies: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class _Subscriber:
    user_id: int
    language: str
    min_priority: str
    company_alerts: bool
    keyword_alerts: bool
    keywords: tuple[str, ...]
    tracked: frozenset[int]


def _load_items(*, item_ids: Sequence[int], since: datetime) -> list[_Item]:
    """Two queries: the items with their company, then the companies they mention."""
    rows = list(
        NewsItem.objects.filter(
            id__in=list(item_ids), analysed_at__isnull=False, published_at__gte=since
        )
        .order_by("id")
        .values_list(
            "id", "title", "summary", "category", "priority_score", "company_id", "company__name"
        )
    )
    if not rows:
        return []
    mentioned: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for item_id, company_id, name in (
        NewsItem.mentioned_companies.through.objects.filter(newsitem_id__in=[r[0] for r in rows])
        .order_by("newsitem_id", "company_id")
        .values_list("newsitem_id", "company_id", "company__name")
    ):
        mentioned[item_id].append((company_id, name))
    items = []
    for item_id, title, summary, category, score, company_id, company_name in rows:
        companies = [(company_id, company_name)] if company_id else []
        companies += [pair for pair in mentioned[item_id] if pair[0] != company_id]
        items.append(
            _Item(
                id=item_id,
                title=title,
                text=f"{title}\n{summary}",
                category=category or "",
                level=priority_level(score or 0.0),
                companies=tuple(companies),
            )
        )
    return items


def _item_subscribers(*, company_ids: set[int], top_level: str) -> list[_Subscriber]:
    """Two queries: users who may want alerts for these items, then which of the
    items' companies each of them tracks."""
    through = Preferences.tracked_companies.through
    candidates = alerting_preferences().filter(notify_min_priority__in=levels_up_to(top_level))
    wanted = Q(notify_keyword_alerts=True) & ~Q(keywords=[])
    if company_ids:
        tracks_one = Exists(
            through.objects.filter(preferences_id=OuterRef("pk"), company_id__in=company_ids)
        )
        wanted |= Q(notify_company_alerts=True) & Q(tracks_one)
    rows = list(
        candidates.filter(wanted)
        .order_by("user__language", "user_id")
        .values_list(
            "id",
            "user_id",
            "user__language",
            "notify_min_priority",
            "notify_company_alerts",
            "notify_keyword_alerts",
            "keywords",
        )
    )
    if not rows:
        return []
    tracked: dict[int, set[int]] = defaultdict(set)
    if company_ids:
        for preferences_id, company_id in through.objects.filter(
            company_id__in=company_ids,
            preferences__in=candidates.filter(notify_company_alerts=True),
        ).values_list("preferences_id", "company_id"):
            tracked[preferences_id].add(company_id)
    return [
        _Subscriber(
            user_id=user_id,
            language=alert_language(language),
            min_priority=min_priority,
            company_alerts=company_alerts,
            keyword_alerts=keyword_alerts,
            keywords=_clean_keywords(keywords),
            tracked=frozenset(tracked[preferences_id]),
        )
        for (
            preferences_id,
            user_id,
            language,
            min_priority,
            company_alerts,
            keyword_alerts,
            keywords,
        ) in rows
    ]


def _item_alert(
    subscriber: _Subscriber, item: _Item, matched_keywords: frozenset[str]
) -> Notification | None:
    """The one alert `item` gives `subscriber`, if any: news from a tracked company
    says more than a keyword, so it wins when both match."""
    if priority_rank(item.level) < priority_rank(subscriber.min_priority):
        return None
    if subscriber.company_alerts:
        for company_id, name in item.companies:
            if company_id in subscriber.tracked:
                kind = notification_type_for_category(item.category)
                return _item_notification(
                    subscriber,
                    item,
                    kind=kind,
                    company_id=company_id,
                    title=f"{name}: {item.title}",
                    body=gettext("News from %(company)s, a company you track: %(category)s.")
                    % {"company": name, "category": category_label(item.category)},
                )
    if subscriber.keyword_alerts:
        keyword = next((k for k in subscriber.keywords if k in matched_keywords), None)
        if keyword is not None:
            first_id, first_name = item.companies[0] if item.companies else (None, "")
            return _item_notification(
                subscriber,
                item,
                kind=Notification.Type.KEYWORD_MATCH,
                company_id=first_id,
                title=f"{first_name}: {item.title}" if first_name else item.title,
                body=gettext("Matches your keyword “%(keyword)s”.") % {"keyword": keyword},
            )
    return None


def _item_notification(
    subscriber: _Subscriber,
    item: _Item,
    *,
    kind: Notification.Type,
    company_id: int | None,
    title: str,
    body: str,
) -> Notification:
    return Notification(
        user_id=subscriber.user_id,
        type=kind,
        priority=item.level,
        title=Truncator(title).chars(500),
        body=body,
        item_id=item.id,
        company_id=company_id,
        category=item.category,
        dedupe_key=item_dedupe_key(item.id, kind),
    )


def notifications_create_for_items(*, item_ids: Sequence[int], now: datetime | None = None) -> int:
    """Create the alerts a batch of newly analysed items gives every user; returns
    how many were inserted.

    Idempotent: a user gets at most one alert per item (the key also holds the
    type, "item:<id>:<type>"), and items already alerted are skipped, so running
    a batch again creates nothing. Six queries per batch, whatever its size or
    the number of users.
    """
    if not item_ids:
        return 0
    webhooks_enqueue_news_created(item_ids=item_ids)
    now = now or timezone.now()
    items = _load_items(item_ids=item_ids, since=now - ALERT_MAX_AGE)
    if not items:
        return 0
    top_level = max((item.level for item in items), key=priority_rank)
    company_ids = {company_id for item in items for company_id, _ in item.companies}
    subscribers = _item_subscribers(company_ids=company_ids, top_level=top_level)
    if not subscribers:
        return 0
    already = set(
        Notification.objects.filter(item_id__in=[item.id for item in items]).values_list(
            "user_id", "item_id"
        )
    )
    matcher = KeywordMatcher.build(k for s in subscribers if s.keyword_alerts for k in s.keywords)
    matched = {item.id: matcher.matches(item.text) for item in items}
    rows: list[Notification] = []
    # Subscribers come sorted by language, so each language is switched to once.
    for language, group in _by_language(subscribers):
        with translation.override(language):
            for subscriber in group:
                for item in items:
                    if (subscriber.user_id, item.id) in already:
                        continue
                    alert = _item_alert(subscriber, item, matched[item.id])
                    if alert is not None:
                        rows.append(alert)
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    forget_unread_counts(row.user_id for row in rows)
    # After the alerts are written: news.matched webhooks follow them.
    webhooks_enqueue_news_matched(item_ids=item_ids)
    return len(rows)


def _by_language(subscribers: Sequence[_Subscriber]) -> list[tuple[str, list[_Subscriber]]]:
    groups: dict[str, list[_Subscriber]] = defaultdict(list)
    for subscriber in subscribers:
        groups[subscriber.language].append(subscriber)
    return list(groups.items())


# ---------------------------------------------------------------- the owner's changes


def notification_mark_read(*, user: User, notification_id: int, now: datetime) -> bool:
    """Mark one of the user's notifications read (keeping the first read time);
    False when the user has no such notification."""
    changed = Notification.objects.filter(user=user, pk=notification_id).update(
        read_at=Coalesce("read_at", now)
    )
    forget_unread_counts([user.pk])
    return changed == 1


def notifications_mark_all_read(*, user: User, now: datetime) -> int:
    changed = Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now)
    forget_unread_counts([user.pk])
    return changed


def notification_delete(*, user: User, notification_id: int) -> bool:
    """Delete one of the user's notifications; False when the user has no such one."""
    deleted, _ = Notification.objects.filter(user=user, pk=notification_id).delete()
    forget_unread_counts([user.pk])
    return deleted > 0
