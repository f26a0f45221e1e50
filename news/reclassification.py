"""Applying changed rules and weights to items already stored, in batches."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from news.analysis import item_priority
from news.classification import classify, current_rule_set
from news.models import NewsItem, PriorityWeights
from news.selectors import stories_coverage

BATCH = 500


def news_items_reclassify(
    *, since_days: int | None = None, item_ids: list[int] | None = None, batch_size: int = BATCH
) -> int:
    """Re-run classification and priority over stored items; returns how many changed.

    Walks the table by id (keyset), one batch per transaction, so it can run
    while ingestion continues and can be interrupted and re-run safely.
    """
    rules = current_rule_set()
    weights = PriorityWeights.load().as_data()
    now = timezone.now()
    items = NewsItem.objects.order_by("id")
    if since_days is not None:
        items = items.filter(published_at__gte=now - timedelta(days=since_days))
    if item_ids is not None:
        items = items.filter(id__in=item_ids)
    changed = 0
    last_id = 0
    while True:
        batch = list(
            items.filter(id__gt=last_id).only(
                "id",
                "title",
                "summary",
                "source_type",
                "published_at",
                "story_id",
                "category",
                "priority_score",
            )[:batch_size]
        )
        if not batch:
            return changed
        last_id = batch[-1].id
        coverage = stories_coverage(story_ids={item.story_id for item in batch if item.story_id})
        updated = []
        for item in batch:
            category = (
                classify(
                    title=item.title,
                    summary=item.summary,
                    source_type=item.source_type,
                    rules=rules,
                ).category
                or ""
            )
            before = (item.category, item.priority_score)
            item.category = category
            item.priority_score = item_priority(item, coverage=coverage, weights=weights, now=now)
            if (item.category, item.priority_score) != before:
                updated.append(item)
        with transaction.atomic():
            NewsItem.objects.bulk_update(updated, ["category", "priority_score"])
        changed += len(updated)
