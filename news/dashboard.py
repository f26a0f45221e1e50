"""Reads for the dashboard: which items are in a user's scope, counters over them,
the category breakdown and the latest stories.

Every function runs a fixed number of queries whatever the amount of data:
counts are aggregates, and the latest stories are fetched in batches.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as format_date
from django.utils.functional import cached_property
from django.utils.translation import ngettext

from accounts.models import Preferences, User
from news.categories import Category, category_emoji, category_label, category_slug
from news.models import NewsItem, Story
from news.priority import HIGH_THRESHOLD, PriorityLevel, priority_level
from news.selectors import OFFICIAL_SOURCE_TYPES

HIGH_PRIORITY_WINDOW = timedelta(days=7)
BREAKDOWN_WINDOW = timedelta(days=30)
LATEST_STORIES = 10
# The newest items scanned for the latest stories. A story with many recent items
# takes several rows, so the window is wider than the number of stories shown.
LATEST_ITEMS_WINDOW = 100
# How stale the dashboard's counts and stories may be: they are the page's most
# expensive part, and a minute is well inside how often sources are fetched.
DASHBOARD_CACHE_SECONDS = 60


@dataclass(frozen=True)
class DashboardScope:
    tracked_count: int
    # Every item: the user asked for all news, or follows no company yet.
    is_everything: bool
    category_filter: tuple[str, ...]
    # Changes whenever the preferences behind the scope do (see company_follow_set).
    version: str = ""
    preferences_id: int | None = None

    @property
    def tracks_nothing(self) -> bool:
        return self.tracked_count == 0

    @cached_property
    def items(self) -> QuerySet[NewsItem]:
        """The items in scope; reads the tracked ids (one query) the first time, so a
        dashboard served from the cache never does."""
        items = NewsItem.objects.all()
        if self.is_everything or self.preferences_id is None:
            return items
        tracked = list(
            Preferences.tracked_companies.through.objects.filter(
                preferences_id=self.preferences_id
            ).values_list("company_id", flat=True)
        )
        # A list of ids and an IN over the mentions index: a correlated EXISTS made the
        # planner scan every mention for every count.
        mentioning = NewsItem.mentioned_companies.through.objects.filter(
            company_id__in=tracked
        ).values("newsitem_id")
        items = items.filter(Q(company_id__in=tracked) | Q(pk__in=mentioning))
        if self.category_filter:
            items = items.filter(category__in=self.category_filter)
        return items


def dashboard_scope(*, user: User) -> DashboardScope:
    """Which items the dashboard of `user` covers (one query, for the preferences;
    `items` reads the tracked ids when first asked).

    Scope "tracked": items of a tracked company, or mentioning one, in the
    interested categories (none chosen means all). Scope "all", or no tracked
    company yet: every item.
    """
    preferences = (
        Preferences.objects.filter(user=user)
        .annotate(tracked_count=Count("tracked_companies"))
        .first()
    )
    tracked_count = getattr(preferences, "tracked_count", 0)
    version = f"{preferences.pk}-{preferences.updated_at.timestamp()}" if preferences else "none"
    if preferences is None or tracked_count == 0 or preferences.scope == Preferences.Scope.ALL:
        return DashboardScope(
            tracked_count=tracked_count,
            is_everything=True,
            category_filter=(),
            version=version,
        )
    return DashboardScope(
        tracked_count=tracked_count,
        is_everything=False,
        category_filter=tuple(
            value for value in preferences.categories if value in Category.values
        ),
        version=version,
        preferences_id=preferences.pk,
    )


@dataclass(frozen=True)
class DashboardCounters:
    # Items of the last 30 days (BREAKDOWN_WINDOW), as the breakdown counts them.
    total: int
    today: int
    high_priority_week: int


def start_of_day(*, now: datetime, tz: tzinfo) -> datetime:
    local = timezone.localtime(now, tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _window_counts(*, items: QuerySet[NewsItem], now: datetime, tz: tzinfo) -> list[dict[str, Any]]:
    """Per category over the last 30 days: all items, those up to the end of today
    in `tz`, today's, and the high-priority ones of the last 7 days. One query, the
    counters and the breakdown both read it."""
    today_start = start_of_day(now=now, tz=tz)
    # Aware arithmetic adds wall-clock time: this is the next local midnight even
    # across a DST change, when the day is 23 or 25 hours long.
    tomorrow_start = today_start + timedelta(days=1)
    return list(
        items.filter(published_at__gte=now - BREAKDOWN_WINDOW)
        .order_by()
        .values("category")
        .annotate(
            count=Count("pk"),
            until_today=Count("pk", filter=Q(published_at__lt=tomorrow_start)),
            today=Count(
                "pk", filter=Q(published_at__gte=today_start, published_at__lt=tomorrow_start)
            ),
            high=Count(
                "pk",
                filter=Q(
                    priority_score__gte=HIGH_THRESHOLD,
                    published_at__gte=now - HIGH_PRIORITY_WINDOW,
                ),
            ),
        )
    )


def dashboard_counters(
    *,
    items: QuerySet[NewsItem],
    now: datetime,
    tz: tzinfo,
    rows: list[dict[str, Any]] | None = None,
) -> DashboardCounters:
    """Items in scope of the last 30 days (future-dated ones left out), those
    published today in `tz`, and the high-priority ones of the last 7 days.
    An all-time count would read the whole archive on every visit."""
    rows = _window_counts(items=items, now=now, tz=tz) if rows is None else rows
    return DashboardCounters(
        total=sum(row["until_today"] for row in rows),
        today=sum(row["today"] for row in rows),
        high_priority_week=sum(row["high"] for row in rows),
    )


@dataclass(frozen=True)
class CategoryShare:
    value: str
    slug: str
    # Plain text in the language active when the breakdown was made, as the cached
    # figures are kept per language.
    label: str
    emoji: str
    count: int
    percent: int
    # 0 to 100 in steps of 5, for the bar's width class (CSP allows no style attribute).
    bar_width: int
    url: str


def bar_width(share: float) -> int:
    """A share in [0, 1] as a width in steps of 5; any non-zero share shows at least 5."""
    if share <= 0:
        return 0
    return min(100, max(5, round(share * 20) * 5))


def category_breakdown(
    *, items: QuerySet[NewsItem], now: datetime, rows: list[dict[str, Any]] | None = None
) -> tuple[int, list[CategoryShare]]:
    """Items in scope of the last 30 days per category, largest first, with shares.
    Returns (total, shares). One query, or none given the rows of _window_counts."""
    if rows is None:
        rows = _window_counts(items=items, now=now, tz=UTC)
    counts: dict[str, int] = {}
    for row in rows:
        # Values outside the current choices (a renamed category) count as "Other".
        value = row["category"] if row["category"] in Category.values else ""
        counts[value] = counts.get(value, 0) + row["count"]
    total = sum(counts.values())
    order = {value: index for index, value in enumerate(Category.values)}
    shares = [
        CategoryShare(
            value=value,
            slug=category_slug(value),
            label=str(category_label(value)),
            emoji=category_emoji(value),
            count=count,
            percent=round(100 * count / total),
            bar_width=bar_width(count / total),
            url=reverse("news:category", args=[category_slug(value)]),
        )
        for value, count in sorted(
            counts.items(), key=lambda pair: (-pair[1], order.get(pair[0], len(order)))
        )
    ]
    return total, shares


@dataclass(frozen=True)
class StoryCard:
    """One line of "Latest stories", ready to print: the figures are cached per user,
    time zone and language, so every text here is in those already and the template
    has only the relative time left to work out."""

    # The item standing for the story: only what the list shows is loaded (see
    # STORY_ITEM_FIELDS), with its company.
    item: NewsItem
    sources: int
    # When the story last got an item in scope: the order of the list.
    updated_at: datetime
    category_slug: str
    category_label: str
    category_emoji: str
    priority: PriorityLevel
    url: str
    category_url: str
    # The company's page; "" when the item has no company or an inactive one.
    company_url: str
    coverage: str
    updated_iso: str
    updated_title: str


STORY_ITEM_FIELDS = (
    "id",
    "title",
    "category",
    "priority_score",
    "company__name",
    "company__slug",
    "company__active",
)


def _story_card(*, item: NewsItem, sources: int, updated_at: datetime, tz: tzinfo) -> StoryCard:
    company = item.company
    local = timezone.localtime(updated_at, tz)
    slug = category_slug(item.category)
    return StoryCard(
        item=item,
        sources=sources,
        updated_at=updated_at,
        category_slug=slug,
        category_label=str(category_label(item.category)),
        category_emoji=category_emoji(item.category),
        priority=priority_level(item.priority_score),
        url=reverse("news:detail", args=[item.pk]),
        category_url=reverse("news:category", args=[slug]),
        company_url=(
            reverse("competitors:detail", args=[company.slug])
            if company is not None and company.active
            else ""
        ),
        # The msgids of the template that printed this line before, translations included.
        coverage=ngettext(
            "Covered by %(counter)s source", "Covered by %(counter)s sources", sources
        )
        % {"counter": sources},
        updated_iso=format_date(local, "c"),
        updated_title=f"{format_date(local, 'j M Y, H:i')} ({getattr(tz, 'key', 'UTC')})",
    )


def latest_stories(
    *, items: QuerySet[NewsItem], limit: int = LATEST_STORIES, tz: tzinfo = UTC
) -> list[StoryCard]:
    """The `limit` stories with the newest items in scope, newest first; times are
    shown in `tz`.

    An item outside any story counts as a story of its own. Each story is shown
    by its canonical item (the earliest official post, else the earliest item;
    see news.selectors.story_canonical_item), even when that item is outside
    the scope. At most three queries.
    """
    newest = items.order_by("-published_at", "-pk").values_list("pk", "story_id", "published_at")[
        :LATEST_ITEMS_WINDOW
    ]
    groups: dict[tuple[str, int], datetime] = {}
    for pk, story_id, published_at in newest:
        key = ("story", story_id) if story_id is not None else ("item", pk)
        groups.setdefault(key, published_at)
        if len(groups) == limit:
            break
    story_ids = [key_id for kind, key_id in groups if kind == "story"]

    canonical = (
        NewsItem.objects.filter(story_id=OuterRef("pk"))
        .annotate(
            official=Case(
                When(source_type__in=OFFICIAL_SOURCE_TYPES, then=0),
                default=1,
                output_field=IntegerField(),
            )
        )
        .order_by("official", "published_at", "pk")
        .values("pk")[:1]
    )
    stories = {
        row["pk"]: row
        for row in Story.objects.filter(pk__in=story_ids)
        .annotate(
            canonical_id=Subquery(canonical),
            sources=Count("items__source", distinct=True)
            + Count("items", filter=Q(items__source__isnull=True), distinct=True),
        )
        .values("pk", "canonical_id", "sources")
    }

    item_ids: dict[tuple[str, int], int] = {}
    for kind, key_id in groups:
        if kind == "item":
            item_ids[(kind, key_id)] = key_id
        elif (story := stories.get(key_id)) and story["canonical_id"] is not None:
            item_ids[(kind, key_id)] = story["canonical_id"]
    loaded = (
        NewsItem.objects.select_related("company")
        .only(*STORY_ITEM_FIELDS)
        .in_bulk(set(item_ids.values()))
    )

    cards = []
    for key, updated_at in groups.items():
        item = loaded.get(item_ids.get(key, 0))
        if item is None:  # deleted meanwhile
            continue
        kind, key_id = key
        sources = stories[key_id]["sources"] if kind == "story" else 1
        cards.append(_story_card(item=item, sources=max(1, sources), updated_at=updated_at, tz=tz))
    return cards


@dataclass(frozen=True)
class CounterLinks:
    """News list URLs (query strings) showing what each counter counts."""

    everything: str
    total: str
    today: str
    high_priority_week: str


def counter_links(*, scope: DashboardScope, now: datetime, tz: tzinfo) -> CounterLinks:
    # The news list filters by dates in the user's time zone (?since=YYYY-MM-DD).
    base: list[tuple[str, str]] = []
    if not scope.is_everything:
        base.append(("tracked", "1"))
        base.extend(("category", value) for value in scope.category_filter)
    today = timezone.localtime(now, tz).date()
    week_start = timezone.localtime(now - HIGH_PRIORITY_WINDOW, tz).date()
    month_start = timezone.localtime(now - BREAKDOWN_WINDOW, tz).date()
    return CounterLinks(
        everything=urlencode(base),
        total=urlencode([*base, ("since", month_start.isoformat())]),
        today=urlencode([*base, ("since", today.isoformat())]),
        high_priority_week=urlencode(
            [*base, ("priority", "high"), ("since", week_start.isoformat())]
        ),
    )


@dataclass(frozen=True)
class Dashboard:
    scope: DashboardScope
    counters: DashboardCounters
    links: CounterLinks
    breakdown_total: int
    breakdown: list[CategoryShare]
    stories: list[StoryCard]


def user_timezone(user: User) -> tzinfo:
    try:
        return zoneinfo.ZoneInfo(user.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def dashboard_for_user(
    *, user: User, now: datetime | None = None, use_cache: bool = True
) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries (at most six; one
    when the figures come from the cache).

    The figures are computed at most once a minute per user, time zone and
    language (DASHBOARD_CACHE_SECONDS); a change of preferences starts afresh at
    once, since the scope's version is part of the key.
    """
    now = now or timezone.now()
    tz = user_timezone(user)
    scope = dashboard_scope(user=user)
    key = (
        f"dashboard:v2:{user.pk}:{scope.version}:{getattr(tz, 'key', 'UTC')}:"
        f"{translation.get_language()}"
    )
    figures: _Figures | None = cache.get(key) if use_cache else None
    if figures is None:
        rows = _window_counts(items=scope.items, now=now, tz=tz)
        breakdown_total, breakdown = category_breakdown(items=scope.items, now=now, rows=rows)
        figures = _Figures(
            counters=dashboard_counters(items=scope.items, now=now, tz=tz, rows=rows),
            breakdown_total=breakdown_total,
            breakdown=breakdown,
            stories=latest_stories(items=scope.items, tz=tz),
        )
        if use_cache:
            cache.set(key, figures, DASHBOARD_CACHE_SECONDS)
    return Dashboard(
        scope=scope,
        counters=figures.counters,
        links=counter_links(scope=scope, now=now, tz=tz),
        breakdown_total=figures.breakdown_total,
        breakdown=figures.breakdown,
        stories=figures.stories,
    )


@dataclass(frozen=True)
class _Figures:
    counters: DashboardCounters
    breakdown_total: int
    breakdown: list[CategoryShare]
    stories: list[StoryCard]
