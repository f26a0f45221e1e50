"""The insights API: comparing companies, their themes, one company's activity and
similar companies. The metrics themselves are tested with their modules
(activity, themes, similarity); these tests hold the shapes, a few exact values,
validation, permissions and query counts."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from competitors.activity import Period, company_activity
from competitors.charts import CATEGORY_KEYS
from competitors.models import Company
from competitors.tests.factories import CompanyFactory, SourceFactory
from news.categories import Category
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

COMPARE_URL = reverse("api:competitors-compare")
THEMES_URL = reverse("api:competitors-themes")
# A Saturday to the Monday nine days later: three partial or whole weeks.
MARCH = {"date_from": "2025-03-01", "date_to": "2025-03-10"}


def _at(day, hour=12, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _activity_url(slug):
    return reverse("api:company-activity", args=[slug])


def _similar_url(slug):
    return reverse("api:company-similar", args=[slug])


def _fields(response):
    body = response.json()
    assert body["error"]["status"] == response.status_code == 400
    assert body["error"]["code"] == "invalid"
    return body["error"]["fields"]


@pytest.fixture
def alpha():
    return CompanyFactory(name="Alpha", slug="alpha", segment=Company.Segment.PLATFORM)


@pytest.fixture
def beta():
    return CompanyFactory(name="Beta", slug="beta", segment=Company.Segment.PLATFORM)


@pytest.fixture
def march_items(alpha):
    """Alpha's items around March 2025: four inside MARCH, two just outside."""
    return {
        "release": NewsItemFactory(
            company=alpha,
            title="Alpha Model 3",
            url="https://alpha.example/model-3",
            category=Category.MODEL_RELEASE,
            priority_score=0.9,
            published_at=_at(date(2025, 3, 1)),
        ),
        "minor": NewsItemFactory(
            company=alpha,
            category=Category.MODEL_RELEASE,
            priority_score=0.5,
            published_at=_at(date(2025, 3, 3), 9),
        ),
        "api": NewsItemFactory(
            company=alpha,
            category=Category.API_UPDATE,
            priority_score=0.7,
            published_at=_at(date(2025, 3, 10), 23, 59),
        ),
        "other": NewsItemFactory(
            company=alpha, category="", priority_score=0.2, published_at=_at(date(2025, 3, 5))
        ),
        "before": NewsItemFactory(
            company=alpha,
            category=Category.API_UPDATE,
            priority_score=1.0,
            published_at=_at(date(2025, 2, 28), 23, 59),
        ),
        "after": NewsItemFactory(
            company=alpha,
            category=Category.API_UPDATE,
            priority_score=1.0,
            published_at=_at(date(2025, 3, 11), 0, 0),
        ),
    }


# ---------------------------------------------------------------- compare


def test_compare(token_client, alpha, beta, march_items):
    response = token_client.post(COMPARE_URL, {"companies": ["beta", "alpha"], **MARCH})

    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {"date_from": "2025-03-01", "date_to": "2025-03-10", "days": 10}
    assert [company["slug"] for company in body["companies"]] == ["beta", "alpha"]
    quiet, busy = body["companies"]

    assert busy["name"] == "Alpha"
    assert busy["total"] == 4
    categories = busy["categories"]
    assert [row["category"] for row in categories] == [*Category.values, None]
    assert len(categories) == len(CATEGORY_KEYS)
    by_category = {row["category"]: (row["count"], row["share"]) for row in categories}
    assert by_category["model_release"] == (2, 0.5)
    assert by_category["api_update"] == (1, 0.25)
    assert by_category[None] == (1, 0.25)
    assert by_category["pricing_change"] == (0, 0.0)
    assert len(busy["daily"]) == 10
    assert busy["daily"][0] == {"date": "2025-03-01", "count": 1}
    assert busy["daily"][-1] == {"date": "2025-03-10", "count": 1}
    assert sum(day["count"] for day in busy["daily"]) == 4
    assert busy["weekly"] == [
        {"week_start": "2025-02-24", "count": 1},
        {"week_start": "2025-03-03", "count": 2},
        {"week_start": "2025-03-10", "count": 1},
    ]
    release = march_items["release"]
    assert busy["top_items"][0] == {
        "id": release.pk,
        "title": "Alpha Model 3",
        "url": "https://alpha.example/model-3",
        "published_at": "2025-03-01T12:00:00Z",
        "category": "model_release",
        "priority": 0.9,
    }
    assert [item["id"] for item in busy["top_items"]] == [
        march_items[key].pk for key in ("release", "api", "minor", "other")
    ]
    assert busy["top_items"][-1]["category"] is None
    score = busy["score"]
    assert set(score) == {"score", "volume", "diversity", "recency", "priority"}
    assert score["priority"] == pytest.approx(0.575)
    # The API shows the activity module's own numbers.
    expected = company_activity(
        company=alpha, period=Period(date(2025, 3, 1), date(2025, 3, 10), UTC)
    ).score
    assert score["score"] == expected.score
    assert score["volume"] == pytest.approx(expected.volume, abs=1e-4)

    assert quiet["total"] == 0
    assert quiet["top_items"] == []
    assert quiet["score"] == {
        "score": 0,
        "volume": 0.0,
        "diversity": 0.0,
        "recency": 0.0,
        "priority": 0.0,
    }
    assert {row["share"] for row in quiet["categories"]} == {0.0}


def test_compare_defaults_to_the_last_30_utc_days(token_client, alpha, beta):
    today = timezone.now().astimezone(UTC).date()
    NewsItemFactory(company=alpha, published_at=_at(today))
    NewsItemFactory(company=alpha, published_at=_at(today - timedelta(days=29)))
    NewsItemFactory(company=alpha, published_at=_at(today - timedelta(days=30)))

    body = token_client.post(COMPARE_URL, {"companies": ["alpha", "beta"]}).json()

    assert body["period"] == {
        "date_from": (today - timedelta(days=29)).isoformat(),
        "date_to": today.isoformat(),
        "days": 30,
    }
    assert body["companies"][0]["total"] == 2


def test_compare_leaves_retired_companies_out(token_client, alpha):
    CompanyFactory(name="Retired", slug="retired", active=False)

    response = token_client.post(COMPARE_URL, {"companies": ["alpha", "retired"]})

    assert response.status_code == 400
    assert _fields(response) == {"companies": ["No listed company has the slug “retired”."]}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"companies": ["alpha"]}, {"companies"}),
        ({"companies": ["alpha", "beta", "c1", "c2", "c3", "c4"]}, {"companies"}),
        ({"companies": ["alpha", "beta", "alpha"]}, {"companies"}),
        ({"companies": ["alpha", "nobody"]}, {"companies"}),
        ({"companies": ["alpha", "a\u0000b"]}, {"companies"}),
        ({"companies": []}, {"companies"}),
        ({"companies": "alpha,beta"}, {"companies"}),
        ({}, {"companies"}),
        ({"date_from": "2025-03-01"}, {"date_to"}),
        ({"date_to": "2025-03-01"}, {"date_from"}),
        ({"date_from": "March", "date_to": "2025-03-01"}, {"date_from"}),
        ({"date_from": "2025-03-02", "date_to": "2025-03-01"}, {"date_to"}),
        ({"date_from": "2024-01-01", "date_to": "2025-01-01"}, {"date_to"}),
        ({"date_from": "0001-01-01", "date_to": "0001-01-02"}, {"date_from", "date_to"}),
        ({"date_from": "9999-12-31", "date_to": "9999-12-31"}, {"date_from", "date_to"}),
    ],
)
@pytest.mark.parametrize("url", [COMPARE_URL, THEMES_URL])
def test_compare_and_themes_validation(token_client, alpha, beta, url, body, fields):
    # Dates alone come with two valid companies, so only the dates are wrong.
    for n in range(1, 5):
        CompanyFactory(name=f"C{n}", slug=f"c{n}")
    request = body if "companies" in fields else {"companies": ["alpha", "beta"], **body}

    response = token_client.post(url, request)

    assert response.status_code == 400
    assert set(_fields(response)) == fields


def test_messages_name_the_problem(token_client, alpha, beta):
    def companies_error(slugs):
        return _fields(token_client.post(COMPARE_URL, {"companies": slugs}))["companies"]

    assert companies_error(["alpha"]) == ["Give from 2 to 5 companies, not 1."]
    assert companies_error(["beta", "alpha", "beta"]) == [
        "Each company may be given only once: beta."
    ]
    assert companies_error(["alpha", "nobody", "beta", "ghost"]) == [
        "No listed company has the slug “nobody”.",
        "No listed company has the slug “ghost”.",
    ]
    long = {"companies": ["alpha", "beta"], "date_from": "2024-01-01", "date_to": "2025-01-01"}
    assert _fields(token_client.post(COMPARE_URL, long)) == {
        "date_to": ["A range can span at most 366 days."]
    }
    # 366 days is the most there is.
    longest = {**long, "date_to": "2024-12-31"}
    assert token_client.post(COMPARE_URL, longest).json()["period"]["days"] == 366


def test_compare_queries_do_not_grow_with_the_companies(token_client):
    companies = [CompanyFactory(name=f"Company {n}", slug=f"company-{n}") for n in range(5)]
    for company in companies:
        NewsItemFactory.create_batch(3, company=company, published_at=_at(date(2025, 3, 4)))

    def queries(slugs):
        with CaptureQueriesContext(connection) as captured:
            response = token_client.post(COMPARE_URL, {"companies": slugs, **MARCH})
        assert response.status_code == 200
        assert len(response.json()["companies"]) == len(slugs)
        return len(captured)

    queries(["company-0", "company-1"])  # the token's first use records when it was used
    assert queries(["company-0", "company-1"]) == queries([c.slug for c in companies])


def test_compare_and_themes_need_credentials(api_client, alpha, beta):
    for url in (COMPARE_URL, THEMES_URL):
        response = api_client.post(url, {"companies": ["alpha", "beta"]})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


def test_compare_is_throttled_like_the_rest_of_the_api(token_client, settings, alpha, beta):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": "2/minute"}
    body = {"companies": ["alpha", "beta"], **MARCH}

    statuses = [token_client.post(COMPARE_URL, body).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# ---------------------------------------------------------------- themes


def test_themes(token_client, alpha, beta):
    first = NewsItemFactory(
        company=alpha,
        title="Alpha agents",
        url="https://alpha.example/agents",
        keywords=["agent", "voice mode"],
        priority_score=0.9,
        published_at=_at(date(2025, 3, 2)),
    )
    second = NewsItemFactory(
        company=alpha,
        keywords=["agent", "voice mode"],
        priority_score=0.5,
        published_at=_at(date(2025, 3, 4)),
    )
    third = NewsItemFactory(
        company=beta,
        keywords=["agent", "robot arm"],
        priority_score=0.6,
        published_at=_at(date(2025, 3, 5)),
    )

    response = token_client.post(THEMES_URL, {"companies": ["beta", "alpha"], **MARCH})

    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {"date_from": "2025-03-01", "date_to": "2025-03-10", "days": 10}
    assert body["shared"] == [
        {
            "key": "agent",
            "label": "agent",
            "companies": ["alpha", "beta"],
            "counts": [{"company": "alpha", "count": 2}, {"company": "beta", "count": 1}],
            "items": 3,
            "examples": [
                {
                    "id": first.pk,
                    "title": "Alpha agents",
                    "url": "https://alpha.example/agents",
                    "company": "alpha",
                    "published_at": "2025-03-02T12:00:00Z",
                },
                {
                    "id": third.pk,
                    "title": third.title,
                    "url": third.url,
                    "company": "beta",
                    "published_at": "2025-03-05T12:00:00Z",
                },
                {
                    "id": second.pk,
                    "title": second.title,
                    "url": second.url,
                    "company": "alpha",
                    "published_at": "2025-03-04T12:00:00Z",
                },
            ],
        }
    ]
    # Every company, in the order asked for; one item is not a theme of its own.
    assert [row["company"] for row in body["unique"]] == ["beta", "alpha"]
    assert body["unique"][0]["themes"] == []
    (voice,) = body["unique"][1]["themes"]
    assert (voice["key"], voice["companies"], voice["items"]) == ("voice mode", ["alpha"], 2)


def test_themes_of_quiet_companies(token_client, alpha, beta):
    response = token_client.post(THEMES_URL, {"companies": ["alpha", "beta"]})

    assert response.status_code == 200
    body = response.json()
    assert body["period"]["days"] == 30
    assert body["shared"] == []
    assert body["unique"] == [
        {"company": "alpha", "themes": []},
        {"company": "beta", "themes": []},
    ]


# ---------------------------------------------------------------- one company's activity


def test_activity(token_client, alpha):
    today = timezone.now().astimezone(UTC).date()
    latest = NewsItemFactory(
        company=alpha,
        category=Category.PARTNERSHIP,
        priority_score=0.8,
        published_at=_at(today),
    )
    NewsItemFactory(company=alpha, category="", published_at=_at(today - timedelta(days=6)))
    NewsItemFactory(company=alpha, published_at=_at(today - timedelta(days=7)))

    response = token_client.get(_activity_url("alpha"), {"days": 7})

    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {
        "date_from": (today - timedelta(days=6)).isoformat(),
        "date_to": today.isoformat(),
        "days": 7,
    }
    assert (body["slug"], body["name"], body["total"]) == ("alpha", "Alpha", 2)
    assert [day["date"] for day in body["daily"]] == [
        (today - timedelta(days=offset)).isoformat() for offset in range(6, -1, -1)
    ]
    assert body["daily"][-1]["count"] == 1
    assert body["top_items"][0]["id"] == latest.pk
    assert body["top_items"][0]["category"] == "partnership"
    counts = {row["category"]: row["count"] for row in body["categories"]}
    assert (counts["partnership"], counts[None]) == (1, 1)
    assert set(body) == {
        "period", "slug", "name", "total", "score", "categories", "daily", "weekly", "top_items"
    }  # fmt: skip


def test_activity_defaults_to_30_days(token_client, alpha):
    body = token_client.get(_activity_url("alpha")).json()

    assert body["period"]["days"] == 30
    assert len(body["daily"]) == 30
    assert body["total"] == 0


@pytest.mark.parametrize("days", ["0", "367", "-3", "week", "1.5"])
def test_activity_days_out_of_range(token_client, alpha, days):
    response = token_client.get(_activity_url("alpha"), {"days": days})

    assert response.status_code == 400
    assert set(_fields(response)) == {"days"}


@pytest.mark.parametrize("days", ["1", "366"])
def test_activity_days_at_the_limits(token_client, alpha, days):
    response = token_client.get(_activity_url("alpha"), {"days": days})

    assert response.status_code == 200
    assert len(response.json()["daily"]) == int(days)


# ---------------------------------------------------------------- similar companies


def test_similar(token_client, alpha, beta):
    gamma = CompanyFactory(name="Gamma", slug="gamma", segment=Company.Segment.MLOPS)
    CompanyFactory(name="Quiet", slug="quiet")  # neither items nor sources: left out
    # Without a source: the factory's would add a company with a source of its own.
    item = {"source": None, "published_at": timezone.now()}
    for company in (alpha, beta):
        NewsItemFactory.create_batch(2, company=company, category=Category.MODEL_RELEASE, **item)
        NewsItemFactory(company=company, category=Category.API_UPDATE, **item)
    NewsItemFactory(company=gamma, category=Category.FUNDING_NEWS, **item)
    SourceFactory(company=gamma, source_type="github")

    response = token_client.get(_similar_url("alpha"))

    assert response.status_code == 200
    body = response.json()
    assert [row["company"] for row in body] == [
        {"slug": "beta", "name": "Beta"},
        {"slug": "gamma", "name": "Gamma"},
    ]
    twin = body[0]
    assert twin["similarity"] == pytest.approx(1.0)
    assert twin["components"] == {"category": 1.0, "source": 1.0, "activity": 1.0, "segment": 1.0}
    assert twin["shared_categories"] == ["model_release", "api_update"]
    assert twin["reason"] == "Both focus on Model release and API update"
    assert body[1]["shared_categories"] == []
    assert body[1]["components"]["segment"] == 0.0
    assert 0 < body[1]["similarity"] < twin["similarity"]

    limited = token_client.get(_similar_url("alpha"), {"limit": 1}).json()
    assert [row["company"]["slug"] for row in limited] == ["beta"]


@pytest.mark.parametrize("limit", ["0", "21", "many"])
def test_similar_limit_out_of_range(token_client, alpha, limit):
    response = token_client.get(_similar_url("alpha"), {"limit": limit})

    assert response.status_code == 400
    assert set(_fields(response)) == {"limit"}


# ---------------------------------------------------------------- one company: access


def test_one_company_endpoints_need_credentials(api_client, alpha):
    for url in (_activity_url("alpha"), _similar_url("alpha")):
        response = api_client.get(url)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("slug", ["no-such-company", "retired", "a%00b", "88%C3%9A", "x" * 300])
def test_one_company_endpoints_answer_json_404s(token_client, slug):
    CompanyFactory(name="Retired", slug="retired", active=False)

    for path in ("activity", "similar"):
        response = token_client.get(f"/api/v1/companies/{slug}/{path}/")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_staff_see_the_same_as_everyone(staff_token_client, alpha, beta, march_items):
    compare = staff_token_client.post(COMPARE_URL, {"companies": ["alpha", "beta"], **MARCH})

    assert compare.status_code == 200
    assert compare.json()["companies"][0]["total"] == 4
    assert staff_token_client.get(_activity_url("alpha")).status_code == 200
    assert staff_token_client.get(_similar_url("alpha")).status_code == 200
