from datetime import UTC, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Preferences
from accounts.tests.factories import UserFactory
from digests.models import Delivery, Digest
from digests.tests.factories import DeliveryFactory, DigestFactory, content_of, entry
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db


def sample_content():
    return content_of(
        (
            "Acme",
            {
                "product_update": [
                    entry(41, title="Acme ships Rocket", priority="high", extra_sources=3),
                    entry(42, title="Acme trims prices", url="javascript:alert(1)"),
                ],
            },
        ),
        ("", {"": [entry(43, title="An item of no company")]}),
    )


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "api:digest-list", []),
        ("get", "api:digest-detail", [1]),
        ("get", "api:digest-preview", []),
        ("post", "api:digest-generate", []),
    ],
)
def test_anonymous_clients_get_401(api_client, method, name, args):
    response = getattr(api_client, method)(reverse(name, args=args))

    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_digest_detail_permission_matrix(api_client, make_token_client, staff_token_client):
    digest = DigestFactory(body=sample_content())
    url = reverse("api:digest-detail", args=[digest.pk])
    stranger = make_token_client(UserFactory())

    anonymous = api_client.get(url)
    owner = make_token_client(digest.user).get(url)
    other = stranger.get(url)
    staff = staff_token_client.get(url)

    assert anonymous.status_code == 401
    assert owner.status_code == 200
    assert owner.json()["id"] == digest.pk
    # Someone else's digest is missing, for staff too, and says nothing about itself.
    for response in (other, staff):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert "Acme" not in response.content.decode()
    unchanged = Digest.objects.get(pk=digest.pk)
    assert unchanged.status == digest.status
    assert unchanged.content == digest.content


def test_an_unknown_digest_is_404(token_client):
    response = token_client.get(reverse("api:digest-detail", args=[999_999]))

    assert response.status_code == 404


def test_session_authentication_serves_the_browser(client, user):
    DigestFactory(user=user, body=sample_content())
    client.force_login(user)

    response = client.get(reverse("api:digest-list"))

    assert response.status_code == 200
    assert response.json()["count"] == 1


# ---------------------------------------------------------------- list


def test_list_shows_only_own_digests_newest_first(token_client):
    user = token_client.account
    now = timezone.now()
    older = DigestFactory(user=user, period_end=now - timedelta(days=3))
    newer = DigestFactory(user=user, period_end=now, body=sample_content(), frequency="weekly")
    DigestFactory(user=UserFactory(), body=sample_content())

    response = token_client.get(reverse("api:digest-list"))

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    row = body["results"][0]
    assert row["kind"] == "scheduled"
    assert row["frequency"] == "weekly"
    assert row["status"] == "ready"
    assert row["item_count"] == 3
    assert row["title"] == "Your weekly digest"
    assert row["period_start"] == newer.period_start.isoformat().replace("+00:00", "Z")
    assert row["period_end"] == newer.period_end.isoformat().replace("+00:00", "Z")
    assert "content" not in row


def test_list_shows_each_delivery_with_a_user_facing_error(token_client):
    digest = DigestFactory(user=token_client.account, body=sample_content())
    sent_at = timezone.now() - timedelta(minutes=5)
    DeliveryFactory(
        digest=digest, channel=Delivery.Channel.EMAIL, status=Delivery.Status.SENT, sent_at=sent_at
    )
    DeliveryFactory(
        digest=digest,
        channel=Delivery.Channel.TELEGRAM,
        status=Delivery.Status.SKIPPED,
        last_error="Telegram is not connected to your account.",
    )

    english = token_client.get(reverse("api:digest-list")).json()["results"][0]["deliveries"]
    russian = token_client.get(reverse("api:digest-list"), HTTP_ACCEPT_LANGUAGE="ru").json()

    assert english == [
        {
            "channel": "email",
            "status": "sent",
            "sent_at": sent_at.isoformat().replace("+00:00", "Z"),
            "error": None,
        },
        {
            "channel": "telegram",
            "status": "skipped",
            "sent_at": None,
            "error": "Telegram is not connected to your account.",
        },
    ]
    assert russian["results"][0]["deliveries"][1]["error"] == (
        "Telegram не подключён к вашему аккаунту."
    )


def test_an_error_being_retried_is_not_shown(token_client):
    # A transient error of a delivery that will be tried again is not the user's concern yet.
    digest = DigestFactory(user=token_client.account, body=sample_content())
    DeliveryFactory(digest=digest, status=Delivery.Status.PENDING, last_error="Mail server down")

    response = token_client.get(reverse("api:digest-list"))

    assert response.json()["results"][0]["deliveries"][0]["error"] is None


def test_list_is_paginated(token_client):
    for _ in range(3):
        DigestFactory(user=token_client.account)

    first = token_client.get(reverse("api:digest-list"), {"page_size": 2}).json()
    second = token_client.get(first["next"]).json()
    beyond = token_client.get(reverse("api:digest-list"), {"page": 9})

    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert beyond.status_code == 404


def test_list_takes_the_same_number_of_queries_whatever_its_length(token_client):
    user = token_client.account

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert token_client.get(reverse("api:digest-list")).status_code == 200
        return len(captured)

    # The token's first use of the minute records it; that query is not the list's.
    queries()
    digest = DigestFactory(user=user, body=sample_content())
    DeliveryFactory(digest=digest)
    one = queries()
    for _ in range(5):
        more = DigestFactory(user=user, body=sample_content())
        DeliveryFactory(digest=more, channel=Delivery.Channel.EMAIL)
        DeliveryFactory(digest=more, channel=Delivery.Channel.TELEGRAM)
    six = queries()

    assert six == one


# ---------------------------------------------------------------- detail


def test_detail_has_the_content_grouped_as_on_the_web(token_client):
    digest = DigestFactory(user=token_client.account, body=sample_content())

    response = token_client.get(reverse("api:digest-detail", args=[digest.pk]))

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ready"
    content = body["content"]
    assert content["entry_count"] == 3
    assert [group["company_name"] for group in content["groups"]] == ["Acme", "Other news"]
    category = content["groups"][0]["categories"][0]
    assert category["category"] == "product_update"
    assert category["label"] == "Product update"
    assert category["emoji"]
    rocket, prices = category["entries"]
    assert rocket == {
        "item_id": 41,
        "title": "Acme ships Rocket",
        "url": "https://acme.example.com/news/41",
        "page_url": "http://testserver" + reverse("news:detail", args=[41]),
        "source": "Acme blog",
        "published_at": "2026-11-25T10:00:00Z",
        "priority": "high",
        "category": "product_update",
        "summary": "What model 41 does, in one sentence.",
        "extra_sources": 3,
        "sources_note": "+3 sources",
    }
    # A link that is not http(s) is never handed out.
    assert prices["url"] == ""
    assert prices["sources_note"] == ""
    uncategorised = content["groups"][1]["categories"][0]
    assert uncategorised["category"] == ""
    assert uncategorised["entries"][0]["category"] == ""


def test_detail_of_a_short_digest_has_no_summaries(token_client):
    digest = DigestFactory(user=token_client.account, body=sample_content(), format="short")

    response = token_client.get(reverse("api:digest-detail", args=[digest.pk]))

    entries = response.json()["content"]["groups"][0]["categories"][0]["entries"]
    assert {entry["summary"] for entry in entries} == {""}


def test_detail_of_a_pending_digest_has_empty_content(token_client):
    digest = DigestFactory(user=token_client.account, status=Digest.Status.PENDING, content={})

    response = token_client.get(reverse("api:digest-detail", args=[digest.pk]))

    assert response.json()["status"] == "pending"
    assert response.json()["content"] == {
        "groups": [],
        "entry_count": 0,
        "matched": 0,
        "omitted": 0,
    }


# ---------------------------------------------------------------- preview


def test_preview_holds_the_items_of_the_range_and_stores_nothing(token_client):
    today = timezone.localdate()
    NewsItemFactory(title="Inside the range", fetched_at=timezone.now() - timedelta(days=1))
    NewsItemFactory(title="Long before", fetched_at=timezone.now() - timedelta(days=20))

    response = token_client.get(
        reverse("api:digest-preview"),
        {"start": (today - timedelta(days=2)).isoformat(), "end": today.isoformat()},
    )

    body = response.json()
    titles = [
        entry["title"]
        for group in body["content"]["groups"]
        for category in group["categories"]
        for entry in category["entries"]
    ]
    assert response.status_code == 200
    assert titles == ["Inside the range"]
    assert body["period_start"] == f"{today - timedelta(days=2)}T00:00:00Z"
    assert body["period_end"] == f"{today + timedelta(days=1)}T00:00:00Z"
    assert not Digest.objects.exists()


def test_preview_days_are_in_the_users_time_zone(make_token_client):
    client = make_token_client(UserFactory(timezone="Europe/Berlin"))

    response = client.get(
        reverse("api:digest-preview"), {"start": "2026-01-10", "end": "2026-01-10"}
    )

    # Midnight in Berlin (UTC+1 in January), shown in UTC.
    assert response.json()["period_start"] == "2026-01-09T23:00:00Z"
    assert response.json()["period_end"] == "2026-01-10T23:00:00Z"


def test_preview_leaves_out_summaries_for_short_digests(token_client):
    Preferences.objects.create(user=token_client.account, digest_format="short", digest_mode="all")
    # Seen now, not an hour ago: just after midnight that would be yesterday.
    NewsItemFactory(summary="A summary to hide", fetched_at=timezone.now())
    today = timezone.localdate().isoformat()

    response = token_client.get(reverse("api:digest-preview"), {"start": today, "end": today})

    entries = response.json()["content"]["groups"][0]["categories"][0]["entries"]
    assert entries[0]["summary"] == ""


def test_a_31_day_preview_is_allowed(token_client):
    response = token_client.get(
        reverse("api:digest-preview"), {"start": "2026-01-01", "end": "2026-01-31"}
    )

    assert response.status_code == 200
    assert response.json()["content"]["groups"] == []


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-11-01", "end": "2026-12-02"}, "end", "A preview covers at most 31 days."),
        (
            {"start": "2026-12-05", "end": "2026-12-01"},
            "end",
            "The end date must not be before the start date.",
        ),
        (
            {"start": "9999-12-31", "end": "9999-12-31"},
            "start",
            "Enter a date between 1990 and 2200.",
        ),
        ({"start": "2026-11-31", "end": "2026-12-01"}, "start", "Date has wrong format"),
        ({"start": "yesterday", "end": "2026-12-01"}, "start", "Date has wrong format"),
        ({"end": "2026-12-01"}, "start", "This field is required."),
    ],
)
def test_preview_refuses_a_bad_range_with_400(token_client, query, field, message):
    response = token_client.get(reverse("api:digest-preview"), query)

    error = response.json()["error"]
    assert response.status_code == 400
    assert error["code"] == "invalid"
    assert any(text.startswith(message) for text in error["fields"][field])


# ---------------------------------------------------------------- generate


def test_generate_builds_todays_digest_and_answers_202(token_client):
    NewsItemFactory(title="Fresh from Acme", fetched_at=timezone.now() - timedelta(seconds=1))

    response = token_client.post(
        reverse("api:digest-generate"), {"frequency": "daily"}, format="json"
    )

    digest = Digest.objects.get(user=token_client.account)
    url = reverse("api:digest-detail", args=[digest.pk])
    assert response.status_code == 202
    assert response.json() == {"id": digest.pk, "status": "ready", "status_url": url}
    assert response["Location"] == url
    assert url == f"/api/v1/digests/{digest.pk}/"
    assert digest.kind == Digest.Kind.ON_DEMAND
    assert digest.frequency == "daily"
    detail = token_client.get(url).json()
    assert detail["content"]["groups"][0]["categories"][0]["entries"][0]["title"] == (
        "Fresh from Acme"
    )


def test_generate_weekly_covers_the_week(token_client):
    response = token_client.post(
        reverse("api:digest-generate"), {"frequency": "weekly"}, format="json"
    )

    digest = Digest.objects.get(pk=response.json()["id"])
    assert response.json()["status"] == "empty"
    assert digest.frequency == "weekly"
    # The user's week starts on Monday, in their zone (UTC).
    assert digest.period_start.astimezone(UTC).isoweekday() == 1
    assert digest.period_start.astimezone(UTC).time() == time(0, 0)


@pytest.mark.parametrize("payload", [{"frequency": "hourly"}, {}, {"frequency": None}])
def test_generate_refuses_an_unknown_frequency(token_client, payload):
    response = token_client.post(reverse("api:digest-generate"), payload, format="json")

    assert response.status_code == 400
    assert "frequency" in response.json()["error"]["fields"]
    assert not Digest.objects.exists()


def test_generate_is_limited_to_ten_an_hour(token_client):
    url = reverse("api:digest-generate")
    for _ in range(10):
        assert token_client.post(url, {"frequency": "daily"}, format="json").status_code == 202

    limited = token_client.post(url, {"frequency": "weekly"}, format="json")

    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "throttled"
    assert 0 < int(limited["Retry-After"]) <= 3600
    assert not Digest.objects.filter(frequency="weekly").exists()


def test_generate_shares_its_limit_with_the_web(token_client, client):
    # Ten digests asked for on the web leave none for the API in the same hour.
    client.force_login(token_client.account)
    for _ in range(10):
        assert client.post(reverse("digests:send"), {"kind": "daily"}).status_code == 302

    response = token_client.post(
        reverse("api:digest-generate"), {"frequency": "daily"}, format="json"
    )

    assert response.status_code == 429


def test_the_limit_is_per_account(token_client, make_token_client):
    url = reverse("api:digest-generate")
    for _ in range(10):
        token_client.post(url, {"frequency": "daily"}, format="json")

    other = make_token_client(UserFactory()).post(url, {"frequency": "daily"}, format="json")

    assert other.status_code == 202
