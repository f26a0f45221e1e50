"""Set-based storage of fetched items.

Contract: one query per chunk asks which URLs exist, one bulk insert adds the
rest, and the unique constraint on NewsItem.url is the final guard against
concurrent workers inserting the same item. Re-storing a batch adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection

from competitors.models import Company, Source
from news.models import NewsItem

# Stays below SQLite's and PostgreSQL's limits on bound parameters per query.
CHUNK = 5000
TITLE_MAX = 500

T = TypeVar("T")


@dataclass(frozen=True)
class ItemDraft:
    """One item ready to store; built from a feed entry or an extracted article."""

    url: str
    title: str
    published_at: datetime | None
    guid: str = ""
    author: str = ""
    summary: str = ""
    content_html: str = ""
    content_text: str = ""
    needs_full_text: bool = False


@dataclass
class StoreResult:
    new_ids: list[int] = field(default_factory=list)
    duplicates: int = 0

    @property
    def new(self) -> int:
        return len(self.new_ids)


def _chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def existing_urls(urls: Iterable[str]) -> set[str]:
    wanted = list(dict.fromkeys(urls))
    found: set[str] = set()
    for chunk in _chunks(wanted):
        found.update(NewsItem.objects.filter(url__in=chunk).values_list("url", flat=True))
    return found


def news_items_store(
    *,
    drafts: Iterable[ItemDraft],
    source: Source | None,
    company: Company | None,
    source_type: str,
    fetched_at: datetime,
) -> StoreResult:
    """Insert the drafts whose URL is not stored yet; report new ids and duplicates.

    `fetched_at` must be unique to this call (the caller's timezone.now()): it
    tells the rows this call inserted from rows a concurrent worker inserted.
    """
    unique: dict[str, ItemDraft] = {}
    for draft in drafts:
        unique.setdefault(draft.url, draft)
    present = existing_urls(unique)
    fresh = [draft for url, draft in unique.items() if url not in present]
    if connection.vendor == "postgresql":
        inserted = _insert_returning_ids(
            fresh, source=source, company=company, source_type=source_type, fetched_at=fetched_at
        )
        return StoreResult(new_ids=inserted, duplicates=len(unique) - len(inserted))
    rows = [
        NewsItem(
            title=(draft.title or draft.url)[:TITLE_MAX],
            url=draft.url,
            guid=draft.guid[:1000],
            source=source,
            company=company,
            source_type=source_type,
            published_at=draft.published_at or fetched_at,
            published_at_estimated=draft.published_at is None,
            author=draft.author[:300],
            summary=draft.summary,
            content_html=draft.content_html,
            content_text=draft.content_text,
            needs_full_text=draft.needs_full_text,
            fetched_at=fetched_at,
        )
        for draft in fresh
    ]
    NewsItem.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    new_ids: list[int] = []
    for chunk in _chunks([row.url for row in rows]):
        new_ids.extend(
            NewsItem.objects.filter(url__in=chunk, fetched_at=fetched_at).values_list(
                "id", flat=True
            )
        )
    return StoreResult(new_ids=new_ids, duplicates=len(unique) - len(new_ids))


# Columns written by the PostgreSQL fast path, with their array types. Every
# NOT NULL column of news_newsitem must be here or in _CONSTANT_COLUMNS (the
# storage tests read back every field, so a missing one fails them).
_ARRAY_COLUMNS = (
    ("title", "varchar"),
    ("url", "varchar"),
    ("guid", "varchar"),
    ("published_at", "timestamptz"),
    ("published_at_estimated", "boolean"),
    ("author", "varchar"),
    ("summary", "text"),
    ("content_html", "text"),
    ("content_text", "text"),
    ("needs_full_text", "boolean"),
)
_CONSTANT_COLUMNS = (
    ("source_id", "%(source_id)s"),
    ("company_id", "%(company_id)s"),
    ("source_type", "%(source_type)s"),
    ("fetched_at", "%(fetched_at)s"),
    ("language", "''"),
    ("category", "''"),
    ("priority_score", "0"),
    ("keywords", "'[]'::jsonb"),
    ("fingerprint", "'[]'::jsonb"),
)


def _insert_returning_ids(
    drafts: Sequence[ItemDraft],
    *,
    source: Source | None,
    company: Company | None,
    source_type: str,
    fetched_at: datetime,
) -> list[int]:
    """One INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING RETURNING id per chunk.

    Skips model instantiation (most of bulk_create's cost) and the follow-up query
    for ids: RETURNING gives exactly the rows this call inserted.
    """
    if not drafts:
        return []
    table = NewsItem._meta.db_table
    names = [name for name, _ in _ARRAY_COLUMNS] + [name for name, _ in _CONSTANT_COLUMNS]
    unnest = ", ".join(f"%({name})s::{kind}[]" for name, kind in _ARRAY_COLUMNS)
    aliases = ", ".join(name for name, _ in _ARRAY_COLUMNS)
    constants = ", ".join(expression for _, expression in _CONSTANT_COLUMNS)
    # Identifiers come from the constants above, never from input; values are bound.
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608
        f"SELECT {aliases}, {constants} FROM unnest({unnest}) AS t({aliases}) "
        "ON CONFLICT (url) DO NOTHING RETURNING id"
    )
    ids: list[int] = []
    with connection.cursor() as cursor:
        for chunk in _chunks(drafts):
            params: dict[str, Any] = {
                "title": [(d.title or d.url)[:TITLE_MAX] for d in chunk],
                "url": [d.url for d in chunk],
                "guid": [d.guid[:1000] for d in chunk],
                "published_at": [d.published_at or fetched_at for d in chunk],
                "published_at_estimated": [d.published_at is None for d in chunk],
                "author": [d.author[:300] for d in chunk],
                "summary": [d.summary for d in chunk],
                "content_html": [d.content_html for d in chunk],
                "content_text": [d.content_text for d in chunk],
                "needs_full_text": [d.needs_full_text for d in chunk],
                "source_id": source.pk if source else None,
                "company_id": company.pk if company else None,
                "source_type": source_type,
                "fetched_at": fetched_at,
            }
            cursor.execute(sql, params)
            ids.extend(row[0] for row in cursor.fetchall())
    return ids
