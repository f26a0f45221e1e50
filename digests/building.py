"""Choosing, ranking and grouping the items of one digest.

Selection follows the digest mode:

- "all": every item first seen in the period;
- "tracked": items of a tracked company or mentioning one, limited to the
  interested categories when some are chosen (with no tracked company, the
  interested categories alone), plus any item matching a keyword. A user who
  has chosen nothing at all gets everything, as on the dashboard.

An item belongs to the period in which it was first seen (fetched_at), which is
set once on insert: consecutive periods [start, end) therefore share no item
and miss none, even when a source publishes late or backdates a post.

Ranking, each part between 0 and 1 (docs/intelligence.md):

    score = 0.40 · priority + 0.20 · tracked company + 0.15 · interested category
          + 0.15 · keyword matches (one: 0.5, two or more: 1) + 0.10 · recency in the period

Stories collapse to their best-ranked item with "+N sources". Entries group by
company (best entry first), then by category.

Query count is constant per digest: preferences, tracked ids, candidate items
(with company, source and story joined), mentions of the candidates.
"""

from __future__ import annotations

import functools
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchQuery
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Preferences
from digests.content import CategoryGroup, CompanyGroup, DigestContent, DigestEntry
from news.categories import Category
from news.models import NewsItem
from news.priority import priority_level
from news.selectors import SEARCH_CONFIG, search_support

WEIGHT_PRIORITY = 0.40
WEIGHT_TRACKED = 0.20
WEIGHT_CATEGORY = 0.15
WEIGHT_KEYWORDS = 0.15
WEIGHT_RECENCY = 0.10
# The best-priority items a digest looks at; a period rarely has more worth reading.
CANDIDATES = 300
# Entries in one digest, after stories collapse.
MAX_ENTRIES = 40
SUMMARY_CHARS = 280
ENTRY_FIELDS = (
    "title",
    "url",
    "summary",
    "published_at",
    "fetched_at",
    "category",
    "priority_score",
    "company_id",
    "source_id",
    "story_id",
    "company__name",
    "company__slug",
    "source__name",
    "story__item_count",
)
MAX_KEYWORDS = 50


@dataclass(frozen=True)
class Interests:
    """What a digest is built for: a snapshot of the user's preferences."""

    mode: str  # all | tracked
    company_ids: frozenset[int]
    categories: frozenset[str]
    keywords: tuple[str, ...]

    @property
    def chose_nothing(self) -> bool:
        return not (self.company_ids or self.categories or self.keywords)


def interests_of(*, preferences: Preferences | None) -> Interests:
    if preferences is None:
        return Interests(mode="all", company_ids=frozenset(), categories=frozenset(), keywords=())
    tracked = Preferences.tracked_companies.through.objects.filter(
        preferences_id=preferences.pk
    ).values_list("company_id", flat=True)
    return Interests(
        mode=preferences.digest_mode,
        company_ids=frozenset(tracked),
        categories=frozenset(value for value in preferences.categories if value in Category.values),
        keywords=tuple(preferences.keywords[:MAX_KEYWORDS]),
    )


@functools.lru_cache(maxsize=4096)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(keyword)}(?!\w)", re.IGNORECASE)


def keyword_hits(*, text: str, keywords: Iterable[str]) -> int:
    return sum(1 for keyword in keywords if _keyword_pattern(keyword).search(text))


def selected_items(*, interests: Interests, start: datetime, end: datetime) -> QuerySet[NewsItem]:
    items = NewsItem.objects.filter(fetched_at__gte=start, fetched_at__lt=end)
    if interests.mode == "all" or interests.chose_nothing:
        return items
    match = Q(pk__in=[])
    if interests.company_ids:
        companies = list(interests.company_ids)
        mentioning = NewsItem.mentioned_companies.through.objects.filter(
            company_id__in=companies
        ).values("newsitem_id")
        by_company = Q(company_id__in=companies) | Q(pk__in=mentioning)
        if interests.categories:
            by_company &= Q(category__in=interests.categories)
        match |= by_company
    elif interests.categories:
        match |= Q(category__in=interests.categories)
    full_text = search_support().full_text
    for keyword in interests.keywords:
        if full_text:
            # The GIN-indexed search vector (title, summary and text): a substring
            # scan of every summary in the period cost more than the rest of the digest.
            match |= Q(
                search_vector=SearchQuery(keyword, search_type="phrase", config=SEARCH_CONFIG)
            )
        else:
            match |= Q(title__icontains=keyword) | Q(summary__icontains=keyword)
    return items.filter(match)


def _lead(summary: str) -> str:
    text = " ".join(summary.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"


@dataclass
class _Ranked:
    item: NewsItem
    score: float


def _rank(
    items: Sequence[NewsItem],
    *,
    interests: Interests,
    mentions: dict[int, set[int]],
    start: datetime,
    end: datetime,
) -> list[_Ranked]:
    span = max((end - start).total_seconds(), 1.0)
    ranked = []
    for item in items:
        tracked = item.company_id in interests.company_ids or bool(
            mentions.get(item.pk, set()) & interests.company_ids
        )
        hits = keyword_hits(text=f"{item.title}\n{item.summary}", keywords=interests.keywords)
        position = (item.fetched_at - start).total_seconds() / span
        score = (
            WEIGHT_PRIORITY * item.priority_score
            + WEIGHT_TRACKED * tracked
            + WEIGHT_CATEGORY * (item.category in interests.categories)
            + WEIGHT_KEYWORDS * min(hits, 2) / 2
            + WEIGHT_RECENCY * min(max(position, 0.0), 1.0)
        )
        ranked.append(_Ranked(item=item, score=round(score, 4)))
    ranked.sort(key=lambda each: (-each.score, -each.item.pk))
    return ranked


def _collapse_stories(ranked: list[_Ranked]) -> list[tuple[_Ranked, int]]:
    """The best item of each story, with how many other sources cover it."""
    seen: set[int] = set()
    kept = []
    for each in ranked:
        story = each.item.story
        if story is not None:
            if story.pk in seen:
                continue
            seen.add(story.pk)
        extra = max((story.item_count if story else 1) - 1, 0)
        kept.append((each, extra))
    return kept


def _entry(ranked: _Ranked, extra: int) -> DigestEntry:
    item = ranked.item
    return DigestEntry(
        item_id=item.pk,
        title=item.title,
        url=item.url,
        summary=_lead(item.summary),
        source=item.source.name if item.source else "",
        published_at=item.published_at.isoformat(),
        priority=priority_level(item.priority_score),
        score=ranked.score,
        extra_sources=extra,
    )


def _group(kept: list[tuple[_Ranked, int]]) -> list[CompanyGroup]:
    # Entries arrive best first, so insertion order is rank order at every level.
    by_company: dict[int | None, dict[str, list[DigestEntry]]] = defaultdict(
        lambda: defaultdict(list)
    )
    names: dict[int | None, tuple[str, str]] = {}
    for ranked, extra in kept:
        item = ranked.item
        company = item.company
        names.setdefault(item.company_id, (company.name, company.slug) if company else ("", ""))
        by_company[item.company_id][item.category or ""].append(_entry(ranked, extra))
    return [
        CompanyGroup(
            company_id=company_id,
            company_name=names[company_id][0],
            company_slug=names[company_id][1],
            categories=[
                CategoryGroup(category=category, entries=entries)
                for category, entries in categories.items()
            ],
        )
        for company_id, categories in by_company.items()
    ]


@dataclass(frozen=True)
class _Candidates:
    matched: int
    items: list[NewsItem]
    loaded_at: float


# Digests of everything for one period share their candidates: every user whose
# digest falls due at the same minute in "all" mode would otherwise run the same
# two queries. Only closed periods are kept, briefly, per process.
_shared: dict[tuple[datetime, datetime], _Candidates] = {}
SHARED_SECONDS = 300.0
SHARED_PERIODS = 32


def _load_candidates(*, interests: Interests, start: datetime, end: datetime) -> _Candidates:
    candidates = selected_items(interests=interests, start=start, end=end)
    if interests.mode == "all" or interests.chose_nothing:
        # Everything in the period: walk the priority index until enough are found.
        matched = candidates.count()
        best = list(
            candidates.order_by("-priority_score", "-fetched_at", "-pk").values_list(
                "pk", flat=True
            )[:CANDIDATES]
        )
    else:
        # A selective filter: without an ORDER BY the planner reads the period through
        # the fetched_at index instead of walking every item in priority order; the
        # few matches are ranked here.
        rows = sorted(
            candidates.order_by().values_list("priority_score", "fetched_at", "pk"),
            reverse=True,
        )
        matched = len(rows)
        best = [pk for _, _, pk in rows[:CANDIDATES]]
    # Only the chosen rows are joined to their company, source and story.
    items = (
        list(
            NewsItem.objects.filter(pk__in=best)
            .select_related("company", "source", "story")
            # Only what an entry shows: the full text and HTML would be most of each row.
            .only(*ENTRY_FIELDS)
        )
        if best
        else []
    )
    return _Candidates(matched=matched, items=items, loaded_at=time.monotonic())


def _candidates(*, interests: Interests, start: datetime, end: datetime) -> _Candidates:
    everything = interests.mode == "all" or interests.chose_nothing
    if not everything or end > timezone.now():
        return _load_candidates(interests=interests, start=start, end=end)
    key = (start, end)
    cached = _shared.get(key)
    if cached is not None and time.monotonic() - cached.loaded_at < SHARED_SECONDS:
        return cached
    loaded = _load_candidates(interests=interests, start=start, end=end)
    if len(_shared) >= SHARED_PERIODS:
        _shared.clear()
    _shared[key] = loaded
    return loaded


def digest_content_build(
    *, interests: Interests, start: datetime, end: datetime, max_entries: int = MAX_ENTRIES
) -> DigestContent:
    """The digest of [start, end) for these interests (at most three queries)."""
    candidates = _candidates(interests=interests, start=start, end=end)
    if not candidates.items:
        return DigestContent()
    items = candidates.items
    mentions: dict[int, set[int]] = defaultdict(set)
    if interests.company_ids:
        rows = NewsItem.mentioned_companies.through.objects.filter(
            newsitem_id__in=[item.pk for item in items]
        ).values_list("newsitem_id", "company_id")
        for item_id, company_id in rows:
            mentions[item_id].add(company_id)
    ranked = _rank(items, interests=interests, mentions=mentions, start=start, end=end)
    kept = _collapse_stories(ranked)
    shown = kept[:max_entries]
    return DigestContent(
        groups=_group(shown), matched=candidates.matched, omitted=len(kept) - len(shown)
    )
