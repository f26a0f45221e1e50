"""Ingestion: claiming due sources, refreshing them, storing what they publish.

A failing source is recorded on its own row (last_error, backoff, and after
MAX_FAILURES_BEFORE_ERROR consecutive failures the error status); it never
raises into the caller, so one bad source cannot stop a worker or a batch.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from competitors.models import Source
from config.metrics.events import source_refresh_recorded
from news import scheduling
from news.analysis import news_items_analyse
from news.detection import response_kind
from news.drafts import drafts_from_articles, drafts_from_feed
from news.fetching import (
    FetchError,
    FetchResult,
    SafeFetcher,
    TransientFetchError,
    fetcher_from_settings,
)
from news.fetching import freshness_seconds as response_freshness
from news.models import NewsItem
from news.parsing import (
    FeedParseError,
    extract_article,
    extract_article_links,
    looks_like_article,
    parse_feed,
)
from news.storage import StoreResult, existing_urls, news_items_store

logger = logging.getLogger(__name__)

# A claimed source is not claimed again for this long, unless its fetch finished.
CLAIM_LEASE = timedelta(minutes=15)
ARTICLES_PER_LISTING = 20


@dataclass
class RefreshOutcome:
    source_id: int | None
    url: str
    fetched: bool = False
    not_modified: bool = False
    new_items: int = 0
    duplicates: int = 0
    error: str = ""
    new_ids: list[int] = field(default_factory=list)


# ---------------------------------------------------------------- dispatch


def sources_claim_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Claim up to `limit` due sources and push their next_fetch_at out by CLAIM_LEASE.

    Locking contract: rows are taken with SELECT … FOR UPDATE SKIP LOCKED, so
    concurrent dispatchers (several beats or workers) never claim the same
    source; a source whose fetch dies is claimable again when the lease ends.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Source.objects.select_for_update(skip_locked=True)
            .filter(status=Source.Status.ACTIVE)
            .filter(Q(next_fetch_at__isnull=True) | Q(next_fetch_at__lte=now))
            .order_by(F("next_fetch_at").asc(nulls_first=True), "id")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Source.objects.filter(id__in=ids).update(next_fetch_at=now + CLAIM_LEASE)
    return ids


# ---------------------------------------------------------------- outcome bookkeeping


def _record_success(
    *, source: Source, now: datetime, result: FetchResult, ttl_minutes: int | None
) -> None:
    # Nothing new behind a 304, so the posting frequency is unchanged: no query.
    recent = (
        []
        if result.not_modified
        else list(
            NewsItem.objects.filter(source=source, published_at_estimated=False)
            .order_by("-published_at")
            .values_list("published_at", flat=True)[:20]
        )
    )
    interval = scheduling.next_interval(
        published=recent,
        ttl_minutes=ttl_minutes,
        freshness_seconds=response_freshness(result.headers),
        current=source.interval,
    )
    if result.not_modified:
        etag, last_modified = source.etag, source.last_modified
    else:
        etag, last_modified = (result.etag or "")[:500], (result.last_modified or "")[:100]
    Source.objects.filter(pk=source.pk).update(
        etag=etag,
        last_modified=last_modified,
        last_fetched_at=now,
        last_success_at=now,
        consecutive_failures=0,
        last_error="",
        interval=interval,
        next_fetch_at=now + scheduling.jittered(interval),
        updated_at=now,
    )


def _record_failure(
    *, source: Source, now: datetime, message: str, retry_after: float | None
) -> None:
    failures = source.consecutive_failures + 1
    delay = min(
        scheduling.MAX_INTERVAL,
        scheduling.jittered(scheduling.backoff_delay(failures, retry_after=retry_after)),
    )
    status = (
        Source.Status.ERROR
        if failures >= scheduling.MAX_FAILURES_BEFORE_ERROR
        else Source.Status.ACTIVE
    )
    # Only an active source is moved: an operator's pause made meanwhile wins.
    Source.objects.filter(pk=source.pk, status=Source.Status.ACTIVE).update(
        consecutive_failures=F("consecutive_failures") + 1,
        last_error=message[:2000],
        last_fetched_at=now,
        next_fetch_at=now + delay,
        status=status,
        updated_at=now,
    )
    logger.warning("source %s failed (%s in a row): %s", source.pk, failures, message)


# ---------------------------------------------------------------- refresh


def _articles_from_listing(
    *, source_url: str, listing: FetchResult, css_selector: str, fetcher: SafeFetcher
) -> list[tuple[str, FetchResult]]:
    links = extract_article_links(
        listing.content, base_url=listing.url, css_selector=css_selector or None
    )
    known = existing_urls(links)
    pages: list[tuple[str, FetchResult]] = []
    for link in [link for link in links if link not in known][:ARTICLES_PER_LISTING]:
        try:
            pages.append((link, fetcher.fetch(link)))
        except FetchError as error:
            logger.info("article %s from %s skipped: %s", link, source_url, error)
    return pages


def source_refresh(
    *, source_id: int, fetcher: SafeFetcher | None = None, source: Source | None = None
) -> RefreshOutcome:
    """Fetch one source now and store its new items. Never raises for source faults.

    Callers refreshing many sources pass each `source` preloaded (with its company),
    which saves a query per source.
    """
    if source is None or source.pk != source_id:
        source = Source.objects.select_related("company").get(pk=source_id)
    outcome = RefreshOutcome(source_id=source.pk, url=source.url)
    if source.status != Source.Status.ACTIVE:
        outcome.error = f"source is {source.status}"
        return outcome
    fetcher = fetcher or fetcher_from_settings()
    now = timezone.now()
    try:
        result = fetcher.fetch(
            source.url, etag=source.etag or None, last_modified=source.last_modified or None
        )
        outcome.fetched = True
        ttl_minutes = None
        if result.not_modified:
            outcome.not_modified = True
        else:
            if source.kind == Source.Kind.HTML:
                pages = _articles_from_listing(
                    source_url=source.url,
                    listing=result,
                    css_selector=source.css_selector,
                    fetcher=fetcher,
                )
                drafts = drafts_from_articles(
                    (url, extract_article(page.content, url=page.url)) for url, page in pages
                )
            else:
                feed = parse_feed(
                    result.content, base_url=result.url, content_type=result.content_type
                )
                ttl_minutes = feed.ttl_minutes
                drafts = drafts_from_feed(feed)
            stored = news_items_store(
                drafts=drafts,
                source=source,
                company=source.company,
                source_type=source.source_type,
                fetched_at=now,
            )
            _note_stored(outcome, stored)
            items_queue_analysis(stored.new_ids)
        _record_success(source=source, now=now, result=result, ttl_minutes=ttl_minutes)
    except (FetchError, FeedParseError) as error:
        outcome.error = str(error)
        retry_after = error.retry_after if isinstance(error, TransientFetchError) else None
        _record_failure(source=source, now=now, message=outcome.error, retry_after=retry_after)
    except Exception as error:  # a bug must not stop other sources; Sentry gets the trace
        logger.exception("unexpected failure refreshing source %s", source.pk)
        outcome.error = f"Unexpected error ({type(error).__name__}); see the logs."
        _record_failure(source=source, now=now, message=outcome.error, retry_after=None)
    source_refresh_recorded(error=outcome.error, not_modified=outcome.not_modified, started=now)
    if outcome.new_ids:
        _queue_full_text(outcome.new_ids)
    return outcome


def _note_stored(outcome: RefreshOutcome, stored: StoreResult) -> None:
    outcome.new_items = stored.new
    outcome.duplicates = stored.duplicates
    outcome.new_ids = stored.new_ids


def items_queue_analysis(item_ids: list[int]) -> None:
    """Hand freshly stored items to the analysis workers (the ``analysis`` queue).

    Analysis is CPU work; on its own worker processes it neither holds up
    fetching nor shares an interpreter with the fetch threads. If the broker
    cannot take the task, the items stay pending for the periodic sweep.
    """
    if not item_ids:
        return
    from news.tasks import items_analyse

    try:
        items_analyse.delay(list(item_ids))
    except Exception:  # the items are stored; the sweep will analyse them
        logger.exception("could not queue analysis of %s items; they stay pending", len(item_ids))


def analyse_safely(item_ids: list[int], *, only_pending: bool = False) -> None:
    """Analyse stored items; a failure here never loses them.

    Items left unanalysed (analysed_at is null) are picked up by the periodic
    `news.analyse_pending` task.
    """
    if not item_ids:
        return
    try:
        news_items_analyse(item_ids=item_ids, only_pending=only_pending)
    except Exception:  # stored items must survive an analysis bug; Sentry gets it
        logger.exception("analysis of %s items failed; they stay pending", len(item_ids))


# Items this fresh most likely have an analysis task queued; the sweep leaves
# them to it rather than racing it.
PENDING_GRACE = timedelta(minutes=2)


def news_items_analyse_pending(
    *, batch_size: int = 500, limit: int = 5000, now: datetime | None = None
) -> int:
    """Analyse items that were stored but never analysed, oldest first."""
    cutoff = (now or timezone.now()) - PENDING_GRACE
    done = 0
    last_id = 0
    while done < limit:
        ids = list(
            NewsItem.objects.filter(analysed_at__isnull=True, fetched_at__lt=cutoff, id__gt=last_id)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            break
        done += news_items_analyse(item_ids=ids, only_pending=True)
        # Rows skipped because another worker holds them must not be asked for again.
        last_id = ids[-1]
    return done


def _queue_full_text(item_ids: list[int]) -> None:
    from news.tasks import item_extract_full_text

    for item_id in NewsItem.objects.filter(id__in=item_ids, needs_full_text=True).values_list(
        "id", flat=True
    ):
        item_extract_full_text.delay_on_commit(item_id)  # type: ignore[attr-defined]


def item_fetch_full_text(*, item_id: int, fetcher: SafeFetcher | None = None) -> bool:
    """Replace a feed teaser with the article's full text. Idempotent.

    Transient fetch errors propagate so the task can retry; anything else ends
    the attempt and keeps the teaser.
    """
    item = NewsItem.objects.filter(pk=item_id, needs_full_text=True).first()
    if item is None:
        return False
    fetcher = fetcher or fetcher_from_settings()
    try:
        page = fetcher.fetch(item.url)
    except TransientFetchError:
        raise
    except FetchError as error:
        logger.info("full text for item %s unavailable: %s", item_id, error)
        NewsItem.objects.filter(pk=item_id).update(needs_full_text=False)
        return False
    article = extract_article(page.content, url=page.url)
    updates: dict[str, object] = {"needs_full_text": False}
    if article is not None and article.text:
        updates.update(content_html=article.content_html, content_text=article.text)
        if not item.summary and article.description:
            updates["summary"] = article.description
        if item.published_at_estimated and article.published_at is not None:
            updates.update(published_at=article.published_at, published_at_estimated=False)
    NewsItem.objects.filter(pk=item_id).update(**updates)
    if article is not None and article.text:
        analyse_safely([item_id])
    return article is not None


# ---------------------------------------------------------------- many sources, one URL


def _refresh_guarded(
    source_id: int, fetcher: SafeFetcher, source: Source | None = None
) -> RefreshOutcome:
    # A worker thread must always report back, or the caller would wait forever.
    try:
        return source_refresh(source_id=source_id, fetcher=fetcher, source=source)
    except Source.DoesNotExist:
        return RefreshOutcome(source_id=source_id, url="", error="The source no longer exists.")
    except Exception as error:
        logger.exception("refreshing source %s failed", source_id)
        return RefreshOutcome(
            source_id=source_id, url="", error=f"Unexpected error ({type(error).__name__})."
        )


def sources_refresh_many(
    *,
    source_ids: list[int],
    workers: int = 8,
    fetcher: SafeFetcher | None = None,
    on_done: Callable[[RefreshOutcome], None] | None = None,
) -> list[RefreshOutcome]:
    """Refresh sources concurrently on worker threads (the per-host limit still applies).

    Outcomes come back in the order of source_ids; on_done runs in the caller's
    thread as each source finishes.
    """
    fetcher = fetcher or fetcher_from_settings()
    if workers <= 1 or len(source_ids) <= 1:
        # In the caller's thread (and its transaction): no threads for one at a time.
        outcomes: list[RefreshOutcome] = []
        for source_id in source_ids:
            outcomes.append(source_refresh(source_id=source_id, fetcher=fetcher))
            if on_done is not None:
                on_done(outcomes[-1])
        return outcomes

    preloaded = Source.objects.select_related("company").in_bulk(source_ids)
    work: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
    for position, source_id in enumerate(source_ids):
        work.put((position, source_id))
    done: queue.SimpleQueue[tuple[int, RefreshOutcome]] = queue.SimpleQueue()

    def worker() -> None:
        # Each thread keeps one database connection for all its sources and
        # closes it when the work runs out.
        try:
            while True:
                try:
                    position, source_id = work.get_nowait()
                except queue.Empty:
                    return
                done.put((position, _refresh_guarded(source_id, fetcher, preloaded.get(source_id))))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, name=f"refresh-{n}", daemon=True)
        for n in range(min(workers, len(source_ids)))
    ]
    for thread in threads:
        thread.start()
    results: dict[int, RefreshOutcome] = {}
    while len(results) < len(source_ids):
        position, outcome = done.get()
        results[position] = outcome
        if on_done is not None:
            on_done(outcome)
    for thread in threads:
        thread.join()
    return [results[position] for position in range(len(source_ids))]


def url_ingest(*, url: str, fetcher: SafeFetcher | None = None) -> RefreshOutcome:
    """Ingest a URL that is not a saved source: a feed, a listing page, or one article."""
    from competitors.selectors import company_find_by_website

    fetcher = fetcher or fetcher_from_settings()
    outcome = RefreshOutcome(source_id=None, url=url)
    now = timezone.now()
    try:
        result = fetcher.fetch(url)
        outcome.fetched = True
        kind = response_kind(result)
        if kind == "feed":
            drafts = drafts_from_feed(
                parse_feed(result.content, base_url=result.url, content_type=result.content_type)
            )
        elif kind == "html" and looks_like_article(result.content, url=result.url):
            article = extract_article(result.content, url=result.url)
            drafts = drafts_from_articles([(result.url, article)])
        elif kind == "html":
            pages = _articles_from_listing(
                source_url=url, listing=result, css_selector="", fetcher=fetcher
            )
            drafts = drafts_from_articles(
                (link, extract_article(page.content, url=page.url)) for link, page in pages
            )
        else:
            raise FeedParseError(
                f"Neither a feed nor a web page (content type {result.content_type or 'unknown'})"
            )
        stored = news_items_store(
            drafts=drafts,
            source=None,
            company=company_find_by_website(website=result.url),
            source_type=Source.SourceType.OTHER,
            fetched_at=now,
        )
        _note_stored(outcome, stored)
        analyse_safely(stored.new_ids)
    except (FetchError, FeedParseError) as error:
        outcome.error = str(error)
    if outcome.new_ids:
        _queue_full_text(outcome.new_ids)
    return outcome
