import pytest

from competitors.tests.factories import SourceFactory
from news import tasks
from news.models import NewsItem
from news.tests.feed_samples import article_page, rss
from news.tests.http_servers import Reply

pytestmark = pytest.mark.django_db

FEED = {"Content-Type": "application/rss+xml"}


def test_dispatch_claims_due_sources_and_fetches_them(http_server, allow_fetching_from):
    allow_fetching_from(http_server)
    http_server.add("/feed.xml", Reply(headers=FEED, body=rss(http_server.base_url, 2)))
    SourceFactory(url=http_server.url("/feed.xml"), next_fetch_at=None)

    assert tasks.dispatch_due_sources.delay().get() == 1
    assert NewsItem.objects.count() == 2
    assert tasks.dispatch_due_sources.delay().get() == 0


def test_new_teasers_queue_full_text_extraction(
    http_server, allow_fetching_from, django_capture_on_commit_callbacks
):
    allow_fetching_from(http_server)
    http_server.add(
        "/feed.xml", Reply(headers=FEED, body=rss(http_server.base_url, 1, teaser=True))
    )
    http_server.add(
        "/posts/0", Reply(headers={"Content-Type": "text/html"}, body=article_page("Full"))
    )
    source = SourceFactory(url=http_server.url("/feed.xml"))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.source_fetch.delay(source.pk)

    # Alerts for the analysed items are queued on commit too; count extraction only.
    extractions = [
        callback
        for callback in callbacks
        if getattr(callback, "func", None) == tasks.item_extract_full_text.delay
    ]
    assert len(extractions) == 1
    item = NewsItem.objects.get()
    assert item.needs_full_text is False
    assert "Sentence 10" in item.content_text
