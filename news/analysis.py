"""The intelligence pipeline: what each stored item is about and how much it matters.

`analyse_text` is pure and shared by ingestion and `manage.py classify_text`, so
operators tuning rules see exactly what ingestion would do. `news_items_analyse`
runs it over a batch of stored items with a constant number of queries, assigns
stories, and rescores every item whose story coverage changed.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.utils import timezone
from psycopg.types.json import Jsonb

from competitors.models import Company
from digests.notification_tasks import notifications_for_items
from news.classification import CompiledRuleSet, classify, current_rule_set
from news.clustering import StoryText, best_match, fingerprint
from news.keywords import extract_keywords
from news.mentions import CompanyMatcher, CompanyNames, primary_company
from news.models import NewsItem, PriorityWeights, Story
from news.priority import PriorityWeightsData, priority_score
from news.selectors import stories_coverage
from news.summaries import extractive_summary, is_usable_summary

STORY_WINDOW = timedelta(hours=72)
CANDIDATE_LIMIT = 2000
# Keywords read the title, the summary and the opening of the text: the lead says
# what a piece is about, and keyword extraction is the costliest step per character.
KEYWORD_SAMPLE = 800
# Only the start of long articles is read for mentions and keywords: enough to
# find what a piece is about, and it bounds the cost of 100 KB pages.
TEXT_SAMPLE = 20_000
SUMMARY_MAX = 300


@dataclass(frozen=True)
class Context:
    """Everything analysis needs that comes from the database, loaded once per batch."""

    rules: CompiledRuleSet
    weights: PriorityWeightsData
    matcher: CompanyMatcher
    company_names: dict[int, str]
    company_slugs: dict[int, str]

    @classmethod
    def load(cls) -> Context:
        companies = list(
            Company.objects.filter(active=True)
            .order_by("id")
            .values_list("id", "name", "slug", "aliases")
        )
        return cls(
            rules=current_rule_set(),
            weights=PriorityWeights.load().as_data(),
            matcher=_matcher(
                tuple(
                    (company_id, name, tuple(a for a in aliases or [] if isinstance(a, str)))
                    for company_id, name, _, aliases in companies
                )
            ),
            company_names={row[0]: row[1] for row in companies},
            company_slugs={row[0]: row[2] for row in companies},
        )


# Building the matcher costs more than analysing a small batch, and the companies
# rarely change: it is rebuilt only when their names or aliases do.
@functools.lru_cache(maxsize=4)
def _matcher(companies: tuple[tuple[int, str, tuple[str, ...]], ...]) -> CompanyMatcher:
    return CompanyMatcher.build(
        CompanyNames(id=company_id, name=name, aliases=list(aliases))
        for company_id, name, aliases in companies
    )


@dataclass(frozen=True)
class TextAnalysis:
    category: str | None
    summary: str
    keywords: list[str]
    mentions: dict[int, int]
    primary_company_id: int | None
    fingerprint: list[int]


def analyse_text(
    *,
    context: Context,
    title: str,
    summary: str,
    text: str,
    source_type: str,
    source_company_id: int | None,
) -> TextAnalysis:
    sample = text[:TEXT_SAMPLE]
    if not is_usable_summary(summary, title=title):
        summary = extractive_summary(sample, max_chars=SUMMARY_MAX) or summary
    elif len(summary) > SUMMARY_MAX:
        # Many feeds put the whole post in the description; the summary is its lead,
        # and the full text stays in content_text.
        summary = extractive_summary(summary, max_chars=SUMMARY_MAX) or summary[:SUMMARY_MAX]
    mentions = context.matcher.find(title=title, summary=summary, text=sample)
    keywords = extract_keywords(
        title=title,
        text=_keyword_text(summary=summary, text=sample),
        exclude=[
            context.company_names[company_id]
            for company_id in {*mentions, source_company_id}
            if company_id in context.company_names
        ],
    )
    return TextAnalysis(
        category=classify(
            title=title, summary=summary, source_type=source_type, rules=context.rules
        ).category,
        summary=summary,
        keywords=keywords,
        mentions=mentions,
        primary_company_id=primary_company(source_company_id=source_company_id, mentions=mentions),
        fingerprint=fingerprint(title=title, summary=summary),
    )


def _keyword_text(*, summary: str, text: str) -> str:
    """The summary and the opening of the text, without reading the summary twice:
    feeds often publish one description that becomes both."""
    body = text[:KEYWORD_SAMPLE]
    if summary and " ".join(text[: len(summary) * 2].split()).startswith(" ".join(summary.split())):
        return body
    return f"{summary}\n{body}"


def _story_text(item: NewsItem) -> StoryText:
    return StoryText(
        title=item.title,
        summary=item.summary,
        fingerprint=item.fingerprint,
        published_at=item.published_at,
        company_ids=frozenset(filter(None, [item.company_id])),
    )


def _assign_stories(items: Sequence[NewsItem]) -> set[int]:
    """Put each item into the story of its best match among recent items from
    other sources; returns the ids of stories that changed.

    Locking contract: runs inside the caller's transaction; two workers may, in
    a rare race, start two stories for one event, which costs a missed merge,
    never a wrong one.
    """
    if not items:
        return set()
    start = min(item.published_at for item in items) - STORY_WINDOW
    end = max(item.published_at for item in items) + STORY_WINDOW
    # A story is about one company (third-party coverage gets its company from
    # mentions), so candidates are recent items of the same companies, or of no
    # company when the item has none; the limit bounds the work for busy ones.
    company_ids = {item.company_id for item in items if item.company_id is not None}
    same_company = Q(company_id__in=company_ids)
    if any(item.company_id is None for item in items):
        same_company |= Q(company_id__isnull=True)
    candidates = list(
        NewsItem.objects.filter(same_company, published_at__range=(start, end))
        .exclude(fingerprint=[])
        .order_by("-published_at")[:CANDIDATE_LIMIT]
        .only(
            "id",
            "title",
            "summary",
            "fingerprint",
            "published_at",
            "company_id",
            "source_id",
            "story_id",
        )
    )
    by_id = {candidate.id: candidate for candidate in candidates}
    item_ids = {item.id for item in items}
    for item in items:
        by_id[item.id] = item
    changed: set[int] = set()
    relinked: list[NewsItem] = []
    for item in items:
        if item.story_id is not None:
            continue
        others = [
            other
            for other in by_id.values()
            if other.id != item.id
            and other.company_id == item.company_id
            and (other.source_id is None or other.source_id != item.source_id)
            and abs(other.published_at - item.published_at) <= STORY_WINDOW
        ]
        index = best_match(_story_text(item), [_story_text(other) for other in others])
        if index is None:
            continue
        match = others[index]
        if match.story_id is None:
            earliest = min(match, item, key=lambda candidate: candidate.published_at)
            story = Story.objects.create(
                title=earliest.title,
                first_seen_at=earliest.published_at,
                last_seen_at=max(match.published_at, item.published_at),
            )
            match.story_id = story.id
            if match.id not in item_ids:
                relinked.append(match)
        item.story_id = match.story_id
        changed.add(match.story_id)
    # Items of this batch are written with the rest of their analysis.
    _update_column(relinked, "story_id", "bigint", [match.story_id for match in relinked])
    return changed


@transaction.atomic
def news_items_analyse(
    *, item_ids: Sequence[int], now: datetime | None = None, only_pending: bool = False
) -> int:
    """Classify, summarise, tag, link mentions, cluster and score the given items.

    Idempotent: re-analysing an item recomputes the same fields. Query count per
    batch is constant, apart from one INSERT per new story. Items another worker
    is analysing right now are skipped (their rows are locked); with
    ``only_pending``, so are items already analysed, which makes a redelivered
    task cost one query.
    """
    now = now or timezone.now()
    rows = NewsItem.objects.filter(id__in=list(item_ids))
    if only_pending:
        rows = rows.filter(analysed_at__isnull=True)
    items = list(rows.select_for_update(skip_locked=True, of=("self",)).order_by("id"))
    if not items:
        return 0
    context = Context.load()
    mention_model = NewsItem.mentioned_companies.through
    through_rows: list[Any] = []
    for item in items:
        result = analyse_text(
            context=context,
            title=item.title,
            summary=item.summary,
            text=item.content_text,
            source_type=item.source_type,
            source_company_id=item.company_id,
        )
        item.category = result.category or ""
        item.summary = result.summary
        item.keywords = result.keywords
        item.fingerprint = result.fingerprint
        if item.company_id is None and result.primary_company_id is not None:
            item.company_id = result.primary_company_id
        item.analysed_at = now
        through_rows.extend(
            mention_model(newsitem_id=item.id, company_id=company_id)
            for company_id in result.mentions
        )
    changed_stories = _assign_stories(items)
    coverage = stories_coverage(
        story_ids={item.story_id for item in items if item.story_id} | changed_stories
    )
    for item in items:
        item.priority_score = item_priority(
            item, coverage=coverage, weights=context.weights, now=now
        )
    _write_analysis(items)
    mention_model.objects.bulk_create(through_rows, ignore_conflicts=True)
    if changed_stories:
        # Now that the batch's story links are written, coverage can be counted.
        _rescore_stories(stories=changed_stories, weights=context.weights, now=now)
    notifications_for_items.delay_on_commit([item.id for item in items])  # type: ignore[attr-defined]
    return len(items)


ANALYSIS_FIELDS = (
    "category",
    "summary",
    "keywords",
    "fingerprint",
    "company",
    "analysed_at",
    "story",
    "priority_score",
)


def _write_analysis(items: Sequence[NewsItem]) -> None:
    """Write every analysed field of the batch in one statement on PostgreSQL."""
    if connection.vendor != "postgresql":
        NewsItem.objects.bulk_update(items, list(ANALYSIS_FIELDS), batch_size=500)
        return
    table = NewsItem._meta.db_table
    # Identifiers are fixed here; every value is bound.
    sql = (
        f"UPDATE {table} AS n SET category = v.category, summary = v.summary, "  # noqa: S608
        "keywords = v.keywords, fingerprint = v.fingerprint, company_id = v.company_id, "
        "analysed_at = v.analysed_at, story_id = v.story_id, priority_score = v.priority_score "
        "FROM unnest(%s::bigint[], %s::varchar[], %s::text[], %s::jsonb[], %s::jsonb[], "
        "%s::bigint[], %s::timestamptz[], %s::bigint[], %s::float8[]) "
        "AS v(id, category, summary, keywords, fingerprint, company_id, analysed_at, story_id, "
        "priority_score) WHERE n.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                [item.id for item in items],
                [item.category for item in items],
                [item.summary for item in items],
                [Jsonb(item.keywords) for item in items],
                [Jsonb(item.fingerprint) for item in items],
                [item.company_id for item in items],
                [item.analysed_at for item in items],
                [item.story_id for item in items],
                [item.priority_score for item in items],
            ],
        )


def item_priority(
    item: NewsItem, *, coverage: dict[int, int], weights: PriorityWeightsData, now: datetime
) -> float:
    return round(
        priority_score(
            category=item.category or None,
            source_type=item.source_type,
            coverage=coverage.get(item.story_id, 1) if item.story_id else 1,
            published_at=item.published_at,
            now=now,
            weights=weights,
        ),
        4,
    )


def _rescore_stories(*, stories: set[int], weights: PriorityWeightsData, now: datetime) -> None:
    """Refresh story counts and rescore every item of stories whose coverage grew."""
    coverage = stories_coverage(story_ids=stories)
    members = NewsItem.objects.filter(story=OuterRef("pk")).values("story")
    Story.objects.filter(id__in=list(stories)).update(
        item_count=Subquery(members.annotate(n=Count("id")).values("n")),
        last_seen_at=Subquery(members.annotate(latest=Max("published_at")).values("latest")),
    )
    siblings = list(
        NewsItem.objects.filter(story_id__in=list(stories)).only(
            "id", "category", "source_type", "published_at", "story_id", "priority_score"
        )
    )
    rescored = []
    for sibling in siblings:
        score = item_priority(sibling, coverage=coverage, weights=weights, now=now)
        if score != sibling.priority_score:
            sibling.priority_score = score
            rescored.append(sibling)
    _update_column(
        rescored, "priority_score", "float8", [sibling.priority_score for sibling in rescored]
    )


def _update_column(
    items: Sequence[NewsItem], column: str, sql_type: str, values: list[Any]
) -> None:
    """Set one column of many rows to per-row values in a single statement."""
    if not items:
        return
    if connection.vendor != "postgresql":
        field = NewsItem._meta.get_field(column).name
        for item, value in zip(items, values, strict=True):
            setattr(item, column, value)
        NewsItem.objects.bulk_update(items, [field], batch_size=500)
        return
    table = NewsItem._meta.db_table
    # Identifiers come from this module's callers; every value is bound.
    sql = (
        f"UPDATE {table} AS n SET {column} = v.value "  # noqa: S608
        f"FROM unnest(%s::bigint[], %s::{sql_type}[]) AS v(id, value) WHERE n.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [[item.id for item in items], values])
