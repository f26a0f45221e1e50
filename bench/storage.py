"""Storing 20,000 feed entries: set-based storage against a per-entry ORM loop."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bench.harness import timed

if TYPE_CHECKING:  # Django is set up only once the benchmark runs.
    from competitors.models import Source
    from news.storage import ItemDraft

ENTRIES = 20_000


def _drafts(count: int) -> list[ItemDraft]:
    from django.utils import timezone

    from news.storage import ItemDraft

    now = timezone.now()
    return [
        ItemDraft(
            url=f"https://bench.example.com/posts/{n}",
            title=f"Bench post {n}",
            published_at=now - timedelta(minutes=n),
            summary="A benchmark entry with a short summary.",
        )
        for n in range(count)
    ]


def _naive_store(drafts: list[ItemDraft], source: Source) -> int:
    """The baseline: one exists() and one create() per entry."""
    from django.utils import timezone

    from news.models import NewsItem

    created = 0
    for draft in drafts:
        if NewsItem.objects.filter(url=draft.url).exists():
            continue
        NewsItem.objects.create(
            title=draft.title,
            url=draft.url,
            source=source,
            company=source.company,
            source_type=source.source_type,
            published_at=draft.published_at or timezone.now(),
            summary=draft.summary,
        )
        created += 1
    return created


def _set_based_store(drafts: list[ItemDraft], source: Source) -> int:
    from django.utils import timezone

    from news.storage import news_items_store

    return news_items_store(
        drafts=drafts,
        source=source,
        company=source.company,
        source_type=source.source_type,
        fetched_at=timezone.now(),
    ).new


def run() -> dict[str, float]:
    from competitors.models import Company, Source
    from news.models import NewsItem

    company = Company.objects.create(name="Bench Co", slug="bench-co")
    source = Source.objects.create(company=company, url="https://bench.example.com/feed.xml")
    drafts = _drafts(ENTRIES)

    naive_new, created = timed(lambda: _naive_store(drafts, source))
    assert created == ENTRIES
    naive_present, created = timed(lambda: _naive_store(drafts, source))
    assert created == 0
    NewsItem.objects.all().delete()

    bulk_new, created = timed(lambda: _set_based_store(drafts, source))
    assert created == ENTRIES
    bulk_present, created = timed(lambda: _set_based_store(drafts, source))
    assert created == 0
    assert NewsItem.objects.count() == ENTRIES
    NewsItem.objects.all().delete()
    company.delete()
    return {
        "naive_new_s": naive_new,
        "naive_present_s": naive_present,
        "set_based_new_s": bulk_new,
        "set_based_present_s": bulk_present,
        "speedup_new": naive_new / bulk_new,
        "speedup_present": naive_present / bulk_present,
    }
