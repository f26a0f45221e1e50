"""Ingestion end to end: real sockets on loopback, real feedparser and trafilatura."""

from __future__ import annotations

import gzip
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from competitors.models import Source
from competitors.tests.factories import SourceFactory
from news import scheduling
from news.models import NewsItem
from news.services import item_fetch_full_text, source_refresh, sources_claim_due
from news.tests.feed_samples import article_page, listing_page, rss
from news.tests.http_servers import Reply, redirect

pytestmark = pytest.mark.django_db

FEED = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def fetcher(http_server, fetcher_factory):
    return fetcher_factory(allow_private_hosts=[http_server.allow_entry])


def _feed_source(server, path="/feed.xml", **extra):
    return SourceFactory(url=server.url(path), kind=Source.Kind.FEED, **extra)


def test_feed_items_are_stored_with_their_source_company_and_dates(http_server, fetcher):
    http_server.add(
        "/feed.xml", Reply(headers={**FEED, "ETag": '"v1"'}, body=rss(http_server.base_url, 5))
    )
    source = _feed_source(http_server)

    outcome = source_refresh(source_id=source.pk, fetcher=fetcher)

    assert (outcome.error, outcome.new_items, outcome.duplicates) == ("", 5, 0)
    items = NewsItem.objects.filter(source=source).order_by("-published_at")
    assert items.count() == 5
    first = items[0]
    assert first.company == source.company
    assert first.source_type == source.source_type
    assert first.url == http_server.url("/posts/0")  # tracking parameters removed
    assert first.published_at_estimated is False
    assert first.content_text.startswith("Sentence 0")
    source.refresh_from_db()
    assert source.etag == '"v1"'
    assert source.last_success_at is not None
    assert source.consecutive_failures == 0
    assert source.next_fetch_at > timezone.now()


def test_not_modified_answers_write_no_items(http_server, fetcher):
    def conditional(request):
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(status=304, headers={"ETag": '"v1"'})
        return Reply(headers={**FEED, "ETag": '"v1"'}, body=rss(http_server.base_url, 3))

    http_server.add("/feed.xml", conditional)
    source = _feed_source(http_server)
    source_refresh(source_id=source.pk, fetcher=fetcher)
    before = list(NewsItem.objects.values_list("id", "fetched_at"))

    outcome = source_refresh(source_id=source.pk, fetcher=fetcher)

    assert outcome.not_modified is True
    assert outcome.new_items == 0
    assert list(NewsItem.objects.values_list("id", "fetched_at")) == before
    assert http_server.requests_for("/feed.xml")[-1].headers["if-none-match"] == '"v1"'


def test_reingesting_the_same_feed_adds_nothing(http_server, fetcher):
    http_server.add("/feed.xml", Reply(headers=FEED, body=rss(http_server.base_url, 8)))
    source = _feed_source(http_server)
    source_refresh(source_id=source.pk, fetcher=fetcher)
    outcome = source_refresh(source_id=source.pk, fetcher=fetcher)
    assert (outcome.new_items, outcome.duplicates) == (0, 8)
    assert NewsItem.objects.count() == 8


def test_rss_ttl_is_a_lower_bound_for_the_next_fetch(http_server, fetcher):
    http_server.add("/feed.xml", Reply(headers=FEED, body=rss(http_server.base_url, 3, ttl=180)))
    source = _feed_source(http_server)
    source_refresh(source_id=source.pk, fetcher=fetcher)
    source.refresh_from_db()
    assert source.interval >= timedelta(hours=3)


def test_teasers_are_completed_from_the_article_page(http_server, fetcher):
    http_server.add(
        "/feed.xml", Reply(headers=FEED, body=rss(http_server.base_url, 1, teaser=True))
    )
    http_server.add("/posts/0", Reply(headers=HTML, body=article_page("Release 0")))
    source = _feed_source(http_server)
    source_refresh(source_id=source.pk, fetcher=fetcher)
    item = NewsItem.objects.get()
    assert item.needs_full_text is True

    assert item_fetch_full_text(item_id=item.pk, fetcher=fetcher) is True
    item.refresh_from_db()
    assert item.needs_full_text is False
    assert "Sentence 39" in item.content_text
    assert item_fetch_full_text(item_id=item.pk, fetcher=fetcher) is False  # idempotent


def test_listing_pages_are_followed_to_their_articles(http_server, fetcher):
    http_server.add(
        "/news",
        Reply(headers=HTML, body=listing_page(["/news/alpha-launch", "/news/beta-pricing"])),
    )
    http_server.add("/news/alpha-launch", Reply(headers=HTML, body=article_page("Alpha launch")))
    http_server.add(
        "/news/beta-pricing", Reply(headers=HTML, body=article_page("Beta pricing", published=None))
    )
    source = SourceFactory(url=http_server.url("/news"), kind=Source.Kind.HTML)

    outcome = source_refresh(source_id=source.pk, fetcher=fetcher)

    assert (outcome.error, outcome.new_items) == ("", 2)
    alpha = NewsItem.objects.get(title="Alpha launch")
    assert alpha.published_at_estimated is False
    assert alpha.published_at.date().isoformat() == "2026-11-18"
    beta = NewsItem.objects.get(title="Beta pricing")
    assert beta.published_at_estimated is True  # never invented
    assert http_server.requests_for("/about") == []

    source_refresh(source_id=source.pk, fetcher=fetcher)
    assert (
        len(http_server.requests_for("/news/alpha-launch")) == 1
    )  # known articles are not refetched


def test_retry_after_pushes_the_next_fetch_out(http_server, fetcher):
    http_server.add("/feed.xml", Reply(status=503, headers={"Retry-After": "7200"}))
    source = _feed_source(http_server)
    before = timezone.now()
    outcome = source_refresh(source_id=source.pk, fetcher=fetcher)
    source.refresh_from_db()
    assert "503" in outcome.error
    assert source.last_error == outcome.error
    assert source.next_fetch_at >= before + timedelta(hours=2) * (1 - scheduling.JITTER)


def test_failures_back_off_exponentially_and_pause_after_ten(http_server, fetcher):
    http_server.add("/feed.xml", Reply(status=500))
    source = _feed_source(http_server)
    delays = []
    for _ in range(scheduling.MAX_FAILURES_BEFORE_ERROR):
        started = timezone.now()
        source_refresh(source_id=source.pk, fetcher=fetcher)
        source.refresh_from_db()
        delays.append(source.next_fetch_at - started)
    assert source.consecutive_failures == 10
    assert source.status == Source.Status.ERROR
    assert delays[1] > delays[0] * 1.5
    assert delays[4] > delays[1] * 4
    assert max(delays) <= scheduling.MAX_INTERVAL + timedelta(seconds=5)
    # Not fetched again until an operator re-activates it.
    assert source.pk not in sources_claim_due(now=timezone.now() + timedelta(days=30))
    assert source_refresh(source_id=source.pk, fetcher=fetcher).fetched is False


def test_success_resets_the_failure_count(http_server, fetcher):
    http_server.add("/feed.xml", Reply(headers=FEED, body=rss(http_server.base_url, 2)))
    source = _feed_source(http_server, consecutive_failures=4, last_error="HTTP 500")
    source_refresh(source_id=source.pk, fetcher=fetcher)
    source.refresh_from_db()
    assert (source.consecutive_failures, source.last_error) == (0, "")


@pytest.mark.django_db(transaction=True)
def test_a_pause_during_a_failing_fetch_is_kept(http_server, fetcher):
    source = _feed_source(http_server)

    def pause_then_fail(request):
        Source.objects.filter(pk=source.pk).update(status=Source.Status.PAUSED)
        return Reply(status=500)

    http_server.add("/feed.xml", pause_then_fail)
    source_refresh(source_id=source.pk, fetcher=fetcher)
    source.refresh_from_db()
    assert source.status == Source.Status.PAUSED


def test_feeds_with_thousands_of_entries_are_capped_not_rejected(http_server, fetcher):
    http_server.add(
        "/feed.xml", Reply(headers=FEED, body=rss(http_server.base_url, 3000, teaser=True))
    )
    source = _feed_source(http_server)
    outcome = source_refresh(source_id=source.pk, fetcher=fetcher)
    assert outcome.error == ""
    assert outcome.new_items == 500


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title><item><title>x</title>
<link>http://example.com/x</link></item></channel></rss>"""


def _bad_inputs(server):
    server.add("/html", Reply(headers=HTML, body=b"<!doctype html><html><body>Hi</body></html>"))
    server.add("/malformed", Reply(headers=FEED, body=b"<rss><channel><item><title>oops"))
    server.add(
        "/png", Reply(headers={"Content-Type": "image/png"}, body=b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    )
    server.add("/empty", Reply(headers=FEED, body=b""))
    server.add("/bomb", Reply(headers=FEED, body=BOMB))
    server.add(
        "/zip-bomb",
        Reply(headers={**FEED, "Content-Encoding": "gzip"}, body=gzip.compress(b"\0" * (8 << 20))),
    )
    server.add("/drip", Reply(headers=FEED, body=b"<rss>" + b" " * 200, drip_interval=0.2))
    server.redirect("/loop-a", "/loop-b")
    server.redirect("/loop-b", "/loop-a")
    server.add("/missing", Reply(status=404))
    server.add("/broken", Reply(status=500))
    server.add("/latin1", Reply(headers=FEED, body=b"\xff\xfe\x00<\x00r\x00s\x00s"))


BAD_PATHS = {
    "/html": "Not a feed",
    "/malformed": "",
    "/png": "",
    "/empty": "",
    "/bomb": "",
    "/zip-bomb": "larger than",
    "/drip": "Timed out",
    "/loop-a": "",
    "/missing": "404",
    "/broken": "500",
    "/latin1": "",
}


@pytest.mark.parametrize("path", sorted(BAD_PATHS))
def test_bad_input_is_recorded_on_the_source_and_harms_nothing_else(
    http_server, fetcher_factory, path
):
    _bad_inputs(http_server)
    http_server.add("/good.xml", Reply(headers=FEED, body=rss(http_server.base_url, 3)))
    fetcher = fetcher_factory(
        allow_private_hosts=[http_server.allow_entry], max_bytes=1 << 20, total_timeout=1.5
    )
    good = _feed_source(http_server, "/good.xml")
    bad = _feed_source(http_server, path)
    started = timezone.now()

    outcome = source_refresh(source_id=bad.pk, fetcher=fetcher)
    good_outcome = source_refresh(source_id=good.pk, fetcher=fetcher)

    bad.refresh_from_db()
    assert outcome.error
    assert BAD_PATHS[path] in outcome.error
    assert bad.last_error == outcome.error
    assert "Traceback" not in bad.last_error
    assert "Unexpected error" not in bad.last_error
    assert bad.consecutive_failures == 1
    assert bad.status == Source.Status.ACTIVE
    assert bad.next_fetch_at >= started + scheduling.FIRST_BACKOFF * (1 - scheduling.JITTER)
    assert NewsItem.objects.filter(source=bad).count() == 0
    assert good_outcome.new_items == 3


def test_dns_failure_and_tls_errors_are_recorded(
    http_server_factory, tls_certificate, fetcher_factory
):
    def no_dns(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    source = SourceFactory(url="http://feeds.nowhere.test/feed.xml")
    outcome = source_refresh(source_id=source.pk, fetcher=fetcher_factory(resolver=no_dns))
    assert "DNS lookup failed" in outcome.error

    tls_server = http_server_factory(tls=tls_certificate)
    tls_server.add("/feed.xml", Reply(headers=FEED, body=b"<rss/>"))
    tls_source = SourceFactory(url=tls_server.url("/feed.xml"))
    outcome = source_refresh(
        source_id=tls_source.pk,
        fetcher=fetcher_factory(allow_private_hosts=[tls_server.allow_entry]),
    )
    tls_source.refresh_from_db()
    assert "TLS" in outcome.error or "certificate" in outcome.error
    assert tls_source.consecutive_failures == 1


def test_redirects_are_followed_and_the_final_url_is_used(http_server, fetcher):
    http_server.redirect("/old-feed", "/feed.xml", status=301)
    http_server.add("/feed.xml", Reply(headers=FEED, body=rss(http_server.base_url, 2)))
    source = _feed_source(http_server, "/old-feed")
    assert source_refresh(source_id=source.pk, fetcher=fetcher).new_items == 2
    assert redirect("/x").status == 302


@pytest.mark.django_db(transaction=True)
def test_many_sources_refresh_concurrently_on_a_thread_pool(http_server, fetcher):
    from news.services import sources_refresh_many

    for n in range(6):
        http_server.add(
            f"/feed-{n}.xml", Reply(headers=FEED, body=rss(http_server.url(f"/s{n}"), 2))
        )
    ids = [_feed_source(http_server, f"/feed-{n}.xml").pk for n in range(6)]
    seen = []
    outcomes = sources_refresh_many(source_ids=ids, workers=3, fetcher=fetcher, on_done=seen.append)
    assert [outcome.source_id for outcome in outcomes] == ids
    assert len(seen) == 6
    assert NewsItem.objects.count() == 12


@pytest.fixture
def queued_analysis(settings):
    """Tasks go to the real Redis broker instead of running inline; yields a reader of
    the item ids waiting on the ``analysis`` queue."""
    import base64
    import json

    import redis

    from config.celery_app import app

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("analysis")
    app.conf.task_always_eager = False

    def waiting() -> list[list[int]]:
        messages = [json.loads(raw) for raw in client.lrange("analysis", 0, -1)]
        return [json.loads(base64.b64decode(m["body"]))[0][0] for m in messages]

    try:
        yield waiting
    finally:
        app.conf.task_always_eager = True
        client.delete("analysis")
        client.close()


def test_new_items_are_handed_to_the_analysis_queue(http_server, fetcher, queued_analysis):
    http_server.add("/feed.xml", Reply(headers=FEED, body=rss(http_server.base_url, 3)))
    source = _feed_source(http_server)

    source_refresh(source_id=source.pk, fetcher=fetcher)

    stored = sorted(NewsItem.objects.filter(source=source).values_list("id", flat=True))
    assert [sorted(ids) for ids in queued_analysis()] == [stored]
    # Fetching did not wait for analysis: the workers on that queue do it.
    assert NewsItem.objects.filter(source=source, analysed_at__isnull=True).count() == 3


def test_items_stay_pending_when_the_broker_refuses_the_task(
    http_server, fetcher, monkeypatch, caplog
):
    from kombu.exceptions import OperationalError

    from news import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.items_analyse, "delay", broker_down)
    http_server.add("/feed.xml", Reply(headers=FEED, body=rss(http_server.base_url, 2)))
    source = _feed_source(http_server)

    outcome = source_refresh(source_id=source.pk, fetcher=fetcher)

    assert (outcome.error, outcome.new_items) == ("", 2)
    assert NewsItem.objects.filter(source=source, analysed_at__isnull=True).count() == 2
    assert "could not queue analysis of 2 items" in caplog.text
