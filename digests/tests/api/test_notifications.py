from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Preferences
from accounts.tests.factories import UserFactory
from competitors.tests.factories import CompanyFactory
from digests.models import Notification
from digests.tests.factories import NotificationFactory
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "api:notification-list", []),
        ("get", "api:notification-unread-count", []),
        ("post", "api:notification-read-all", []),
        ("get", "api:notification-settings", []),
        ("patch", "api:notification-settings", []),
        ("get", "api:notification-detail", [1]),
        ("delete", "api:notification-detail", [1]),
        ("post", "api:notification-read", [1]),
    ],
)
def test_anonymous_clients_get_401(api_client, method, name, args):
    response = getattr(api_client, method)(reverse(name, args=args))

    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


OBJECT_ROUTES = [
    ("get", "api:notification-detail", 200),
    ("post", "api:notification-read", 200),
    ("delete", "api:notification-detail", 204),
]


@pytest.mark.parametrize(("method", "name", "ok"), OBJECT_ROUTES)
def test_anonymous_clients_cannot_touch_a_notification(api_client, method, name, ok):
    notification = NotificationFactory()

    response = getattr(api_client, method)(reverse(name, args=[notification.pk]))

    assert response.status_code == 401
    assert Notification.objects.get(pk=notification.pk).read_at is None


@pytest.mark.parametrize(("method", "name", "ok"), OBJECT_ROUTES)
def test_the_owner_may_use_every_notification_route(make_token_client, method, name, ok):
    notification = NotificationFactory()

    response = getattr(make_token_client(notification.user), method)(
        reverse(name, args=[notification.pk])
    )

    assert response.status_code == ok


@pytest.mark.parametrize(("method", "name", "ok"), OBJECT_ROUTES)
@pytest.mark.parametrize("who", ["other user", "staff"])
def test_someone_elses_notification_is_404_and_unchanged(
    make_token_client, staff_token_client, method, name, ok, who
):
    notification = NotificationFactory(title="Private: Acme raises prices")
    client = staff_token_client if who == "staff" else make_token_client(UserFactory())

    response = getattr(client, method)(reverse(name, args=[notification.pk]))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "Acme" not in response.content.decode()
    stored = Notification.objects.get(pk=notification.pk)
    assert stored.read_at is None
    assert stored.title == "Private: Acme raises prices"


@pytest.mark.parametrize(("method", "name", "ok"), OBJECT_ROUTES)
def test_an_unknown_notification_is_404(token_client, method, name, ok):
    response = getattr(token_client, method)(reverse(name, args=[999_999]))

    assert response.status_code == 404


# ---------------------------------------------------------------- list


def test_list_shows_only_own_notifications_newest_first(token_client):
    user = token_client.account
    now = timezone.now()
    company = CompanyFactory(name="Acme Labs", slug="acme-labs")
    item = NewsItemFactory(company=company)
    older = NotificationFactory(user=user, created_at=now - timedelta(hours=2))
    newer = NotificationFactory(
        user=user,
        created_at=now,
        type=Notification.Type.PRICING_CHANGE,
        priority=Notification.Priority.HIGH,
        item=item,
        company=company,
        category="pricing_change",
        read_at=now,
    )
    NotificationFactory(user=UserFactory())

    response = token_client.get(reverse("api:notification-list"))

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    assert body["results"][0] == {
        "id": newer.pk,
        "type": "pricing_change",
        "priority": "high",
        "title": newer.title,
        "body": newer.body,
        "item_id": item.pk,
        "company": {"id": company.pk, "slug": "acme-labs", "name": "Acme Labs"},
        "category": "pricing_change",
        "is_read": True,
        "read_at": now.isoformat().replace("+00:00", "Z"),
        "created_at": now.isoformat().replace("+00:00", "Z"),
    }
    assert body["results"][1]["company"] is None
    assert body["results"][1]["is_read"] is False


@pytest.mark.parametrize(("value", "expected"), [("true", 1), ("1", 1), ("false", 2)])
def test_list_filters_unread(token_client, value, expected):
    NotificationFactory(user=token_client.account)
    NotificationFactory(user=token_client.account, read_at=timezone.now())

    response = token_client.get(reverse("api:notification-list"), {"unread": value})

    assert response.json()["count"] == expected
    if value == "true":
        assert response.json()["results"][0]["read_at"] is None


def test_list_refuses_a_bad_filter(token_client):
    response = token_client.get(reverse("api:notification-list"), {"unread": "maybe"})

    assert response.status_code == 400
    assert "unread" in response.json()["error"]["fields"]


def test_list_is_paginated(token_client):
    for _ in range(3):
        NotificationFactory(user=token_client.account)

    first = token_client.get(reverse("api:notification-list"), {"page_size": 2}).json()
    beyond = token_client.get(reverse("api:notification-list"), {"page": 5})

    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["next"] is not None
    assert beyond.status_code == 404


def test_list_takes_the_same_number_of_queries_whatever_its_length(token_client):
    user = token_client.account

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert token_client.get(reverse("api:notification-list")).status_code == 200
        return len(captured)

    queries()  # the token's first use records it
    company = CompanyFactory()
    NotificationFactory(user=user, company=company, item=NewsItemFactory(company=company))
    one = queries()
    for _ in range(5):
        company = CompanyFactory()
        NotificationFactory(user=user, company=company, item=NewsItemFactory(company=company))
    six = queries()

    assert six == one


# ---------------------------------------------------------------- unread count


def test_unread_count_counts_only_own_unread(token_client):
    NotificationFactory.create_batch(2, user=token_client.account)
    NotificationFactory(user=token_client.account, read_at=timezone.now())
    NotificationFactory(user=UserFactory())

    response = token_client.get(reverse("api:notification-unread-count"))

    assert response.status_code == 200
    assert response.json() == {"count": 2}


# ---------------------------------------------------------------- mark read, delete


def test_mark_read_keeps_the_first_read_time_and_updates_the_count(token_client):
    notification = NotificationFactory(user=token_client.account)
    url = reverse("api:notification-read", args=[notification.pk])
    assert token_client.get(reverse("api:notification-unread-count")).json() == {"count": 1}

    first = token_client.post(url)
    first_read = Notification.objects.get(pk=notification.pk).read_at
    again = token_client.post(url)

    assert first.status_code == 200
    assert first.json()["is_read"] is True
    assert first.json()["id"] == notification.pk
    assert again.status_code == 200
    assert Notification.objects.get(pk=notification.pk).read_at == first_read
    # The cached count is forgotten with the change.
    assert token_client.get(reverse("api:notification-unread-count")).json() == {"count": 0}


def test_read_all_marks_only_own_unread(token_client):
    earlier = timezone.now() - timedelta(days=1)
    NotificationFactory.create_batch(2, user=token_client.account)
    already = NotificationFactory(user=token_client.account, read_at=earlier)
    stranger = NotificationFactory(user=UserFactory())

    response = token_client.post(reverse("api:notification-read-all"))

    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert not Notification.objects.filter(user=token_client.account, read_at=None).exists()
    assert Notification.objects.get(pk=already.pk).read_at == earlier
    assert Notification.objects.get(pk=stranger.pk).read_at is None


def test_delete_removes_the_notification(token_client):
    notification = NotificationFactory(user=token_client.account)

    response = token_client.delete(reverse("api:notification-detail", args=[notification.pk]))

    assert response.status_code == 204
    assert response.content == b""
    assert not Notification.objects.filter(pk=notification.pk).exists()
    again = token_client.delete(reverse("api:notification-detail", args=[notification.pk]))
    assert again.status_code == 404


# ---------------------------------------------------------------- settings


def test_settings_show_the_defaults_before_the_first_save(token_client):
    response = token_client.get(reverse("api:notification-settings"))

    assert response.status_code == 200
    assert response.json() == {
        "notify_enabled": True,
        "notify_min_priority": "medium",
        "notify_company_alerts": True,
        "notify_keyword_alerts": True,
        "notify_category_trends": True,
        "notification_frequency": "daily",
    }
    assert not Preferences.objects.filter(user=token_client.account).exists()


def test_settings_patch_changes_only_the_fields_sent(token_client):
    Preferences.objects.create(
        user=token_client.account, notify_keyword_alerts=False, digest_format="short"
    )

    response = token_client.patch(
        reverse("api:notification-settings"),
        {"notify_min_priority": "high", "notification_frequency": "realtime"},
        format="json",
    )

    stored = Preferences.objects.get(user=token_client.account)
    assert response.status_code == 200
    assert response.json()["notify_min_priority"] == "high"
    assert response.json()["notify_keyword_alerts"] is False
    assert stored.notify_min_priority == "high"
    assert stored.notification_frequency == "realtime"
    assert stored.notify_keyword_alerts is False
    assert stored.digest_format == "short"
    assert token_client.get(reverse("api:notification-settings")).json() == response.json()


def test_settings_patch_creates_the_preferences_on_first_save(token_client):
    response = token_client.patch(
        reverse("api:notification-settings"), {"notify_enabled": False}, format="json"
    )

    assert response.status_code == 200
    stored = Preferences.objects.get(user=token_client.account)
    assert stored.notify_enabled is False
    assert stored.notify_min_priority == "medium"


@pytest.mark.parametrize(
    "payload",
    [
        {"notify_min_priority": "urgent"},
        {"notification_frequency": "hourly"},
        {"notify_enabled": "perhaps"},
        {"notify_category_trends": None},
    ],
)
def test_settings_patch_refuses_invalid_values_and_changes_nothing(token_client, payload):
    Preferences.objects.create(user=token_client.account)

    response = token_client.patch(reverse("api:notification-settings"), payload, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == set(payload)
    stored = Preferences.objects.get(user=token_client.account)
    assert stored.notify_min_priority == "medium"
    assert stored.notification_frequency == "daily"
    assert stored.notify_enabled is True
    assert stored.notify_category_trends is True


def test_settings_of_one_user_leave_others_alone(token_client):
    other = UserFactory()
    Preferences.objects.create(user=other)

    token_client.patch(
        reverse("api:notification-settings"), {"notify_enabled": False}, format="json"
    )

    assert Preferences.objects.get(user=other).notify_enabled is True


def test_settings_refuse_put(token_client):
    response = token_client.put(reverse("api:notification-settings"), {}, format="json")

    assert response.status_code == 405
