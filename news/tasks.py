"""Celery tasks for ingestion. Each takes ids and calls one service."""

from __future__ import annotations

from celery import shared_task

from news import services
from news.fetching import TransientFetchError


@shared_task(name="news.dispatch_due_sources", ignore_result=True)
def dispatch_due_sources() -> int:
    source_ids = services.sources_claim_due()
    for source_id in source_ids:
        source_fetch.delay(source_id)
    return len(source_ids)


# Idempotent: storage is an upsert on the canonical URL, so a redelivery after a
# worker crash stores nothing twice.
@shared_task(
    name="news.source_fetch",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def source_fetch(source_id: int) -> int:
    return services.source_refresh(source_id=source_id).new_items


@shared_task(
    name="news.item_extract_full_text",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TransientFetchError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=5,
)
def item_extract_full_text(item_id: int) -> bool:
    return services.item_fetch_full_text(item_id=item_id)


# Idempotent: only items still pending are analysed, so a redelivery is cheap.
@shared_task(
    name="news.items_analyse", ignore_result=True, acks_late=True, reject_on_worker_lost=True
)
def items_analyse(item_ids: list[int]) -> None:
    services.analyse_safely(item_ids, only_pending=True)


@shared_task(name="news.analyse_pending", ignore_result=True)
def analyse_pending() -> int:
    return services.news_items_analyse_pending()


# Idempotent: reclassifying an item twice gives the same result.
@shared_task(name="news.reclassify_items", ignore_result=True, acks_late=True)
def reclassify_items(since_days: int | None = None) -> int:
    from news.reclassification import news_items_reclassify

    return news_items_reclassify(since_days=since_days)
