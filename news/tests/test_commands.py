import json

import pytest
from django.core.management import CommandError, call_command

from competitors.models import Source
from competitors.tests.factories import CompanyFactory, SourceFactory
from news.models import NewsItem
from news.tests.feed_samples import article_page, listing_page, rss
from news.tests.http_servers import Reply

pytestmark = pytest.mark.django_db

FEED = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _ingest_json(*args):
    from io import StringIO

    out = StringIO()
    call_command("ingest", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_ingest_all_reports_counts_and_errors_as_json(http_server, allow_fetching_from):
    allow_fetching_from(http_server)
    http_server.add("/a.xml", Reply(headers=FEED, body=rss(http_server.base_url, 4)))
    http_server.add("/b.xml", Reply(status=404))
    good = SourceFactory(url=http_server.url("/a.xml"))
    bad = SourceFactory(url=http_server.url("/b.xml"))
    SourceFactory(url=http_server.url("/paused.xml"), status=Source.Status.PAUSED)

    summary = _ingest_json("--all", "--workers", "1")

    assert summary == {
        "sources": 2,
        "fetched": 1,
        "not_modified": 0,
        "new_items": 4,
        "duplicates": 0,
        "errors": [{"source": bad.pk, "url": bad.url, "error": "HTTP 404 Not Found"}],
    }
    assert NewsItem.objects.filter(source=good).count() == 4
    again = _ingest_json("--source", str(good.pk))
    assert (again["new_items"], again["duplicates"]) == (0, 4)


def test_ingest_url_stores_a_single_article_page_as_one_item(http_server, allow_fetching_from):
    allow_fetching_from(http_server)
    http_server.add("/blog/launch", Reply(headers=HTML, body=article_page("We launched")))
    company = CompanyFactory(website=http_server.base_url)

    summary = _ingest_json("--url", http_server.url("/blog/launch"))

    assert (summary["sources"], summary["new_items"], summary["errors"]) == (1, 1, [])
    item = NewsItem.objects.get()
    assert item.title == "We launched"
    assert item.source is None
    assert item.company == company


def test_ingest_url_follows_a_listing_pages_links(http_server, allow_fetching_from):
    allow_fetching_from(http_server)
    http_server.add(
        "/news", Reply(headers=HTML, body=listing_page(["/news/one-thing", "/news/two-thing"]))
    )
    http_server.add("/news/one-thing", Reply(headers=HTML, body=article_page("One")))
    http_server.add("/news/two-thing", Reply(headers=HTML, body=article_page("Two")))
    summary = _ingest_json("--url", http_server.url("/news"))
    assert summary["new_items"] == 2


def test_ingest_url_that_is_refused_is_reported_not_raised():
    summary = _ingest_json("--url", "http://127.0.0.1:9/feed.xml")
    assert summary["new_items"] == 0
    assert "Refused" in summary["errors"][0]["error"]


def test_ingest_usage_errors_fail():
    with pytest.raises(CommandError):
        call_command("ingest", "--source", "999999")
    with pytest.raises(CommandError):
        call_command("ingest", "--url", "ftp://example.com/feed")
    with pytest.raises(CommandError):
        call_command("ingest")


def _add_source(*args):
    from io import StringIO

    out = StringIO()
    call_command("add_source", *args, stdout=out, stderr=StringIO())
    return Source.objects.get(pk=int(out.getvalue().strip()))


def test_add_source_discovers_an_advertised_feed(http_server, allow_fetching_from):
    allow_fetching_from(http_server)
    company = CompanyFactory(name="Discoverable")
    http_server.add(
        "/",
        Reply(
            headers=HTML,
            body=b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
            b"</head><body>Home</body></html>",
        ),
    )
    http_server.add("/feed.xml", Reply(headers=FEED, body=rss(http_server.base_url, 1)))

    source = _add_source(http_server.url("/"), "--company", "discoverable")

    assert source.kind == Source.Kind.FEED
    assert source.url == http_server.url("/feed.xml")
    assert source.company == company
    assert source.name == "Lab blog"
    assert _add_source(http_server.url("/"), "--company", "Discoverable").pk == source.pk


def test_add_source_falls_back_to_an_html_listing(http_server, allow_fetching_from):
    allow_fetching_from(http_server)
    http_server.add("/press", Reply(headers=HTML, body=listing_page(["/press/a-b"])))
    source = _add_source(http_server.url("/press"))
    assert source.kind == Source.Kind.HTML
    assert source.source_type == Source.SourceType.PRESS_RELEASE
    assert source.company is None


def test_add_source_recognises_github_repositories_without_fetching():
    source = _add_source("https://github.com/acme/widget", "--kind", "auto")
    assert source.kind == Source.Kind.GITHUB_RELEASES
    assert source.url == "https://github.com/acme/widget/releases.atom"
    assert source.source_type == Source.SourceType.GITHUB


def test_add_source_rejects_unknown_companies_and_bad_urls():
    with pytest.raises(CommandError, match="no company"):
        call_command("add_source", "https://example.com/feed", "--company", "Nobody")
    with pytest.raises(CommandError, match="not an http"):
        call_command("add_source", "javascript:alert(1)")


def test_load_catalogue_command_is_idempotent():
    from io import StringIO

    call_command("load_catalogue", stdout=StringIO())
    count = Source.objects.count()
    out = StringIO()
    call_command("load_catalogue", stdout=out)
    assert "0 created" in out.getvalue()
    assert Source.objects.count() == count
