"""Reads for the news pages: filtering, keyset pagination and the cards of one page.

Pages are ordered newest first (published_at desc, id desc) and continued with an
opaque cursor naming the last row shown, so "load more" stays stable while new items
arrive. Ranked search results have no stable key to continue from (the rank is a
float computed per query), so they are continued by offset instead; the cursor
tells the two apart and a cursor of the wrong kind, or one that does not decode,
starts again at the first page.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django_stubs_ext import StrOrPromise

from accounts.models import User
from competitors.models import Company
from news import categories, display, priority
from news.item_states import ItemStateFlags, item_states_for_items
from news.models import ItemState, NewsItem
from news.selectors import news_items_search, stories_coverage

PAGE_SIZE = 20
# Deep offsets make PostgreSQL walk every skipped row; nobody reads 500 pages of results.
MAX_OFFSET = 10_000
OTHER_CATEGORY = categories.OTHER_SLUG
TOP_COMPANIES_DAYS = 90
TOP_COMPANIES_LIMIT = 8

PriorityFilter = Literal["high", "medium", "low", ""]


@dataclass(frozen=True)
class NewsFilters:
    """Validated filters of the news list (see news.forms.NewsFilterForm)."""

    q: str = ""
    companies: tuple[str, ...] = ()
    # Category values; OTHER_CATEGORY stands for uncategorised items.
    categories: tuple[str, ...] = ()
    source_types: tuple[str, ...] = ()
    priority: PriorityFilter = ""
    since: date | None = None
    until: date | None = None
    tracked: bool = False
    hide_read: bool = False


# ---------------------------------------------------------------- cursors


@dataclass(frozen=True)
class KeysetCursor:
    at: datetime
    id: int


@dataclass(frozen=True)
class OffsetCursor:
    offset: int


Cursor = KeysetCursor | OffsetCursor


def cursor_encode(cursor: Cursor) -> str:
    if isinstance(cursor, KeysetCursor):
        raw = f"k|{cursor.at.isoformat()}|{cursor.id}"
    else:
        raw = f"o|{cursor.offset}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(value: str | None) -> Cursor | None:
    """The cursor in `value`, or None when it is missing or malformed."""
    if not value or len(value) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        kind, _, rest = raw.partition("|")
        if kind == "k":
            at_text, _, id_text = rest.rpartition("|")
            at = datetime.fromisoformat(at_text)
            item_id = int(id_text)
            if at.tzinfo is None or item_id <= 0:
                return None
            return KeysetCursor(at=at, id=item_id)
        if kind == "o":
            offset = int(rest)
            return OffsetCursor(offset=offset) if 0 < offset <= MAX_OFFSET else None
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        return None
    return None


# ---------------------------------------------------------------- cards


@dataclass
class ItemCard:
    """One item as a card shows it; the same shape on every news page."""

    item: NewsItem
    read: bool = False
    favourite: bool = False
    # Distinct sources carrying the item's story; 1 when it has no story.
    coverage: int = 1
    # The search headline, plain text with marker characters around matches (render it
    # with the snippet_html filter); empty outside searches.
    snippet: str = ""

    # Display values, worked out in Python when the template first asks for them (so in
    # the request's language and time zone): a template filter chain per value costs
    # more than the value, twenty times a page.

    @cached_property
    def category_slug(self) -> str:
        return categories.category_slug(self.item.category)

    @cached_property
    def category_url(self) -> str:
        return reverse("news:category", args=[self.category_slug])

    @cached_property
    def detail_url(self) -> str:
        return reverse("news:detail", args=[self.item.pk])

    @cached_property
    def category_label(self) -> StrOrPromise:
        return categories.category_label(self.item.category)

    @cached_property
    def category_emoji(self) -> str:
        return categories.category_emoji(self.item.category)

    @cached_property
    def company_logo_url(self) -> str:
        """The company's logo when served over HTTPS, else ""."""
        company = self.item.company
        logo_url = company.logo_url if company is not None else ""
        return logo_url if logo_url[:8] == "https://" else ""

    @cached_property
    def company_initials(self) -> str:
        return display.initials(self.item.company.name if self.item.company is not None else "")

    @cached_property
    def source_label(self) -> str:
        return display.source_label(self.item)

    @cached_property
    def published_local(self) -> datetime:
        return timezone.localtime(self.item.published_at)

    @cached_property
    def published_iso(self) -> str:
        return date_filter(self.published_local, "c")

    @cached_property
    def published_title(self) -> str:
        """The absolute date and time and the time zone's name, as the card's tooltip."""
        local = self.published_local
        return f"{date_filter(local, 'DATETIME_FORMAT')} ({date_filter(local, 'T')})"

    @cached_property
    def published_ago(self) -> str:
        return str(naturaltime(self.item.published_at))


@dataclass
class CardPage:
    cards: list[ItemCard] = field(default_factory=list)
    next_cursor: str | None = None


def _cards(*, items: list[NewsItem], user: User | None, snippets: bool) -> list[ItemCard]:
    # One query for the page's states and one for its coverage, whatever the page size.
    states: dict[int, ItemStateFlags] = (
        item_states_for_items(user=user, item_ids=[item.pk for item in items]) if user else {}
    )
    coverage = stories_coverage(story_ids={item.story_id for item in items if item.story_id})
    cards = []
    for item in items:
        flags = states.get(item.pk, ItemStateFlags())
        snippet = getattr(item, "snippet", "") if snippets else ""
        cards.append(
            ItemCard(
                item=item,
                read=flags.read,
                favourite=flags.favourite,
                coverage=coverage.get(item.story_id, 1) if item.story_id else 1,
                snippet=snippet or "",
            )
        )
    return cards


# What no card shows and every row carries: the article, its text and its search
# vector are most of a row's bytes, to send, decode and keep for nothing.
CARD_DEFERRED_FIELDS = ("content_html", "content_text", "search_vector")


def _with_related(items: QuerySet[NewsItem]) -> QuerySet[NewsItem]:
    return items.select_related("company", "source").defer(*CARD_DEFERRED_FIELDS)


# ---------------------------------------------------------------- news list


def news_items_filtered(
    *,
    filters: NewsFilters,
    user: User | None,
    tz: tzinfo,
    queryset: QuerySet[NewsItem] | None = None,
) -> QuerySet[NewsItem]:
    """Items matching `filters`, unordered; dates are whole days in `tz`.

    `tracked` and `hide_read` need a user and are ignored without one.
    """
    items = NewsItem.objects.all() if queryset is None else queryset
    if filters.companies:
        items = items.filter(company__slug__in=filters.companies)
    if filters.categories:
        values = [value for value in filters.categories if value != OTHER_CATEGORY]
        condition = Q(category__in=values)
        if OTHER_CATEGORY in filters.categories:
            condition |= Q(category="")
        items = items.filter(condition)
    if filters.source_types:
        items = items.filter(source_type__in=filters.source_types)
    if filters.priority == "high":
        items = items.filter(priority_score__gte=priority.HIGH_THRESHOLD)
    elif filters.priority == "medium":
        items = items.filter(
            priority_score__gte=priority.MEDIUM_THRESHOLD,
            priority_score__lt=priority.HIGH_THRESHOLD,
        )
    elif filters.priority == "low":
        items = items.filter(priority_score__lt=priority.MEDIUM_THRESHOLD)
    if filters.since:
        items = items.filter(published_at__gte=_day_start(filters.since, tz))
    if filters.until:
        items = items.filter(published_at__lt=_day_start(filters.until + timedelta(days=1), tz))
    if user is not None and filters.tracked:
        items = items.filter(company__in=Company.objects.filter(followers__user=user))
    if user is not None and filters.hide_read:
        read = ItemState.objects.filter(user=user, item=OuterRef("pk"), read_at__isnull=False)
        items = items.filter(~Exists(read))
    return items


def _day_start(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def news_page(
    *,
    filters: NewsFilters,
    user: User | None,
    tz: tzinfo,
    cursor: Cursor | None,
    queryset: QuerySet[NewsItem] | None = None,
    page_size: int = PAGE_SIZE,
) -> CardPage:
    """One page of the filtered news: ranked when searching, newest first otherwise."""
    items = news_items_filtered(filters=filters, user=user, tz=tz, queryset=queryset)
    if filters.q.strip():
        ranked = _with_related(news_items_search(query=filters.q, queryset=items))
        offset = cursor.offset if isinstance(cursor, OffsetCursor) else 0
        rows = list(ranked[offset : offset + page_size + 1])
        next_cursor = (
            cursor_encode(OffsetCursor(offset=offset + page_size))
            if len(rows) > page_size and offset + page_size <= MAX_OFFSET
            else None
        )
        return CardPage(
            cards=_cards(items=rows[:page_size], user=user, snippets=True),
            next_cursor=next_cursor,
        )
    items = _with_related(items).order_by("-published_at", "-id")
    if isinstance(cursor, KeysetCursor):
        items = items.filter(
            Q(published_at__lt=cursor.at) | Q(published_at=cursor.at, id__lt=cursor.id)
        )
    rows = list(items[: page_size + 1])
    page = rows[:page_size]
    return CardPage(
        cards=_cards(items=page, user=user, snippets=False),
        next_cursor=(
            cursor_encode(KeysetCursor(at=page[-1].published_at, id=page[-1].pk))
            if len(rows) > page_size
            else None
        ),
    )


# ---------------------------------------------------------------- favourites


def favourites_page(*, user: User, cursor: Cursor | None, page_size: int = PAGE_SIZE) -> CardPage:
    """The user's favourites, most recently favourited first, keyed on (favourited_at, state id)."""
    states = (
        ItemState.objects.filter(user=user, favourited_at__isnull=False)
        .select_related("item__company", "item__source")
        .defer(*(f"item__{name}" for name in CARD_DEFERRED_FIELDS))
        .order_by("-favourited_at", "-id")
    )
    if isinstance(cursor, KeysetCursor):
        states = states.filter(
            Q(favourited_at__lt=cursor.at) | Q(favourited_at=cursor.at, id__lt=cursor.id)
        )
    rows = list(states[: page_size + 1])
    page = rows[:page_size]
    items = [state.item for state in page]
    coverage = stories_coverage(story_ids={item.story_id for item in items if item.story_id})
    cards = [
        ItemCard(
            item=state.item,
            read=state.read_at is not None,
            favourite=True,
            coverage=coverage.get(state.item.story_id, 1) if state.item.story_id else 1,
        )
        for state in page
    ]
    last = page[-1] if page else None
    return CardPage(
        cards=cards,
        next_cursor=(
            cursor_encode(KeysetCursor(at=last.favourited_at, id=last.pk))
            if last is not None and last.favourited_at is not None and len(rows) > page_size
            else None
        ),
    )


# ---------------------------------------------------------------- categories


def category_items(*, category: str) -> QuerySet[NewsItem]:
    """The items of one category value; OTHER_CATEGORY for uncategorised items."""
    return NewsItem.objects.filter(category="" if category == OTHER_CATEGORY else category)


def category_top_companies(
    *, category: str, days: int = TOP_COMPANIES_DAYS, limit: int = TOP_COMPANIES_LIMIT
) -> list[Company]:
    """Companies with the most items in `category` over the last `days`, each with `item_count`."""
    since = timezone.now() - timedelta(days=days)
    value = "" if category == OTHER_CATEGORY else category
    recent = Q(news_items__category=value, news_items__published_at__gte=since)
    return list(
        Company.objects.filter(active=True)
        .annotate(item_count=Count("news_items", filter=recent))
        .filter(item_count__gt=0)
        .order_by("-item_count", "name")[:limit]
    )


# ---------------------------------------------------------------- detail


@dataclass
class ItemDetail:
    item: NewsItem
    mentioned: list[Company]
    # Other items of the same story, each with its source.
    other_sources: list[NewsItem]
    read: bool = False
    favourite: bool = False


OTHER_SOURCES_LIMIT = 20


def news_item_detail(*, item_id: int, user: User | None) -> ItemDetail | None:
    """Everything the detail page shows, in a fixed number of queries; None when unknown."""
    item = NewsItem.objects.select_related("company", "source", "story").filter(pk=item_id).first()
    if item is None:
        return None
    mentioned = list(item.mentioned_companies.order_by("name"))
    other_sources: list[NewsItem] = []
    if item.story_id:
        other_sources = list(
            NewsItem.objects.filter(story_id=item.story_id)
            .exclude(pk=item.pk)
            .select_related("source")
            .order_by("published_at", "id")[:OTHER_SOURCES_LIMIT]
        )
    flags = (
        item_states_for_items(user=user, item_ids=[item.pk]).get(item.pk, ItemStateFlags())
        if user
        else ItemStateFlags()
    )
    return ItemDetail(
        item=item,
        mentioned=mentioned,
        other_sources=other_sources,
        read=flags.read,
        favourite=flags.favourite,
    )
