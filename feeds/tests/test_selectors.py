from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as account_services
from competitors.tests.factories import CompanyFactory, SourceFactory
from feeds.selectors import feed_items, feed_url, sources_opml_entries
from feeds.tests.factories import FeedTokenFactory
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db


def _track(user, *companies, categories=(), scope="tracked"):
    account_services.preferences_update(
        user=user,
        company_ids=[company.pk for company in companies],
        categories=list(categories),
        keywords=[],
        scope=scope,
    )


def test_feed_items_are_the_dashboard_scope_newest_first(user):
    tracked, other = CompanyFactory(), CompanyFactory()
    now = timezone.now()
    own = NewsItemFactory(company=tracked, category="model_release", published_at=now)
    mention = NewsItemFactory(company=other, published_at=now - timedelta(hours=1))
    mention.mentioned_companies.add(tracked)
    NewsItemFactory(company=other)
    NewsItemFactory(company=None)
    _track(user, tracked)

    assert feed_items(user=user) == [own, mention]


def test_feed_items_keep_to_the_interested_categories(user):
    tracked = CompanyFactory()
    wanted = NewsItemFactory(company=tracked, category="model_release")
    NewsItemFactory(company=tracked, category="funding_news")
    _track(user, tracked, categories=["model_release"])

    assert feed_items(user=user) == [wanted]


def test_feed_items_are_everything_for_all_news_or_no_tracked_company(user):
    items = {NewsItemFactory(company=CompanyFactory()) for _ in range(3)}
    assert set(feed_items(user=user)) == items
    _track(user, CompanyFactory(), scope="all")
    assert set(feed_items(user=user)) == items


def test_feed_items_are_capped_and_need_three_queries(user, django_assert_num_queries):
    tracked = CompanyFactory()
    _track(user, tracked)
    for _ in range(4):
        NewsItemFactory(company=tracked, source=SourceFactory(company=tracked))

    with django_assert_num_queries(3):
        items = feed_items(user=user, limit=3)
        assert [item.source.url for item in items]  # related rows come with the items
        assert [item.company.name for item in items]
    assert len(items) == 3


def test_feed_url_is_absolute_and_carries_the_secret(settings):
    settings.SITE_URL = "https://hub.example.com"
    assert feed_url(secret="aif_abc") == "https://hub.example.com/feeds/aif_abc/atom.xml"


def test_opml_entries_cover_every_source_by_company(django_assert_num_queries):
    beta = CompanyFactory(name="beta", website="https://beta.example.com")
    alpha = CompanyFactory(name="Alpha", website="https://alpha.example.com")
    SourceFactory(company=beta, url="https://beta.example.com/rss", name="Beta")
    SourceFactory(company=alpha, url="https://alpha.example.com/rss", name="Alpha")
    SourceFactory(company=None, url="https://loose.example.com/rss", name="Loose")
    paused = SourceFactory(company=alpha, url="https://alpha.example.com/z", name="Zed")
    paused.status = paused.Status.PAUSED
    paused.save()
    FeedTokenFactory()

    with django_assert_num_queries(1):
        entries = sources_opml_entries()

    assert [(entry.company, entry.url) for entry in entries] == [
        ("Alpha", "https://alpha.example.com/rss"),
        ("Alpha", "https://alpha.example.com/z"),
        ("beta", "https://beta.example.com/rss"),
        ("", "https://loose.example.com/rss"),
    ]
    assert entries[0].company_website == "https://alpha.example.com"
    assert entries[0].title == "Alpha"
