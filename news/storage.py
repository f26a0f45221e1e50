"""Set-based storage of fetched items.

Contract: one query per chunk asks which URLs exist, one bulk insert adds the
rest, and the unique constraint on NewsItem.url is the final guard against
concurrent workers inserting the same item. Re-storing a batch adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

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
        for url, draft in unique.items()
        if url not in present
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
