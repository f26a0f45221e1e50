import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from competitors.tests.factories import CompanyFactory
from digests.models import Notification
from digests.notification_selectors import PAGE_SIZE
from digests.tests.factories import NotificationFactory
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST_URL = "/notifications/"


def read_url(notification):
    return reverse("notifications:read", args=[notification.pk])


def delete_url(notification):
    return reverse("notifications:delete", args=[notification.pk])


def test_the_centre_is_mounted_where_the_header_links():
    assert reverse("notifications:list") == LIST_URL
    assert reverse("notifications:bell") == "/notifications/bell/"


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(
    ("method", "name", "needs_pk"),
    [
        ("get", "notifications:list", False),
        ("get", "notifications:bell", False),
        ("post", "notifications:read_all", False),
        ("post", "notifications:read", True),
        ("post", "notifications:delete", True),
    ],
)
def test_visitors_are_sent_to_log_in(client, method, name, needs_pk):
    url = reverse(name, args=[NotificationFactory().pk] if needs_pk else [])
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_polling_bell_of_a_signed_out_visitor_stops(client):
    response = client.get(reverse("notifications:bell"), **HTMX)
    assert response.status_code == 286


def test_an_htmx_action_of_a_signed_out_visitor_redirects_the_page(client):
    response = client.post(read_url(NotificationFactory()), **HTMX)
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_another_users_notification_is_not_found(auth_client):
    theirs = NotificationFactory()
    for url in (read_url(theirs), delete_url(theirs)):
        assert auth_client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("pk", [0, 987654321, 99999999999999999999999])
def test_unknown_ids_are_not_found(auth_client, pk):
    for name in ("notifications:read", "notifications:delete"):
        assert auth_client.post(reverse(name, args=[pk])).status_code == 404


def test_non_numeric_ids_are_not_found(auth_client):
    assert auth_client.post(f"{LIST_URL}abc/read/").status_code == 404


@pytest.mark.parametrize("name", ["notifications:read_all"])
def test_actions_refuse_get(auth_client, name):
    assert auth_client.get(reverse(name)).status_code == 405


# ---------------------------------------------------------------- list


def test_the_list_shows_only_my_notifications_newest_first(auth_client, user):
    older = NotificationFactory(
        user=user, title="Older", created_at=timezone.now() - timedelta(hours=2)
    )
    newer = NotificationFactory(user=user, title="Newer", type="pricing_change", priority="high")
    NotificationFactory(title="Someone else's")

    response = auth_client.get(LIST_URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.index(newer.title) < content.index(older.title)
    assert "Someone else&#x27;s" not in content
    assert "Pricing change" in content
    assert "High priority" in content


def test_times_are_shown_in_the_users_time_zone(client):
    user = UserFactory(timezone="Asia/Tokyo")
    NotificationFactory(user=user, created_at=datetime(2026, 1, 1, 0, 0, tzinfo=UTC))
    client.force_login(user)

    content = client.get(LIST_URL).content.decode()

    assert 'datetime="2026-01-01T09:00:00+09:00"' in content


def test_notifications_link_to_what_they_are_about(auth_client, user):
    item = NewsItemFactory()
    company = CompanyFactory(slug="acme-ai")
    NotificationFactory(user=user, item=item)
    NotificationFactory(user=user, company=company, type="company_active")
    NotificationFactory(user=user, category="pricing_change", type="category_trend")

    content = auth_client.get(LIST_URL).content.decode()

    assert f'href="{reverse("news:detail", args=[item.pk])}"' in content
    assert 'href="/companies/acme-ai/"' in content
    assert 'href="/categories/pricing_change/"' in content


def test_the_list_can_show_only_unread(auth_client, user):
    NotificationFactory(user=user, title="Seen it", read_at=timezone.now())
    NotificationFactory(user=user, title="Fresh")

    content = auth_client.get(LIST_URL, {"show": "unread"}).content.decode()

    assert "Fresh" in content
    assert "Seen it" not in content
    assert "Unread (1)" in content


def test_the_list_is_paginated_and_tolerates_bad_page_numbers(auth_client, user):
    NotificationFactory.create_batch(PAGE_SIZE + 3, user=user)

    first = auth_client.get(LIST_URL)
    second = auth_client.get(LIST_URL, {"page": "2"})
    junk = auth_client.get(LIST_URL, {"page": "junk"})

    assert len(first.context["page"].object_list) == PAGE_SIZE
    assert len(second.context["page"].object_list) == 3
    assert junk.status_code == 200
    assert junk.context["page"].number == 1


def test_htmx_gets_the_list_fragment_only(auth_client, user):
    NotificationFactory(user=user, title="Fresh")
    response = auth_client.get(LIST_URL, {"show": "unread"}, **HTMX)
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="notification-list"')
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]


# ---------------------------------------------------------------- the bell


def test_every_page_shows_the_unread_count_without_javascript(auth_client, user):
    NotificationFactory.create_batch(3, user=user)
    NotificationFactory(user=user, read_at=timezone.now())

    content = auth_client.get(reverse("home")).content.decode()

    assert 'id="notification-bell"' in content
    assert "Notifications: 3 unread" in content
    assert 'href="/notifications/"' in content


def test_visitors_have_no_bell(client):
    assert 'id="notification-bell"' not in client.get(reverse("home")).content.decode()


def test_the_bell_endpoint_polls_with_one_count_then_the_cache(
    auth_client, user, django_assert_num_queries
):
    NotificationFactory.create_batch(2, user=user)
    url = reverse("notifications:bell")

    # The session, the user, then the count.
    with django_assert_num_queries(3):
        response = auth_client.get(url, **HTMX)
    with django_assert_num_queries(2):
        auth_client.get(url, **HTMX)

    content = response.content.decode()
    assert "Notifications: 2 unread" in content
    assert 'hx-trigger="every 60s, notifications-changed from:body"' in content
    assert "no-cache" in response["Cache-Control"]


def test_the_count_follows_changes_at_once(auth_client, user):
    first, second = NotificationFactory.create_batch(2, user=user)
    url = reverse("notifications:bell")
    assert "2 unread" in auth_client.get(url).content.decode()

    auth_client.post(read_url(first))
    assert "1 unread" in auth_client.get(url).content.decode()

    auth_client.post(delete_url(second))
    assert "none unread" in auth_client.get(url).content.decode()


def test_a_large_count_is_abbreviated(auth_client, user):
    NotificationFactory.create_batch(100, user=user)
    content = auth_client.get(reverse("notifications:bell")).content.decode()
    assert "99+" in content


# ---------------------------------------------------------------- actions


def test_mark_read_without_javascript_goes_back(auth_client, user):
    notification = NotificationFactory(user=user)

    response = auth_client.post(read_url(notification), {"next": f"{LIST_URL}?page=2"})

    assert response.status_code == 302
    assert response["Location"] == f"{LIST_URL}?page=2"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_read_never_sends_the_browser_off_site(auth_client, user):
    notification = NotificationFactory(user=user)
    response = auth_client.post(read_url(notification), {"next": "https://evil.example.com/"})
    assert response["Location"] == LIST_URL


def test_mark_read_keeps_the_first_read_time(auth_client, user):
    first_read = timezone.now() - timedelta(days=1)
    notification = NotificationFactory(user=user, read_at=first_read)
    auth_client.post(read_url(notification))
    notification.refresh_from_db()
    assert notification.read_at == first_read


def test_mark_read_with_htmx_answers_the_row(auth_client, user):
    notification = NotificationFactory(user=user, title="Acme: prices cut")

    response = auth_client.post(read_url(notification), **HTMX)

    content = response.content.decode()
    assert content.lstrip().startswith(f'<li id="notification-{notification.pk}"')
    assert "Acme: prices cut" in content
    assert "Mark as read" not in content
    assert "notifications-changed" in json.loads(response["HX-Trigger"])


def test_mark_all_read_touches_only_my_notifications(auth_client, user):
    mine = NotificationFactory.create_batch(3, user=user)
    theirs = NotificationFactory()

    response = auth_client.post(reverse("notifications:read_all"), {"next": LIST_URL})

    assert response.status_code == 302
    assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at=None).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_with_htmx_answers_the_list(auth_client, user):
    NotificationFactory.create_batch(2, user=user)

    response = auth_client.post(
        reverse("notifications:read_all"), {"next": LIST_URL, "show": "unread"}, **HTMX
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="notification-list"')
    assert "Nothing unread" in content
    assert "notifications-changed" in json.loads(response["HX-Trigger"])


def test_delete_removes_the_notification(auth_client, user):
    notification = NotificationFactory(user=user)

    response = auth_client.post(delete_url(notification), {"next": LIST_URL})

    assert response.status_code == 302
    assert not Notification.objects.filter(pk=notification.pk).exists()
    assert auth_client.post(delete_url(notification)).status_code == 404


def test_delete_with_htmx_answers_nothing_to_remove_the_row(auth_client, user):
    notification = NotificationFactory(user=user)
    response = auth_client.post(delete_url(notification), **HTMX)
    assert response.status_code == 200
    assert response.content == b""
    assert "notifications-changed" in json.loads(response["HX-Trigger"])
