from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services
from competitors.tests.factories import CompanyFactory, SourceFactory
from news.dashboard import (
    bar_width,
    category_breakdown,
    dashboard_counters,
    dashboard_for_user,
    dashboard_scope,
    latest_stories,
)
from news.models import NewsItem, Story
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 6, 10, 10, 0, tzinfo=UTC)
HOME = reverse("home")


def _at(day, hour=12):
    return datetime(2024, 6, day, hour, 0, tzinfo=UTC)


def _track(user, *companies, categories=(), scope="tracked"):
    services.preferences_update(
        user=user,
        company_ids=[company.pk for company in companies],
        categories=list(categories),
        keywords=[],
        scope=scope,
    )


# ---------------------------------------------------------------- landing


def test_visitors_get_the_landing_page(client):
    response = client.get(HOME)
    assert response.status_code == 200
    assert "news/landing.html" in [template.name for template in response.templates]
    html = response.content.decode()
    for url in (
        reverse("news:list"),
        reverse("competitors:list"),
        reverse("accounts:signup"),
        reverse("accounts:login"),
    ):
        assert f'href="{url}"' in html


def test_signed_in_users_get_the_dashboard(auth_client):
    response = auth_client.get(HOME)
    assert response.status_code == 200
    assert "news/home.html" in [template.name for template in response.templates]
    assert "style=" not in response.content.decode()


def test_dashboard_rejects_other_methods(auth_client):
    assert auth_client.post(HOME).status_code == 405


def test_unverified_users_are_asked_to_confirm_their_email(client, user):
    user.is_verified = False
    user.save()
    client.force_login(user)
    html = client.get(HOME).content.decode()
    assert "Please confirm your email address" in html
    assert reverse("accounts:resend_verification") in html


# ---------------------------------------------------------------- scope


def _scope_dataset():
    tracked, other, third = CompanyFactory(), CompanyFactory(), CompanyFactory()
    own = NewsItemFactory(company=tracked, category="model_release")
    mention = NewsItemFactory(company=other, category="api_update")
    mention.mentioned_companies.add(tracked, third)
    unrelated = NewsItemFactory(company=other, category="model_release")
    orphan = NewsItemFactory(company=None, category="")
    return tracked, {"own": own, "mention": mention, "unrelated": unrelated, "orphan": orphan}


def test_tracked_scope_covers_own_items_and_mentions(user):
    tracked, items = _scope_dataset()
    _track(user, tracked)
    scope = dashboard_scope(user=user)
    assert not scope.is_everything
    assert not scope.tracks_nothing
    assert set(scope.items) == {items["own"], items["mention"]}
    assert scope.items.count() == 2  # a mention of two companies is not counted twice


def test_tracked_scope_narrows_to_interested_categories(user):
    tracked, items = _scope_dataset()
    _track(user, tracked, categories=["model_release"])
    assert set(dashboard_scope(user=user).items) == {items["own"]}


def test_all_scope_covers_everything(user):
    tracked, items = _scope_dataset()
    _track(user, tracked, categories=["model_release"], scope="all")
    scope = dashboard_scope(user=user)
    assert scope.is_everything
    assert set(scope.items) == set(items.values())


@pytest.mark.parametrize("has_preferences", [False, True])
def test_tracking_nothing_shows_everything_and_a_prompt(auth_client, user, has_preferences):
    _tracked, items = _scope_dataset()
    if has_preferences:
        _track(user, categories=["model_release"])
    scope = dashboard_scope(user=user)
    assert scope.tracks_nothing
    assert set(scope.items) == set(items.values())
    html = auth_client.get(HOME).content.decode()
    assert "Pick the companies you want to follow" in html
    assert reverse("settings:index") + "#preferences" in html


def test_dashboard_never_shows_other_users_scope(client, user):
    tracked, items = _scope_dataset()
    other_user_company = CompanyFactory()
    secret = NewsItemFactory(company=other_user_company, title="Only for the other user")
    from accounts.tests.factories import UserFactory

    _track(UserFactory(), other_user_company)
    _track(user, tracked)
    client.force_login(user)
    html = client.get(HOME).content.decode()
    assert items["own"].title in html
    assert secret.title not in html


# ---------------------------------------------------------------- counters


def test_counters_for_a_known_dataset():
    # Los Angeles is UTC-7 in June: its "today" began at 07:00 UTC.
    tz = ZoneInfo("America/Los_Angeles")
    company = CompanyFactory()
    for published_at, score in [
        (_at(10, 8), 0.1),  # 01:00 local today
        (_at(10, 6), 0.1),  # 23:00 local yesterday, although today in UTC
        (_at(5), 0.85),  # high, within 7 days
        (_at(1), 0.9),  # high, older than 7 days
        (_at(9), 0.79),  # just below high
        (_at(10, 9), 0.8),  # high and today
        (_at(10, 8) + timedelta(days=1), 0.1),  # tomorrow (a future date from a feed)
        (_at(10) - timedelta(days=31), 0.95),  # outside the 30-day window
    ]:
        NewsItemFactory(company=company, published_at=published_at, priority_score=score)
    counters = dashboard_counters(items=NewsItem.objects.all(), now=NOW, tz=tz)
    # The total is of the last 30 days, without future-dated items.
    assert (counters.total, counters.today, counters.high_priority_week) == (6, 2, 2)

    utc = dashboard_counters(items=NewsItem.objects.all(), now=NOW, tz=UTC)
    assert utc.today == 3


def test_counters_of_the_dashboard_page(auth_client, user):
    tracked = CompanyFactory()
    _track(user, tracked)
    now = timezone.now()
    NewsItemFactory(company=tracked, published_at=now, priority_score=0.95)
    NewsItemFactory(company=tracked, published_at=now - timedelta(days=3), priority_score=0.2)
    NewsItemFactory(company=CompanyFactory(), published_at=now, priority_score=0.95)
    dashboard = auth_client.get(HOME).context["dashboard"]
    assert dashboard.counters.total == 2
    assert dashboard.counters.high_priority_week == 1
    assert dashboard.counters.today in {1, 2}  # 2 only when run just after midnight UTC


# ---------------------------------------------------------------- breakdown


def test_category_breakdown_of_the_last_30_days():
    company = CompanyFactory()
    for category, count in [("model_release", 5), ("pricing_change", 3), ("", 1), ("gone", 1)]:
        for _ in range(count):
            NewsItemFactory(company=company, category=category, published_at=_at(5))
    NewsItemFactory(company=company, category="acquisition", published_at=NOW - timedelta(days=31))

    total, shares = category_breakdown(items=NewsItem.objects.all(), now=NOW)

    assert total == 10
    assert [(share.value, share.count, share.percent, share.bar_width) for share in shares] == [
        ("model_release", 5, 50, 50),
        ("pricing_change", 3, 30, 30),
        ("", 2, 20, 20),  # uncategorised and unknown values are both "Other"
    ]
    assert [str(share.label) for share in shares] == ["Model release", "Pricing change", "Other"]
    assert shares[0].emoji == "🤖"
    assert shares[2].slug == "other"


@pytest.mark.parametrize(
    ("share", "width"),
    [(0, 0), (0.001, 5), (0.024, 5), (0.026, 5), (0.33, 35), (0.5, 50), (1, 100)],
)
def test_bar_width_buckets(share, width):
    assert bar_width(share) == width


def test_breakdown_renders_accessible_bars(auth_client):
    for _ in range(3):
        NewsItemFactory(category="model_release")
    NewsItemFactory(category="funding_news")
    html = auth_client.get(HOME).content.decode()
    assert '<span class="breakdown-bar-fill w-75"></span>' in html
    assert '<span class="breakdown-bar-fill w-25"></span>' in html
    assert "75%" in html
    assert reverse("news:category", args=["model_release"]) in html


# ---------------------------------------------------------------- latest stories


def test_latest_stories_group_items_and_show_the_canonical_one():
    company = CompanyFactory()
    story = Story.objects.create(title="Acme launches Rocket", first_seen_at=_at(1))
    news_site = SourceFactory(source_type="news_site")
    coverage = NewsItemFactory(
        story=story,
        company=company,
        source=news_site,
        source_type="news_site",
        published_at=_at(1),
        title="Report: Acme launches Rocket",
    )
    official = NewsItemFactory(
        story=story,
        company=company,
        source_type="blog",
        published_at=_at(2),
        title="Introducing Rocket",
        category="model_release",
    )
    NewsItemFactory(
        story=story,
        company=company,
        source_type="news_site",
        published_at=_at(5),
        title="Rocket reviewed",
    )
    NewsItemFactory(story=story, company=company, source=None, published_at=_at(3))
    standalone = NewsItemFactory(company=company, published_at=_at(4), title="Acme hires")

    cards = latest_stories(items=NewsItem.objects.all())

    assert [card.item for card in cards] == [official, standalone]
    assert cards[0].sources == 4
    assert cards[0].updated_at == _at(5)
    assert cards[0].category_label == "Model release"
    assert cards[1].sources == 1
    assert coverage not in [card.item for card in cards]


def test_latest_stories_stop_at_ten():
    company = CompanyFactory()
    items = [NewsItemFactory(company=company, published_at=_at(1, hour)) for hour in range(12)]
    cards = latest_stories(items=NewsItem.objects.all())
    assert [card.item for card in cards] == items[::-1][:10]


def test_story_card_markup(auth_client, user):
    user.timezone = "Europe/Berlin"
    user.save()
    company = CompanyFactory(name="Acme AI", slug="acme-ai")
    story = Story.objects.create(title="Rocket")
    item = NewsItemFactory(
        story=story,
        company=company,
        title="Introducing Rocket",
        category="model_release",
        priority_score=0.9,
        published_at=datetime(2024, 1, 15, 9, 30, tzinfo=UTC),
    )
    NewsItemFactory(
        story=story,
        company=company,
        source_type="news_site",
        published_at=datetime(2024, 1, 15, 11, 0, tzinfo=UTC),
    )
    html = auth_client.get(HOME).content.decode()
    assert f'<a href="{reverse("news:detail", args=[item.pk])}">Introducing Rocket</a>' in html
    assert reverse("competitors:detail", args=["acme-ai"]) in html
    assert "Covered by 2 sources" in html
    assert '<span class="badge badge-priority-high">High priority</span>' in html
    assert 'datetime="2024-01-15T12:00:00+01:00"' in html
    assert 'title="15 Jan 2024, 12:00 (Europe/Berlin)"' in html


# ---------------------------------------------------------------- query count

# session, user, preferences, tracked ids, counts, window, stories, items
EXPECTED_QUERIES = 8
# The header's unread-alerts count, read on a session's first page and then cached.
BELL = 1


@pytest.mark.parametrize("size", [10, 200])
def test_dashboard_query_count_is_constant(auth_client, user, django_assert_num_queries, size):
    tracked, other = CompanyFactory(), CompanyFactory()
    _track(user, tracked, categories=["model_release", "api_update", "funding_news"])
    sources = [SourceFactory(company=tracked) for _ in range(3)]
    now = timezone.now()
    stories = [Story.objects.create(title=f"Story {n}") for n in range(size // 4)]
    batch = []
    for n in range(size):
        batch.append(
            NewsItem(
                title=f"Item {n}",
                url=f"https://example.com/{size}/{n}",
                company=tracked if n % 3 else other,
                source=sources[n % 3],
                published_at=now - timedelta(hours=n),
                category=["model_release", "api_update", "funding_news", ""][n % 4],
                priority_score=(n % 10) / 10,
                story=stories[n // 2] if n < len(stories) * 2 else None,
            )
        )
    created = NewsItem.objects.bulk_create(batch)
    for item in created[::5]:
        item.mentioned_companies.add(tracked)

    with django_assert_num_queries(EXPECTED_QUERIES + BELL):
        response = auth_client.get(HOME)
    assert response.status_code == 200
    assert response.context["dashboard"].stories


@pytest.mark.parametrize("size", [10, 200])
def test_everything_scope_query_count_is_constant(auth_client, django_assert_num_queries, size):
    company = CompanyFactory()
    source = SourceFactory(company=company)
    now = timezone.now()
    NewsItem.objects.bulk_create(
        NewsItem(
            title=f"Item {n}",
            url=f"https://example.com/all/{n}",
            company=company,
            source=source,
            published_at=now - timedelta(hours=n),
        )
        for n in range(size)
    )
    # No story among the newest items, and no tracked ids to read for "everything":
    # the story and tracked-ids queries are skipped.
    with django_assert_num_queries(EXPECTED_QUERIES - 2 + BELL):
        auth_client.get(HOME)


def test_dashboard_for_user_with_no_data(user):
    dashboard = dashboard_for_user(user=user, now=NOW)
    assert dashboard.counters.total == 0
    assert dashboard.breakdown == []
    assert dashboard.stories == []
    assert dashboard.scope.tracks_nothing


# ---------------------------------------------------------------- caching


def test_figures_are_reused_for_a_minute_and_recomputed_when_preferences_change(
    auth_client, user, django_assert_num_queries
):
    tracked, other = CompanyFactory(name="Tracked Labs"), CompanyFactory(name="Other Labs")
    _track(user, tracked)
    NewsItemFactory(company=tracked, title="Tracked ships a model")
    NewsItemFactory(company=other, title="Other ships a model")
    first = auth_client.get(HOME).content.decode()
    assert "Tracked ships a model" in first

    # Cached: only the session, user and preferences queries remain (the tracked ids
    # are read only to compute the figures).
    NewsItemFactory(company=tracked, title="Tracked ships another model")
    with django_assert_num_queries(EXPECTED_QUERIES - 5):
        cached = auth_client.get(HOME).content.decode()
    assert "Tracked ships another model" not in cached

    # Following a company changes the preferences' version: figures start afresh.
    services.company_follow_set(user=user, company_id=other.pk, following=True)
    fresh = auth_client.get(HOME).content.decode()
    assert "Tracked ships another model" in fresh
    assert "Other ships a model" in fresh


def test_cached_figures_are_per_user(client, django_assert_num_queries):
    from accounts.tests.factories import UserFactory

    first, second = UserFactory(), UserFactory()
    company_a, company_b = CompanyFactory(), CompanyFactory()
    _track(first, company_a)
    _track(second, company_b)
    NewsItemFactory(company=company_a, title="Only for the first user")
    NewsItemFactory(company=company_b, title="Only for the second user")

    client.force_login(first)
    assert "Only for the first user" in client.get(HOME).content.decode()
    client.force_login(second)
    page = client.get(HOME).content.decode()
    assert "Only for the second user" in page
    assert "Only for the first user" not in page
