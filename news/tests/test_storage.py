import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from competitors.models import Source
from competitors.tests.factories import SourceFactory
from news.models import NewsItem
from news.storage import ItemDraft, news_items_store


def _drafts(count, *, prefix="https://lab.example.com/post/"):
    now = timezone.now()
    return [
        ItemDraft(
            url=f"{prefix}{n}",
            title=f"Post {n}",
            published_at=now - timedelta(hours=n) if n % 3 else None,
            summary="s",
        )
        for n in range(count)
    ]


def _store(drafts, source):
    return news_items_store(
        drafts=drafts,
        source=source,
        company=source.company,
        source_type=source.source_type,
        fetched_at=timezone.now(),
    )


@pytest.mark.django_db
def test_store_inserts_new_items_and_flags_estimated_dates():
    source = SourceFactory()
    result = _store(_drafts(30), source)
    assert result.new == 30
    assert result.duplicates == 0
    estimated = NewsItem.objects.filter(published_at_estimated=True)
    assert estimated.count() == 10
    assert all(item.published_at == item.fetched_at for item in estimated)


@pytest.mark.django_db
def test_restoring_the_same_batch_adds_nothing(django_assert_max_num_queries):
    source = SourceFactory()
    _store(_drafts(50), source)
    with django_assert_max_num_queries(3):
        result = _store(_drafts(50), source)
    assert (result.new, result.duplicates) == (0, 50)
    assert NewsItem.objects.count() == 50


@pytest.mark.django_db
def test_duplicates_inside_one_batch_are_stored_once():
    source = SourceFactory()
    drafts = _drafts(5) + _drafts(5)
    assert _store(drafts, source).new == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_store_each_item_once():
    source = SourceFactory()
    drafts = _drafts(400)
    results = []
    barrier = threading.Barrier(4)

    def worker():
        try:
            barrier.wait()
            results.append(_store(drafts, Source.objects.get(pk=source.pk)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert NewsItem.objects.count() == 400
    assert sum(result.new for result in results) == 400
    assert sum(result.duplicates for result in results) == 3 * 400


@pytest.mark.django_db
def test_every_field_is_written_as_given():
    source = SourceFactory()
    published = timezone.now() - timedelta(days=2)
    draft = ItemDraft(
        url="https://lab.example.com/post/full",
        title="T" * 600,
        published_at=published,
        guid="guid-1",
        author="Ada",
        summary="Summary",
        content_html="<p>Body</p>",
        content_text="Body",
        needs_full_text=True,
    )
    fetched_at = timezone.now()
    result = news_items_store(
        drafts=[draft],
        source=source,
        company=source.company,
        source_type="press_release",
        fetched_at=fetched_at,
    )
    item = NewsItem.objects.get(pk=result.new_ids[0])
    assert item.title == "T" * 500
    assert (item.url, item.guid, item.author) == (draft.url, "guid-1", "Ada")
    assert (item.source, item.company) == (source, source.company)
    assert item.source_type == "press_release"
    assert (item.published_at, item.published_at_estimated) == (published, False)
    assert (item.summary, item.content_html, item.content_text) == (
        "Summary",
        "<p>Body</p>",
        "Body",
    )
    assert item.needs_full_text is True
    assert item.fetched_at == fetched_at
    assert (item.category, item.priority_score, item.keywords, item.language) == ("", 0.0, [], "")
    assert item.story is None
