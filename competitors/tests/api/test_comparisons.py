"""The saved comparisons API: each user's own list, create, read, replace, change and
delete; another user's comparison (staff included) is a 404 and stays as it was."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from competitors.models import SavedComparison
from competitors.services import saved_comparison_create
from competitors.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:comparison-list")


def _url(comparison):
    return reverse("api:comparison-detail", args=[comparison.pk])


@pytest.fixture
def companies():
    return [
        CompanyFactory(name=name, slug=name.lower())
        for name in ("Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta")
    ]


@pytest.fixture
def saved(user, companies):
    """The signed-in user's comparison of Alpha and Beta over the last 30 days."""
    return saved_comparison_create(
        user=user, name="Frontier labs", companies=companies[:2], days=30
    )


def _state(comparison):
    comparison = SavedComparison.objects.get(pk=comparison.pk)
    return (
        comparison.name,
        sorted(comparison.companies.values_list("slug", flat=True)),
        comparison.days,
        comparison.date_from,
        comparison.date_to,
        comparison.updated_at,
    )


def _fields(response):
    body = response.json()
    assert body["error"]["status"] == response.status_code == 400
    assert body["error"]["code"] == "invalid"
    return body["error"]["fields"]


# ---------------------------------------------------------------- create and read


def test_create_a_rolling_comparison(token_client, companies):
    response = token_client.post(
        LIST_URL, {"name": "  Labs  ", "companies": ["gamma", "alpha"], "days": 90}
    )

    assert response.status_code == 201
    body = response.json()
    comparison = SavedComparison.objects.get(user=token_client.account)
    assert body == {
        "id": comparison.pk,
        "name": "Labs",
        # By company name, whatever the order sent.
        "companies": ["alpha", "gamma"],
        "days": 90,
        "date_from": None,
        "date_to": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert body["created_at"].endswith("Z")


def test_create_a_fixed_comparison(token_client, companies):
    response = token_client.post(
        LIST_URL,
        {
            "name": "Q1",
            "companies": ["alpha", "beta", "gamma", "delta", "epsilon"],
            "date_from": "2025-01-01",
            "date_to": "2025-03-31",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body["days"] is None
    assert (body["date_from"], body["date_to"]) == ("2025-01-01", "2025-03-31")
    assert len(body["companies"]) == 5


def test_create_without_a_period_is_the_last_30_days(token_client, companies):
    response = token_client.post(LIST_URL, {"name": "Default", "companies": ["alpha", "beta"]})

    assert response.status_code == 201
    assert response.json()["days"] == 30


def test_list_is_yours_newest_first_and_paginated(token_client, make_token_client, companies):
    user = token_client.account
    first = saved_comparison_create(user=user, name="First", companies=companies[:2], days=7)
    second = saved_comparison_create(user=user, name="Second", companies=companies[2:4], days=7)
    other = UserFactory()
    saved_comparison_create(user=other, name="Theirs", companies=companies[:2], days=7)

    body = token_client.get(LIST_URL).json()
    page = token_client.get(LIST_URL, {"page_size": 1, "page": 2}).json()

    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [second.pk, first.pk]
    assert body["results"][0]["companies"] == ["delta", "gamma"]
    assert [row["id"] for row in page["results"]] == [first.pk]
    assert token_client.get(LIST_URL, {"page": 9}).status_code == 404
    assert make_token_client(other).get(LIST_URL).json()["count"] == 1


def test_list_queries_do_not_grow_with_the_comparisons(token_client, companies):
    user = token_client.account

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert token_client.get(LIST_URL).status_code == 200
        return len(captured)

    saved_comparison_create(user=user, name="One", companies=companies[:2], days=7)
    queries()  # the token's first use also records when it was last used
    few = queries()
    for n in range(5):
        saved_comparison_create(user=user, name=f"More {n}", companies=companies[n : n + 2], days=7)

    assert queries() == few


def test_retrieve(token_client, saved):
    response = token_client.get(_url(saved))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == saved.pk
    assert body["name"] == "Frontier labs"
    assert body["companies"] == ["alpha", "beta"]
    assert (body["days"], body["date_from"], body["date_to"]) == (30, None, None)


# ---------------------------------------------------------------- change and delete


def test_put_replaces_the_whole_comparison(token_client, saved):
    response = token_client.put(
        _url(saved),
        {
            "name": "Renamed",
            "companies": ["gamma", "delta", "epsilon"],
            "date_from": "2025-02-01",
            "date_to": "2025-02-28",
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Renamed"
    assert body["companies"] == ["delta", "epsilon", "gamma"]
    assert (body["days"], body["date_from"], body["date_to"]) == (
        None,
        "2025-02-01",
        "2025-02-28",
    )
    assert _state(saved)[:5] == (
        "Renamed",
        ["delta", "epsilon", "gamma"],
        None,
        date(2025, 2, 1),
        date(2025, 2, 28),
    )


def test_put_needs_name_and_companies(token_client, saved):
    before = _state(saved)

    response = token_client.put(_url(saved), {"days": 7})

    assert response.status_code == 400
    assert set(_fields(response)) == {"name", "companies"}
    assert _state(saved) == before


def test_patch_changes_only_what_it_sends(token_client, saved):
    renamed = token_client.patch(_url(saved), {"name": "Two labs"})

    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Two labs"
    assert renamed.json()["companies"] == ["alpha", "beta"]
    assert renamed.json()["days"] == 30

    fixed = token_client.patch(_url(saved), {"date_from": "2025-01-01", "date_to": "2025-01-31"})

    assert fixed.status_code == 200
    assert (fixed.json()["days"], fixed.json()["date_from"]) == (None, "2025-01-01")
    # One end of a fixed range may move alone.
    moved = token_client.patch(_url(saved), {"date_to": "2025-02-15"})
    assert (moved.json()["date_from"], moved.json()["date_to"]) == ("2025-01-01", "2025-02-15")

    rolling = token_client.patch(_url(saved), {"days": 7, "companies": ["zeta", "gamma"]})

    assert rolling.status_code == 200
    body = rolling.json()
    assert (body["days"], body["date_from"], body["date_to"]) == (7, None, None)
    assert body["companies"] == ["gamma", "zeta"]
    assert body["name"] == "Two labs"


def test_patch_one_date_of_a_rolling_comparison_needs_the_other(token_client, saved):
    before = _state(saved)

    response = token_client.patch(_url(saved), {"date_from": "2025-01-01"})

    assert response.status_code == 400
    assert "date_to" in _fields(response)
    assert _state(saved) == before


def test_delete(token_client, saved):
    response = token_client.delete(_url(saved))

    assert response.status_code == 204
    assert response.content == b""
    assert not SavedComparison.objects.filter(pk=saved.pk).exists()
    assert token_client.delete(_url(saved)).status_code == 404
    assert token_client.get(_url(saved)).status_code == 404


# ---------------------------------------------------------------- who may


def test_permission_matrix(api_client, token_client, make_token_client, staff_token_client, saved):
    before = _state(saved)
    other = make_token_client(UserFactory())
    url = _url(saved)
    body = {"name": "Mine now", "companies": ["gamma", "delta"], "days": 7}

    for client, expected in ((api_client, 401), (other, 404), (staff_token_client, 404)):
        responses = [
            client.get(url),
            client.put(url, body),
            client.patch(url, {"name": "Mine now"}),
            client.delete(url),
        ]
        assert [response.status_code for response in responses] == [expected] * 4
        code = "not_authenticated" if expected == 401 else "not_found"
        assert {response.json()["error"]["code"] for response in responses} == {code}
        assert _state(saved) == before

    assert api_client.get(LIST_URL).status_code == 401
    assert api_client.post(LIST_URL, body).status_code == 401
    assert other.get(LIST_URL).json()["count"] == 0
    assert staff_token_client.get(LIST_URL).json()["count"] == 0
    assert token_client.get(url).status_code == 200
    assert SavedComparison.objects.count() == 1


def test_another_user_may_use_the_same_name(make_token_client, saved):
    other = make_token_client(UserFactory())

    response = other.post(LIST_URL, {"name": saved.name, "companies": ["alpha", "beta"]})

    assert response.status_code == 201
    assert SavedComparison.objects.filter(name=saved.name).count() == 2


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "One", "companies": ["alpha"]}, {"companies"}),
        (
            {"name": "Six", "companies": ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]},
            {"companies"},
        ),
        ({"name": "Twice", "companies": ["alpha", "alpha", "beta"]}, {"companies"}),
        ({"name": "Unknown", "companies": ["alpha", "nobody"]}, {"companies"}),
        ({"name": "", "companies": ["alpha", "beta"]}, {"name"}),
        ({"name": "x" * 121, "companies": ["alpha", "beta"]}, {"name"}),
        ({"companies": ["alpha", "beta"]}, {"name"}),
        ({"name": "No companies"}, {"companies"}),
        ({"name": "Zero", "companies": ["alpha", "beta"], "days": 0}, {"days"}),
        ({"name": "Long", "companies": ["alpha", "beta"], "days": 367}, {"days"}),
        (
            {"name": "Both", "companies": ["alpha", "beta"], "days": 7, "date_from": "2025-01-01"},
            {"days"},
        ),
        ({"name": "Half", "companies": ["alpha", "beta"], "date_from": "2025-01-01"}, {"date_to"}),
        (
            {
                "name": "Bad",
                "companies": ["alpha", "beta"],
                "date_from": "01/02/2025",
                "date_to": "2025-02-30",
            },
            {"date_from", "date_to"},
        ),
        (
            {
                "name": "Backwards",
                "companies": ["alpha", "beta"],
                "date_from": "2025-03-01",
                "date_to": "2025-02-01",
            },
            {"date_to"},
        ),
        (
            {
                "name": "Too long",
                "companies": ["alpha", "beta"],
                "date_from": "2024-01-01",
                "date_to": "2025-01-01",
            },
            {"date_to"},
        ),
        (
            {
                "name": "Far",
                "companies": ["alpha", "beta"],
                "date_from": "9999-12-30",
                "date_to": "9999-12-31",
            },
            {"date_from", "date_to"},
        ),
    ],
)
def test_create_validation(token_client, companies, body, fields):
    response = token_client.post(LIST_URL, body)

    assert response.status_code == 400
    assert set(_fields(response)) == fields
    assert not SavedComparison.objects.exists()


def test_unknown_and_retired_slugs_are_named(token_client, companies):
    CompanyFactory(name="Retired", slug="retired", active=False)

    response = token_client.post(
        LIST_URL, {"name": "X", "companies": ["alpha", "retired", "nobody"]}
    )

    messages = _fields(response)["companies"]
    assert len(messages) == 2
    assert "retired" in messages[0]
    assert "nobody" in messages[1]


def test_a_duplicate_name_is_a_field_error(token_client, saved, companies):
    created = token_client.post(
        LIST_URL, {"name": "Frontier labs", "companies": ["gamma", "delta"]}
    )
    other = saved_comparison_create(
        user=token_client.account, name="Other", companies=companies[2:4], days=7
    )
    before = _state(other)
    renamed = token_client.patch(_url(other), {"name": "Frontier labs"})

    assert created.status_code == 400
    assert set(_fields(created)) == {"name"}
    assert renamed.status_code == 400
    assert set(_fields(renamed)) == {"name"}
    assert _state(other) == before
    assert SavedComparison.objects.count() == 2


@pytest.mark.parametrize("body", [[], "text", {"companies": "alpha", "name": "x"}, None])
def test_odd_bodies_are_400(token_client, companies, body):
    response = token_client.post(LIST_URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_a_body_that_is_not_json_is_415(token_client, companies):
    response = token_client.post(LIST_URL, "name=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["error"]["status"] == 415


def test_a_huge_id_is_a_json_404(token_client):
    response = token_client.get(f"{LIST_URL}{'9' * 30}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
