"""Reads for news items: search and lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from accounts.models import User
from news.item_states import ItemStateFlags, item_states_for_items
from news.models import ItemState, NewsItem, Story

SEARCH_CONFIG = "english"
# The snippet is plain text that may contain "<": matches are marked with two
# private-use characters, and `highlighted_snippet` escapes the text before
# turning them into <mark> elements.
MARK_START, MARK_END = "\ue000", "\ue001"


@dataclass(frozen=True)
class SearchSupport:
    full_text: bool


def search_support() -> SearchSupport:
    return SearchSupport(full_text=connection.vendor == "postgresql")


SEARCH_RANK_WINDOW = 1000


def news_items_search(
    *, query: str, queryset: QuerySet[NewsItem] | None = None
) -> QuerySet[NewsItem]:
    """Items matching `query`, best first.

    PostgreSQL: full-text search over the stored search_vector (title weighted
    over summary over text, GIN-indexed), web-search syntax ("quoted phrases",
    -exclusions, OR), ranked, with a highlighted `snippet`. Elsewhere (the
    embedded SQLite mode) every word must appear in the title, summary or text;
    newest first, and the snippet is the summary.
    """
    items = NewsItem.objects.all() if queryset is None else queryset
    query = query.strip()[:500]
    if not query:
        return items
    if search_support().full_text:
        search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        # Ranking reads every match's vector; a common word matches half the archive.
        # Only the newest matches compete, which is also what a news reader wants.
        newest = (
            items.filter(search_vector=search)
            .order_by("-published_at", "-id")
            .values("pk")[:SEARCH_RANK_WINDOW]
        )
        return (
            NewsItem.objects.filter(pk__in=newest)
            .annotate(
                rank=SearchRank(F("search_vector"), search),
                snippet=SearchHeadline(
                    "content_text",
                    search,
                    config=SEARCH_CONFIG,
                    start_sel=MARK_START,
                    stop_sel=MARK_END,
                    max_words=35,
                    min_words=15,
                    max_fragments=2,
                ),
            )
            .order_by("-rank", "-published_at", "-id")
        )
    words = [word for word in query.replace('"', " ").split() if not word.startswith("-")][:10]
    if not words:
        return items.none()
    condition = reduce(
        lambda left, right: left & right,
        (
            reduce(
                or_,
                [
                    Q(title__icontains=word),
                    Q(summary__icontains=word),
                    Q(content_text__icontains=word),
                ],
            )
            for word in words
        ),
    )
    return items.filter(condition).annotate(snippet=F("summary")).order_by("-published_at", "-id")


def highlighted_snippet(snippet: str) -> str:
    """HTML for a search snippet: the text escaped, the matches in <mark>."""
    from django.utils.html import escape

    return (
        escape(snippet.replace("\n", " "))
        .replace(MARK_START, "<mark>")
        .replace(MARK_END, "</mark>")
    )


OFFICIAL_SOURCE_TYPES = ("press_release", "blog")


def story_canonical_item(*, story_id: int) -> NewsItem | None:
    """The item that stands for a story: the earliest official post, else the earliest item."""
    items = NewsItem.objects.filter(story_id=story_id).order_by("published_at", "id")
    return items.filter(source_type__in=OFFICIAL_SOURCE_TYPES).first() or items.first()


def stories_coverage(*, story_ids: Iterable[int]) -> dict[int, int]:
    """Story id → how many distinct sources carry it (items without a source count once each)."""
    return dict(
        Story.objects.filter(id__in=list(story_ids))
        .annotate(
            sources=Count("items__source", distinct=True)
            + Count("items", filter=Q(items__source__isnull=True), distinct=True)
        )
        .values_list("id", "sources")
    )


@dataclass(frozen=True)
class PageExtras:
    """What a page of items adds per user: their flags, and each story's coverage."""

    flags: dict[int, ItemStateFlags]
    coverage: dict[int, int]


# Two result shapes in one round trip: (0, item id, read, favourite) for the user's
# states and (1, story id, coverage, 0) for the stories. Arrays keep the statement
# text the same whatever the page size, so nothing is compiled per request.
_PAGE_EXTRAS_SQL = """
SELECT 0, s.item_id, (s.read_at IS NOT NULL)::int, (s.favourited_at IS NOT NULL)::int
FROM {states} s WHERE s.user_id = %s AND s.item_id = ANY(%s)
UNION ALL
SELECT 1, i.story_id,
       COUNT(DISTINCT i.source_id) + COUNT(DISTINCT i.id) FILTER (WHERE i.source_id IS NULL), 0
FROM {items} i WHERE i.story_id = ANY(%s) GROUP BY i.story_id
"""


def page_extras(*, user: User, item_ids: list[int], story_ids: list[int]) -> PageExtras:
    """The user's flags on `item_ids` and the coverage of `story_ids`: one query on
    PostgreSQL, where the API's news list spends most of its time outside the database;
    the ORM's two queries elsewhere. Coverage is what stories_coverage counts."""
    if not item_ids:
        return PageExtras(flags={}, coverage={})
    if connection.vendor != "postgresql":
        return PageExtras(
            flags=item_states_for_items(user=user, item_ids=item_ids),
            coverage=stories_coverage(story_ids=story_ids) if story_ids else {},
        )
    sql = _PAGE_EXTRAS_SQL.format(states=ItemState._meta.db_table, items=NewsItem._meta.db_table)
    flags: dict[int, ItemStateFlags] = {}
    coverage: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, item_ids, story_ids])
        for kind, key, first, second in cursor.fetchall():
            if kind == 0:
                flags[key] = ItemStateFlags(read=bool(first), favourite=bool(second))
            else:
                coverage[key] = first
    return PageExtras(flags=flags, coverage=coverage)


def story_coverage(*, story_id: int) -> int:
    return stories_coverage(story_ids=[story_id]).get(story_id, 0)


@dataclass(frozen=True)
class CompanyCount:
    slug: str | None
    name: str | None
    count: int


@dataclass(frozen=True)
class NewsStats:
    total: int
    # Category value ("" for uncategorised) → items, largest first.
    by_category: list[tuple[str, int]]
    by_source_type: list[tuple[str, int]]
    # Items without a company are one entry with no slug.
    by_company: list[CompanyCount]


def news_items_stats(*, items: QuerySet[NewsItem]) -> NewsStats:
    """Counts of `items` per category, source type and company, in three grouped queries."""
    by_category = [
        (category, count)
        for category, count in items.order_by()
        .values_list("category")
        .annotate(count=Count("id"))
        .order_by("-count", "category")
    ]
    by_source_type = [
        (source_type, count)
        for source_type, count in items.order_by()
        .values_list("source_type")
        .annotate(count=Count("id"))
        .order_by("-count", "source_type")
    ]
    by_company = [
        CompanyCount(slug=slug, name=name, count=count)
        for slug, name, count in items.order_by()
        .values_list("company__slug", "company__name")
        .annotate(count=Count("id"))
        .order_by("-count", "company__name")
    ]
    return NewsStats(
        total=sum(count for _, count in by_category),
        by_category=by_category,
        by_source_type=by_source_type,
        by_company=by_company,
    )
