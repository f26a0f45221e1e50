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
from datetime import UTC, datetime, timedelta
from html import escape

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from accounts.models import NotificationFrequency, Preferences, User
from digests.models import Notification
from digests.notification_selectors import unread_count_cache_key
from digests.notification_telegram import AlertLine, AlertMessage, render_alert_messages
from news.categories import Category, category_label
from news.models import NewsItem
from news.priority import priority_level
from telegram_bot.models import TelegramLink
from telegram_bot.sending import (
    PermanentSendError,
    SendError,
    TransientSendError,
    send_messages,
    telegram_configured,
)

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


def _language(value: str) -> str:
    return value or settings.LANGUAGE_CODE


def _rank(level: str) -> int:
    return PRIORITY_RANK.get(level, PRIORITY_RANK["medium"])


def _levels_up_to(level: str) -> list[str]:
    """The minimum-priority settings an alert of `level` satisfies."""
    return [name for name, rank in PRIORITY_RANK.items() if rank <= _rank(level)]


def _forget_unread_counts(user_ids: Iterable[int]) -> None:
    # Forgotten now and again after commit: a bell read between the two would
    # otherwise cache the count from before this transaction.
    keys = [unread_count_cache_key(user_id) for user_id in set(user_ids)]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def _alerting_preferences() -> QuerySet[Preferences]:
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
    candidates = _alerting_preferences().filter(notify_min_priority__in=_levels_up_to(top_level))
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
            language=_language(language),
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
    if _rank(item.level) < _rank(subscriber.min_priority):
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
    now = now or timezone.now()
    items = _load_items(item_ids=item_ids, since=now - ALERT_MAX_AGE)
    if not items:
        return 0
    top_level = max((item.level for item in items), key=_rank)
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
    _forget_unread_counts(row.user_id for row in rows)
    return len(rows)


def _by_language(subscribers: Sequence[_Subscriber]) -> list[tuple[str, list[_Subscriber]]]:
    groups: dict[str, list[_Subscriber]] = defaultdict(list)
    for subscriber in subscribers:
        groups[subscriber.language].append(subscriber)
    return list(groups.items())


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
    candidates = _alerting_preferences().filter(notify_category_trends=True)
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
        with translation.override(_language(language)):
            for category, count in trends.items():
                level = _trend_level(count, CATEGORY_TREND_THRESHOLD)
                if (
                    (chosen and category not in chosen)
                    or _rank(level) < _rank(min_priority)
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
                    _rank(level) < _rank(min_priority)
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
    _forget_unread_counts(row.user_id for row in rows)
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


# ---------------------------------------------------------------- the owner's changes


def notification_mark_read(*, user: User, notification_id: int, now: datetime) -> bool:
    """Mark one of the user's notifications read (keeping the first read time);
    False when the user has no such notification."""
    changed = Notification.objects.filter(user=user, pk=notification_id).update(
        read_at=Coalesce("read_at", now)
    )
    _forget_unread_counts([user.pk])
    return changed == 1


def notifications_mark_all_read(*, user: User, now: datetime) -> int:
    changed = Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now)
    _forget_unread_counts([user.pk])
    return changed


def notification_delete(*, user: User, notification_id: int) -> bool:
    """Delete one of the user's notifications; False when the user has no such one."""
    deleted, _ = Notification.objects.filter(user=user, pk=notification_id).delete()
    _forget_unread_counts([user.pk])
    return deleted > 0


# ---------------------------------------------------------------- Telegram


@dataclass(frozen=True)
class _PushTarget:
    user_id: int
    chat_id: int
    language: str
    frequency: str
    never_pushed: bool

    def window_start(self, now: datetime) -> datetime:
        """The oldest alert worth sending now. A summary reaches back two periods
        once the user has had one, so a late run misses nothing since the last;
        the very first reaches back one, leaving older alerts to the web."""
        if self.frequency not in SUMMARY_PERIODS:
            return now - REALTIME_PUSH_WINDOW
        period = SUMMARY_PERIODS[self.frequency]
        return now - period if self.never_pushed else now - 2 * period


def push_pause_cache_key(user_id: int) -> str:
    return f"notifications:push-paused:{user_id}"


def _unsent_since(since: datetime) -> Exists:
    return Exists(
        Notification.objects.filter(
            user_id=OuterRef("user_id"),
            pushed_at__isnull=True,
            read_at__isnull=True,
            created_at__gte=since,
        )
    )


def _push_targets(*, now: datetime) -> list[_PushTarget]:
    """One query: linked users with alerts due in Telegram now. Realtime users'
    are due at once; daily and weekly users' once their last push is a period old."""
    last_push = Subquery(
        Notification.objects.filter(user_id=OuterRef("user_id"), pushed_at__isnull=False)
        .order_by("-pushed_at")
        .values("pushed_at")[:1]
    )
    frequency = "user__preferences__notification_frequency"
    due = Q(**{frequency: NotificationFrequency.REALTIME}) & Q(
        _unsent_since(now - REALTIME_PUSH_WINDOW)
    )
    for name, period in SUMMARY_PERIODS.items():
        first = Q(last_push__isnull=True) & Q(_unsent_since(now - period))
        again = Q(last_push__lte=now - period) & Q(_unsent_since(now - 2 * period))
        due |= Q(**{frequency: name}) & (first | again)
    rows = (
        TelegramLink.objects.filter(user__is_active=True, user__preferences__notify_enabled=True)
        .annotate(last_push=last_push)
        .filter(due)
        .order_by("user_id")
        .values_list("user_id", "chat_id", "user__language", frequency, "last_push")
    )
    targets = [
        _PushTarget(user_id, chat_id, _language(language), kind, never_pushed=last is None)
        for user_id, chat_id, language, kind, last in rows
    ]
    paused = cache.get_many([push_pause_cache_key(t.user_id) for t in targets])
    return [t for t in targets if push_pause_cache_key(t.user_id) not in paused]


def notifications_push(*, now: datetime) -> int:
    """Send due alerts to linked Telegram chats; returns how many alerts went out.

    Realtime users get up to PUSH_BATCH alerts per run, daily and weekly users
    one summary per period. Each user's alerts are claimed with SELECT … FOR
    UPDATE SKIP LOCKED and held while they are sent, so two runs never send one
    alert twice; pushed_at is set for exactly the alerts in messages Telegram
    accepted. A worker killed mid-send rolls back its claim, so the alert in
    flight may go out again: Telegram gives no way to make a send and a commit
    one step. One user's failure never stops the others; flood control stops
    the run, since it applies to the whole bot.
    """
    if not telegram_configured():
        return 0
    pushed = 0
    for target in _push_targets(now=now):
        try:
            sent, error = _push_to(target, now=now)
        except Exception:  # one user's bad data must not cost everyone else their alerts
            logger.exception("alerts for user %s failed", target.user_id)
            continue
        pushed += sent
        if isinstance(error, PermanentSendError):
            logger.warning("alerts for user %s cannot be sent: %s", target.user_id, error)
            cache.set(push_pause_cache_key(target.user_id), True, int(PUSH_PAUSE.total_seconds()))
        elif isinstance(error, TransientSendError):
            logger.warning("alerts for user %s not sent yet: %s", target.user_id, error)
            if error.retry_after is not None:
                break
    return pushed


def _push_to(target: _PushTarget, *, now: datetime) -> tuple[int, SendError | None]:
    """Claim, send and record one user's due alerts: (how many went out, the error)."""
    summary = target.frequency in SUMMARY_PERIODS
    with transaction.atomic():
        claimed = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                user_id=target.user_id,
                pushed_at__isnull=True,
                read_at__isnull=True,
                created_at__gte=target.window_start(now),
            )
            .select_related("item", "company")
            .order_by("created_at", "pk")[: SUMMARY_LOCK_LIMIT if summary else PUSH_BATCH]
        )
        if not claimed:
            return 0, None
        with translation.override(target.language):
            messages = (
                _summary_messages(claimed, frequency=target.frequency)
                if summary
                else _realtime_messages(claimed)
            )
        try:
            send_messages(chat_id=target.chat_id, messages=[m.text for m in messages])
        except SendError as error:
            # What went out before the error is recorded, in this transaction;
            # the rest is left to a later run.
            sent = [pk for message in messages[: error.sent] for pk in message.notification_ids]
            return _mark_pushed(sent, now), error
        # A summary names its first alerts and counts the rest: once it is out,
        # every claimed alert has been told about.
        return _mark_pushed([n.pk for n in claimed], now), None


def _mark_pushed(notification_ids: Sequence[int], now: datetime) -> int:
    if not notification_ids:
        return 0
    return Notification.objects.filter(pk__in=notification_ids).update(pushed_at=now)


def _alert_line(notification: Notification) -> AlertLine:
    url, link_label = _alert_link(notification)
    return AlertLine(
        notification_id=notification.pk,
        title=notification.title,
        body=notification.body,
        priority=notification.priority,
        type_label=str(notification.get_type_display()),
        url=url,
        link_label=link_label,
    )


def _alert_link(notification: Notification) -> tuple[str, str]:
    if notification.item is not None:
        return notification.item.url, gettext("Read the article")
    if notification.company is not None:
        path = reverse("competitors:detail", args=[notification.company.slug])
        return settings.SITE_URL + path, gettext("Open the company page")
    if notification.category:
        path = reverse("news:category", args=[notification.category])
        return settings.SITE_URL + path, gettext("Open the category")
    return "", ""


def _realtime_messages(claimed: Sequence[Notification]) -> list[AlertMessage]:
    count = len(claimed)
    heading = ngettext("%(count)d new alert", "%(count)d new alerts", count) % {"count": count}
    return render_alert_messages(
        heading=f"🔔 <b>{escape(heading)}</b>", alerts=[_alert_line(n) for n in claimed]
    )


def _summary_messages(claimed: Sequence[Notification], *, frequency: str) -> list[AlertMessage]:
    count = len(claimed)
    if frequency == NotificationFrequency.WEEKLY:
        heading = ngettext("%(count)d alert this week", "%(count)d alerts this week", count) % {
            "count": count
        }
    else:
        heading = ngettext("%(count)d alert today", "%(count)d alerts today", count) % {
            "count": count
        }
    shown = sorted(claimed, key=lambda n: (-_rank(n.priority), -n.created_at.timestamp(), -n.pk))
    shown = shown[:SUMMARY_SHOWN]
    url = escape(settings.SITE_URL + reverse("notifications:list"), quote=True)
    rest = count - len(shown)
    if rest:
        more = ngettext("…and %(count)d more", "…and %(count)d more", rest) % {"count": rest}
        footer = f'{escape(more)} <a href="{url}">{escape(gettext("See them all"))}</a>'
    else:
        footer = f'<a href="{url}">{escape(gettext("Open your notifications"))}</a>'
    return render_alert_messages(
        heading=f"🔔 <b>{escape(heading)}</b>",
        alerts=[_alert_line(n) for n in shown],
        footer=footer,
    )
