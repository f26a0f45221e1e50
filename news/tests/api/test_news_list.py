from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from accounts.services import company_follow_set
from accounts.tests.factories import UserFactory
from competitors.models import Source
from competitors.tests.factories import CompanyFactory
from news.api.pagination import news_cursor_value
from news.api.serializers import NewsItemSerializer
from news.categories import Category
from news.item_states import item_state_set_favourite, item_state_set_read
from news.models import NewsItem, Story
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

URL = reverse("api:news-list")
NOW = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


def _at(hours_ago: float) -> datetime:
    return NOW - timedelta(hours=hours_ago)


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _all_pages(client, url: str) -> list[int]:
    ids: list[int] = []
    while url:
        response = client.get(url)
        ids += _ids(response)
        url = response.json()["next"]
    return ids


def _b64(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


# ---------------------------------------------------------------- access and shape


def test_anonymous_gets_401_in_the_error_format(api_client):
    NewsItemFactory()

    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_lists_items_newest_first_with_the_users_own_flags(token_client):
    story = Story.objects.create(title="Launch")
    older = NewsItemFactory(published_at=_at(2), category=Category.MODEL_RELEASE, story=story)
    newer = NewsItemFactory(published_at=_at(1), priority_score=0.85)
    NewsItemFactory(published_at=_at(3), story=story, source=None)
    item_state_set_read(user=token_client.account, item_id=older.pk, read=True)
    item_state_set_favourite(user=UserFactory(), item_id=newer.pk, favourite=True)

    body = token_client.get(URL).json()

    rows = body["results"]
    assert [row["id"] for row in rows][:2] == [newer.pk, older.pk]
    first, second = rows[0], rows[1]
    assert first["priority_level"] == "high"
    assert first["category"] is None
    assert first["favourite"] is False  # another user's favourite
    assert second["read"] is True
    assert second["category"] == "model_release"
    assert second["coverage"] == 2  # two distinct sources in its story
    assert second["story_id"] == story.pk
    assert second["company"] == {"slug": older.company.slug, "name": older.company.name}
    assert second["source"]["id"] == older.source_id
    assert second["published_at"] == older.published_at.astimezone(UTC).isoformat().replace(
        "+00:00", "Z"
    )
    assert rows[2]["source"] is None
    assert body["previous"] is None
    assert body["next"] is None


@pytest.mark.parametrize("full", [True, False])
def test_list_rows_hold_the_declared_fields_as_the_detail_renders_them(token_client, full):
    story = Story.objects.create(title="Launch")
    extra = {"category": Category.MODEL_RELEASE, "story": story} if full else {"source": None}
    item = NewsItemFactory(
        published_at=datetime(2026, 5, 1, 8, 30, 15, 123456, tzinfo=UTC),
        priority_score=0.65,
        **extra,
    )
    if full:
        NewsItemFactory(story=story, published_at=_at(1000))
        item_state_set_read(user=token_client.account, item_id=item.pk, read=True)

    row = next(row for row in token_client.get(URL).json()["results"] if row["id"] == item.pk)
    detail = token_client.get(reverse("api:news-detail", args=[item.pk])).json()

    declared = set(NewsItemSerializer().fields)
    assert set(row) == declared
    shared = declared - {"coverage"}
    assert {name: row[name] for name in shared} == {name: detail[name] for name in shared}
    assert row["published_at"] == "2026-05-01T08:30:15.123456Z"
    assert row["priority_level"] == "medium"


# ---------------------------------------------------------------- pagination


def test_cursor_pages_cover_every_item_once_even_with_equal_times(token_client):
    same = _at(5)
    items = [NewsItemFactory(published_at=same) for _ in range(5)]
    items += [NewsItemFactory(published_at=_at(hours)) for hours in (1, 2, 9)]
    expected = [
        item.pk
        for item in sorted(items, key=lambda item: (item.published_at, item.pk), reverse=True)
    ]

    assert _all_pages(token_client, f"{URL}?page_size=2") == expected


def test_previous_link_returns_to_the_page_before(token_client):
    for hours in range(6):
        NewsItemFactory(published_at=_at(hours))
    first = token_client.get(f"{URL}?page_size=2").json()
    second = token_client.get(first["next"]).json()

    back = token_client.get(second["previous"]).json()

    assert [row["id"] for row in back["results"]] == [row["id"] for row in first["results"]]
    assert back["previous"] is None
    assert back["next"] is not None


def test_new_items_do_not_shift_the_next_page(token_client):
    for hours in range(1, 5):
        NewsItemFactory(published_at=_at(hours))
    first = token_client.get(f"{URL}?page_size=2").json()
    expected_second = [item.pk for item in NewsItem.objects.order_by("-published_at")[2:4]]
    NewsItemFactory(published_at=NOW)

    assert _ids(token_client.get(first["next"])) == expected_second


def test_the_next_link_keeps_the_filters(token_client):
    company = CompanyFactory()
    mine = [NewsItemFactory(company=company, published_at=_at(h)) for h in range(3)]
    NewsItemFactory(published_at=_at(0.5))

    ids = _all_pages(token_client, f"{URL}?company={company.slug}&page_size=1")

    assert ids == [item.pk for item in mine]


def test_a_cursor_for_an_item_continues_after_it(token_client):
    items = [NewsItemFactory(published_at=_at(hours)) for hours in range(4)]

    response = token_client.get(URL, {"cursor": news_cursor_value(item=items[1])})

    assert _ids(response) == [items[2].pk, items[3].pk]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        _b64("p=not-a-position"),
        _b64("o=5"),  # DRF's offset-only cursor
        _b64("r=1"),
        base64.b64encode(b"\xff\xfe").decode(),
        "ü",
    ],
)
def test_a_bad_cursor_is_a_400_on_the_cursor_field(token_client, cursor):
    NewsItemFactory()

    response = token_client.get(URL, {"cursor": cursor})

    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]


@pytest.mark.parametrize("size", ["0", "-1", "201", "abc", "1.5"])
def test_a_bad_page_size_is_a_400(token_client, size):
    response = token_client.get(URL, {"page_size": size})

    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["fields"]


def test_page_size_limits_the_page(token_client):
    for hours in range(3):
        NewsItemFactory(published_at=_at(hours))

    body = token_client.get(URL, {"page_size": "2"}).json()

    assert len(body["results"]) == 2
    assert body["next"] is not None


# ---------------------------------------------------------------- filters


def test_company_filter_takes_several_slugs(token_client):
    openai, anthropic = CompanyFactory(slug="openai"), CompanyFactory(slug="anthropic")
    a = NewsItemFactory(company=openai, published_at=_at(1))
    b = NewsItemFactory(company=anthropic, published_at=_at(2))
    NewsItemFactory(published_at=_at(3))

    assert _ids(token_client.get(f"{URL}?company=openai&company=anthropic")) == [a.pk, b.pk]


def test_an_unknown_company_is_a_400_naming_it(token_client):
    CompanyFactory(slug="openai")

    response = token_client.get(f"{URL}?company=openai&company=nobody")

    assert response.status_code == 400
    assert "nobody" in response.json()["error"]["fields"]["company"][0]


def test_category_filter_with_other_for_uncategorised(token_client):
    model = NewsItemFactory(category=Category.MODEL_RELEASE, published_at=_at(1))
    plain = NewsItemFactory(category="", published_at=_at(2))
    NewsItemFactory(category=Category.FUNDING_NEWS, published_at=_at(3))

    assert _ids(token_client.get(f"{URL}?category=model_release&category=other")) == [
        model.pk,
        plain.pk,
    ]


def test_source_type_and_min_priority_filters(token_client):
    wanted = NewsItemFactory(source_type=Source.SourceType.GITHUB, priority_score=0.7)
    NewsItemFactory(source_type=Source.SourceType.GITHUB, priority_score=0.5)
    NewsItemFactory(source_type=Source.SourceType.BLOG, priority_score=0.9)

    response = token_client.get(URL, {"source_type": "github", "min_priority": "0.7"})

    assert _ids(response) == [wanted.pk]


def test_dates_cover_whole_utc_days(token_client):
    inside = [
        NewsItemFactory(published_at=datetime(2026, 3, 2, 0, 0, tzinfo=UTC)),
        NewsItemFactory(published_at=datetime(2026, 3, 3, 23, 59, 59, tzinfo=UTC)),
    ]
    NewsItemFactory(published_at=datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC))
    NewsItemFactory(published_at=datetime(2026, 3, 4, 0, 0, tzinfo=UTC))

    response = token_client.get(URL, {"since": "2026-03-02", "until": "2026-03-03"})

    assert sorted(_ids(response)) == sorted(item.pk for item in inside)


def test_date_times_are_inclusive_bounds_and_naive_means_utc(token_client):
    at_since = NewsItemFactory(published_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    at_until = NewsItemFactory(published_at=datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    NewsItemFactory(published_at=datetime(2026, 3, 2, 11, 0, 1, tzinfo=UTC))
    NewsItemFactory(published_at=datetime(2026, 3, 2, 9, 29, tzinfo=UTC))

    # 13:00+02:00 is 11:00 UTC; the "+" left unencoded arrives as a space.
    response = token_client.get(f"{URL}?since=2026-03-02T09:30:00&until=2026-03-02T13:00:00+02:00")

    assert _ids(response) == [at_until.pk, at_since.pk]


def test_until_before_since_is_a_400(token_client):
    response = token_client.get(URL, {"since": "2026-03-02", "until": "2026-03-01"})

    assert response.status_code == 400
    assert "until" in response.json()["error"]["fields"]


def test_tracked_only_lists_the_requesting_users_companies(token_client):
    followed, other = CompanyFactory(), CompanyFactory()
    company_follow_set(user=token_client.account, company_id=followed.pk, following=True)
    company_follow_set(user=UserFactory(), company_id=other.pk, following=True)
    mine = NewsItemFactory(company=followed)
    NewsItemFactory(company=other)

    assert _ids(token_client.get(URL, {"tracked_only": "true"})) == [mine.pk]
    assert len(_ids(token_client.get(URL, {"tracked_only": "false"}))) == 2


def test_tracked_only_with_companies_lists_the_tracked_ones_among_them(token_client):
    tracked, untracked, also_tracked = CompanyFactory(), CompanyFactory(), CompanyFactory()
    for company in (tracked, also_tracked):
        company_follow_set(user=token_client.account, company_id=company.pk, following=True)
    items = {company: NewsItemFactory(company=company) for company in (tracked, untracked)}
    NewsItemFactory(company=also_tracked)

    both = {"company": [tracked.slug, untracked.slug], "tracked_only": "true"}
    assert _ids(token_client.get(URL, both)) == [items[tracked].pk]
    assert _ids(token_client.get(URL, {"company": untracked.slug, "tracked_only": "true"})) == []


def test_tracked_only_without_tracked_companies_is_an_empty_page(token_client):
    NewsItemFactory()

    response = token_client.get(URL, {"tracked_only": "true"})

    assert _ids(response) == []
    assert response.json()["next"] is None


def test_full_text_search_with_other_filters(token_client):
    company = CompanyFactory()
    hit = NewsItemFactory(title="Quantum tokenizer released", company=company)
    NewsItemFactory(title="Quantum tokenizer benchmark")  # another company
    NewsItemFactory(title="Pricing update", company=company)

    response = token_client.get(URL, {"q": "quantum tokenizer", "company": company.slug})

    assert _ids(response) == [hit.pk]


def test_search_results_page_with_the_cursor(token_client):
    hits = [NewsItemFactory(title=f"Robotics item {n}", published_at=_at(n)) for n in range(3)]
    NewsItemFactory(title="Unrelated")

    assert _all_pages(token_client, f"{URL}?q=robotics&page_size=2") == [item.pk for item in hits]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("min_priority", "2"),
        ("min_priority", "high"),
        ("min_priority", "nan"),
        ("category", "gossip"),
        ("source_type", "fax"),
        ("tracked_only", "maybe"),
        ("since", "2026-13-01"),
        ("since", "yesterday"),
        ("until", "1800-01-01"),
        ("company", "Not a slug!"),
        ("q", "x" * 201),
        ("q", "nul\x00byte"),
    ],
)
def test_bad_values_are_400_with_the_field_named(token_client, name, value):
    response = token_client.get(URL, {name: value})

    assert response.status_code == 400
    assert name in response.json()["error"]["fields"]


# ---------------------------------------------------------------- queries


@pytest.mark.parametrize("count", [2, 30])
def test_the_query_count_does_not_grow_with_the_page(
    token_client, django_assert_num_queries, count
):
    user = token_client.account
    companies = [CompanyFactory(), CompanyFactory()]
    for company in companies:
        company_follow_set(user=user, company_id=company.pk, following=True)
    for n in range(count):
        story = Story.objects.create(title=f"Story {n}")
        item = NewsItemFactory(story=story, company=companies[n % 2])
        NewsItemFactory(story=story, category=Category.FUNDING_NEWS)
        item_state_set_read(user=user, item_id=item.pk, read=True)
        item_state_set_favourite(user=user, item_id=item.pk, favourite=True)
    token_client.get(URL)  # the token's first use is recorded once
    params = {
        "company": [company.slug for company in companies],
        "tracked_only": "true",
        "page_size": "200",
    }

    # The token, the company slugs, the user's tracked companies, the page, and the
    # user's flags with the stories' coverage.
    with django_assert_num_queries(5):
        response = token_client.get(URL, params)

    rows = response.json()["results"]
    assert len(rows) == count
    assert all(row["read"] and row["favourite"] and row["coverage"] == 2 for row in rows)


@pytest.mark.parametrize(
    "query",
    ["", "page_size=10", "cursor=", "page_size=10&format=json"],
)
def test_a_request_without_filters_reads_the_serializers_unfiltered_query(rf, query):
    from rest_framework.request import Request

    from news.api.views import FILTER_PARAMETERS, _filters, news_query

    request = Request(rf.get(f"/api/v1/news/?{query}"))

    assert news_query(request) == _filters(request).news_query()
    assert {
        "company",
        "category",
        "source_type",
        "min_priority",
        "since",
        "until",
        "tracked_only",
        "q",
    } == FILTER_PARAMETERS


@pytest.mark.parametrize("query", ["tracked_only=maybe", "min_priority=2", "q=" + "x" * 500])
def test_any_filter_parameter_goes_through_validation(rf, query):
    from rest_framework.exceptions import ValidationError
    from rest_framework.request import Request

    from news.api.views import news_query

    with pytest.raises(ValidationError):
        news_query(Request(rf.get(f"/api/v1/news/?{query}")))
