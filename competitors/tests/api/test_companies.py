"""The companies API: list and search, detail, and following."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Preferences
from accounts.services import company_follow_set
from accounts.tests.factories import UserFactory
from competitors.models import Company
from competitors.tests.factories import CompanyFactory, SourceFactory
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:company-list")


def _detail_url(company):
    return reverse("api:company-detail", args=[company.slug])


def _subscription_url(company):
    return reverse("api:company-subscription", args=[company.slug])


def _followed(user):
    preferences = Preferences.objects.filter(user=user).first()
    return set(preferences.tracked_companies.values_list("pk", flat=True)) if preferences else set()


def _names(response):
    return [company["name"] for company in response.json()["results"]]


# ---------------------------------------------------------------- list


def test_list_needs_credentials(api_client):
    CompanyFactory()

    response = api_client.get(LIST_URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_list_shows_active_companies_by_name_with_tracked(token_client):
    zeta = CompanyFactory(name="zeta", website="https://zeta.example")
    alpha = CompanyFactory(name="Alpha", aliases=["A1"])
    CompanyFactory(name="Retired", active=False)
    company_follow_set(user=token_client.account, company_id=zeta.pk, following=True)

    response = token_client.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["results"] == [
        {
            "id": alpha.pk,
            "slug": alpha.slug,
            "name": "Alpha",
            "website": alpha.website,
            "logo_url": "",
            "segment": "llm_provider",
            "aliases": ["A1"],
            "tracked": False,
        },
        {
            "id": zeta.pk,
            "slug": zeta.slug,
            "name": "zeta",
            "website": "https://zeta.example",
            "logo_url": "",
            "segment": "llm_provider",
            "aliases": [],
            "tracked": True,
        },
    ]


def test_tracked_is_per_user(token_client, make_token_client):
    acme = CompanyFactory(name="Acme")
    company_follow_set(user=token_client.account, company_id=acme.pk, following=True)
    other = make_token_client(UserFactory())

    assert other.get(LIST_URL).json()["results"][0]["tracked"] is False
    assert token_client.get(LIST_URL).json()["results"][0]["tracked"] is True


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("acme", ["Acme"]),
        ("ROCKET", ["Beta"]),  # an alias
        ("beta-site.example", ["Beta"]),  # the website
        ("search engine", ["Gamma"]),  # a segment's label
        ("nothing like it", []),
    ],
)
def test_search(token_client, query, expected):
    CompanyFactory(name="Acme", website="https://acme.example")
    CompanyFactory(name="Beta", aliases=["Rocket"], website="https://beta-site.example")
    CompanyFactory(
        name="Gamma", segment=Company.Segment.SEARCH_ENGINE, website="https://gamma.example"
    )

    response = token_client.get(LIST_URL, {"q": query})

    assert response.status_code == 200
    assert _names(response) == expected


def test_filters_by_segment_and_tracked(token_client):
    acme = CompanyFactory(name="Acme", segment=Company.Segment.PLATFORM)
    CompanyFactory(name="Beta", segment=Company.Segment.PLATFORM)
    CompanyFactory(name="Gamma", segment=Company.Segment.MLOPS)
    company_follow_set(user=token_client.account, company_id=acme.pk, following=True)

    assert _names(token_client.get(LIST_URL, {"segment": "platform"})) == ["Acme", "Beta"]
    assert _names(token_client.get(LIST_URL, {"tracked": "true"})) == ["Acme"]
    assert _names(token_client.get(LIST_URL, {"tracked": "false"})) == ["Beta", "Gamma"]
    both = token_client.get(LIST_URL, {"segment": "platform", "tracked": "false"})
    assert _names(both) == ["Beta"]


@pytest.mark.parametrize(
    "params",
    [{"segment": "spaceships"}, {"tracked": "maybe"}, {"q": "x" * 101}, {"page": "0"}],
)
def test_bad_filters_are_400_or_404_never_500(token_client, params):
    response = token_client.get(LIST_URL, params)

    assert response.status_code in (400, 404)
    assert response.json()["error"]["status"] == response.status_code


def test_list_is_paginated(token_client):
    for n in range(5):
        CompanyFactory(name=f"Company {n}")

    first = token_client.get(LIST_URL, {"page_size": 2}).json()
    last = token_client.get(LIST_URL, {"page_size": 2, "page": 3}).json()

    assert first["count"] == 5
    assert _names_of(first) == ["Company 0", "Company 1"]
    assert first["next"].endswith("page=2&page_size=2")
    assert _names_of(last) == ["Company 4"]
    assert last["next"] is None


def _names_of(body):
    return [company["name"] for company in body["results"]]


def test_list_queries_do_not_grow_with_the_page(token_client):
    def queries_for_page():
        with CaptureQueriesContext(connection) as captured:
            assert token_client.get(LIST_URL).status_code == 200
        return len(captured)

    companies = [CompanyFactory() for _ in range(2)]
    company_follow_set(user=token_client.account, company_id=companies[0].pk, following=True)
    queries_for_page()  # the token's first use also records when it was last used
    few = queries_for_page()
    for _ in range(10):
        company = CompanyFactory()
        company_follow_set(user=token_client.account, company_id=company.pk, following=True)

    assert queries_for_page() == few


# ---------------------------------------------------------------- detail


def test_detail(token_client):
    acme = CompanyFactory(
        name="Acme",
        description="Builds models.",
        twitter_handle="acme_ai",
        github_org="acme-ai",
        founded_year=2020,
    )
    feed = SourceFactory(company=acme, name="Blog", url="https://acme.example/feed.xml")
    paused = SourceFactory(
        company=acme, url="https://acme.example/news", kind="html", status="paused"
    )
    now = timezone.now()
    NewsItemFactory.create_batch(3, company=acme, source=feed, published_at=now)
    NewsItemFactory(company=acme, source=feed, published_at=now - timedelta(days=40))
    company_follow_set(user=token_client.account, company_id=acme.pk, following=True)

    response = token_client.get(_detail_url(acme))

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Acme"
    assert body["slug"] == acme.slug
    assert body["description"] == "Builds models."
    assert body["twitter_handle"] == "acme_ai"
    assert body["github_org"] == "acme-ai"
    assert body["founded_year"] == 2020
    assert body["tracked"] is True
    assert body["recent_items"] == 3
    assert body["sources"] == [
        {
            "id": feed.pk,
            "name": "Blog",
            "url": "https://acme.example/feed.xml",
            "kind": "feed",
            "source_type": "blog",
            "status": "active",
            "health": "warning",  # never fetched successfully yet
        },
        {
            "id": paused.pk,
            "name": "",
            "url": "https://acme.example/news",
            "kind": "html",
            "source_type": "blog",
            "status": "paused",
            "health": "warning",
        },
    ]


def test_detail_of_an_untracked_company_without_news(token_client):
    acme = CompanyFactory()

    body = token_client.get(_detail_url(acme)).json()

    assert body["tracked"] is False
    assert body["recent_items"] == 0
    assert body["sources"] == []


def test_detail_unknown_or_retired_is_404(token_client, api_client):
    retired = CompanyFactory(active=False)

    for url in (reverse("api:company-detail", args=["no-such-company"]), _detail_url(retired)):
        response = token_client.get(url)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert api_client.get(_detail_url(retired)).status_code == 401


# ---------------------------------------------------------------- following


def test_subscribe_and_unsubscribe(token_client):
    acme = CompanyFactory()
    user = token_client.account

    followed = token_client.put(_subscription_url(acme))

    assert followed.status_code == 200
    assert followed.json() == {"company": acme.slug, "tracked": True}
    assert _followed(user) == {acme.pk}
    # Setting, not toggling: a repeat changes nothing.
    assert token_client.put(_subscription_url(acme)).status_code == 200
    assert _followed(user) == {acme.pk}
    assert token_client.get(_detail_url(acme)).json()["tracked"] is True

    unfollowed = token_client.delete(_subscription_url(acme))

    assert unfollowed.status_code == 204
    assert unfollowed.content == b""
    assert _followed(user) == set()
    assert token_client.delete(_subscription_url(acme)).status_code == 204


def test_subscription_permission_matrix(api_client, token_client, make_token_client):
    acme = CompanyFactory()
    owner = token_client.account
    company_follow_set(user=owner, company_id=acme.pk, following=True)
    other_user = UserFactory()
    other = make_token_client(other_user)

    assert api_client.put(_subscription_url(acme)).status_code == 401
    assert api_client.delete(_subscription_url(acme)).status_code == 401
    # Another user's unfollow touches only their own subscriptions.
    assert other.delete(_subscription_url(acme)).status_code == 204
    assert _followed(owner) == {acme.pk}
    assert other.put(_subscription_url(acme)).status_code == 200
    assert _followed(other_user) == {acme.pk}
    assert _followed(owner) == {acme.pk}


def test_subscription_to_an_unknown_or_retired_company_is_404(token_client):
    retired = CompanyFactory(active=False)
    unknown = reverse("api:company-subscription", args=["no-such-company"])

    for url in (unknown, _subscription_url(retired)):
        assert token_client.put(url).status_code == 404
        assert token_client.delete(url).status_code == 404
    assert _followed(token_client.account) == set()


@pytest.mark.parametrize("slug", ["88%C3%9A", "a%00b", "x" * 300, "%20"])
def test_odd_slugs_are_json_404s(token_client, slug):
    for response in (
        token_client.get(f"/api/v1/companies/{slug}/"),
        token_client.put(f"/api/v1/companies/{slug}/subscription/"),
        token_client.delete(f"/api/v1/companies/{slug}/subscription/"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
