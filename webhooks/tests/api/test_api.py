import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tests.conftest import PUBLIC_HOST
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db

URL = f"https://{PUBLIC_HOST}/receive"


def list_url():
    return reverse("api:webhook-list")


def object_url(name, endpoint):
    return reverse(f"api:{name}", args=[endpoint.pk])


def snapshot(endpoint):
    endpoint.refresh_from_db()
    return (
        endpoint.url,
        endpoint.secret,
        endpoint.events,
        endpoint.description,
        endpoint.is_active,
        endpoint.disabled_at,
        endpoint.consecutive_failures,
    )


# Every object route: (route name, method, request body).
OBJECT_ROUTES = [
    ("webhook-detail", "get", None),
    ("webhook-detail", "patch", {"description": "changed"}),
    ("webhook-detail", "delete", None),
    ("webhook-rotate-secret", "post", None),
    ("webhook-test", "post", None),
    ("webhook-deliveries", "get", None),
    ("webhook-enable", "post", None),
]


# ---------------------------------------------------------------- permission matrix


def test_anonymous_clients_get_401_everywhere(api_client):
    endpoint = WebhookEndpointFactory(disabled_at=timezone.now())
    before = snapshot(endpoint)
    assert api_client.get(list_url()).status_code == 401
    assert api_client.post(list_url(), {"url": URL, "events": ["news.matched"]}).status_code == 401
    for name, method, body in OBJECT_ROUTES:
        response = getattr(api_client, method)(object_url(name, endpoint), body)
        assert response.status_code == 401, (name, method)
        assert response.json()["error"]["status"] == 401
    assert snapshot(endpoint) == before
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("who", ["another user", "staff"])
def test_someone_elses_endpoint_is_404_and_unchanged(who, make_token_client, token_client):
    endpoint = WebhookEndpointFactory(disabled_at=timezone.now(), is_active=False)
    WebhookDeliveryFactory(endpoint=endpoint)
    before = snapshot(endpoint)
    client = (
        token_client if who == "another user" else make_token_client(UserFactory(is_staff=True))
    )
    for name, method, body in OBJECT_ROUTES:
        response = getattr(client, method)(object_url(name, endpoint), body, format="json")
        assert response.status_code == 404, (name, method)
        assert response.json()["error"]["code"] == "not_found"
        assert endpoint.url not in response.content.decode()
    assert snapshot(endpoint) == before
    assert WebhookDelivery.objects.count() == 1
    assert client.get(list_url()).json()["count"] == 0


def test_the_owner_can_use_every_object_route(token_client):
    endpoint = WebhookEndpointFactory(owner=token_client.account)
    expected = {
        ("webhook-detail", "get"): 200,
        ("webhook-detail", "patch"): 200,
        ("webhook-rotate-secret", "post"): 200,
        ("webhook-test", "post"): 202,
        ("webhook-deliveries", "get"): 200,
        ("webhook-enable", "post"): 200,
        ("webhook-detail", "delete"): 204,
    }
    for (name, method), status in expected.items():
        body = {"description": "changed"} if method == "patch" else None
        response = getattr(token_client, method)(object_url(name, endpoint), body, format="json")
        assert response.status_code == status, (name, method, response.content)
    assert not WebhookEndpoint.objects.exists()


# ---------------------------------------------------------------- list and create


def test_list_shows_only_your_endpoints_without_secrets(token_client):
    mine = WebhookEndpointFactory(owner=token_client.account)
    WebhookEndpointFactory()
    body = token_client.get(list_url()).json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["id"] == mine.pk
    assert row["events"] == ["news.matched", "digest.built"]
    assert "secret" not in row


def test_create_returns_the_secret(token_client):
    response = token_client.post(
        list_url(),
        {"url": URL, "events": ["digest.built", "news.matched"], "description": " CI "},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.owner == token_client.account
    assert body["secret"] == endpoint.secret
    assert body["events"] == ["news.matched", "digest.built"]
    assert body["description"] == "CI"
    assert body["is_active"] is True


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"http://{PUBLIC_HOST}/receive", "only https"),
        ("https://10.0.0.1/receive", "private"),
        ("https://127.0.0.1/receive", "loopback"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://intranet.example.com/receive", "private"),
        ("not a url", "Enter a valid URL"),
    ],
)
def test_create_refuses_unsafe_urls(token_client, url, reason, connect_attempts):
    response = token_client.post(list_url(), {"url": url, "events": ["news.matched"]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert reason in " ".join(error["fields"]["url"])
    assert not WebhookEndpoint.objects.exists()
    assert connect_attempts == []


@pytest.mark.parametrize(
    "events", [[], ["ping"], ["news.everything"], "news.matched", ["news.created"]]
)
def test_create_refuses_bad_events(token_client, events):
    response = token_client.post(list_url(), {"url": URL, "events": events}, format="json")
    assert response.status_code == 400
    assert "events" in response.json()["error"]["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_staff_may_subscribe_to_news_created(staff_token_client):
    response = staff_token_client.post(
        list_url(), {"url": URL, "events": ["news.created"]}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["events"] == ["news.created"]


def test_the_endpoint_cap_is_a_400(token_client):
    WebhookEndpointFactory.create_batch(services.MAX_ENDPOINTS_PER_USER, owner=token_client.account)
    response = token_client.post(list_url(), {"url": URL, "events": ["news.matched"]})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["error"]["fields"]


def test_bad_page_numbers_are_404_not_500(token_client):
    assert token_client.get(list_url(), {"page": "abc"}).status_code == 404
    assert token_client.get(list_url(), {"page": "9"}).status_code == 404


# ---------------------------------------------------------------- one endpoint


def test_detail_shows_the_secret(token_client):
    endpoint = WebhookEndpointFactory(owner=token_client.account)
    body = token_client.get(object_url("webhook-detail", endpoint)).json()
    assert body["secret"] == endpoint.secret
    assert body["url"] == endpoint.url


def test_patch_changes_only_what_is_sent(token_client):
    endpoint = WebhookEndpointFactory(owner=token_client.account, description="old")
    response = token_client.patch(
        object_url("webhook-detail", endpoint),
        {"events": ["digest.built"], "is_active": False},
        format="json",
    )
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.events == ["digest.built"]
    assert endpoint.is_active is False
    assert endpoint.description == "old"


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://192.168.0.10/x"},
        {"url": f"http://{PUBLIC_HOST}/x"},
        {"events": ["news.created"]},
        {"events": []},
        {"is_active": "maybe"},
    ],
)
def test_patch_validates_like_create(token_client, body):
    endpoint = WebhookEndpointFactory(owner=token_client.account)
    before = snapshot(endpoint)
    response = token_client.patch(object_url("webhook-detail", endpoint), body, format="json")
    assert response.status_code == 400
    assert snapshot(endpoint) == before


def test_rotate_secret_returns_a_new_one(token_client):
    endpoint = WebhookEndpointFactory(owner=token_client.account)
    old = endpoint.secret
    body = token_client.post(object_url("webhook-rotate-secret", endpoint)).json()
    endpoint.refresh_from_db()
    assert body["secret"] == endpoint.secret != old


def test_test_queues_a_ping_that_is_sent_after_commit(
    token_client, reachable, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(owner=token_client.account, url=reachable.url())
    with django_capture_on_commit_callbacks(execute=True):
        response = token_client.post(object_url("webhook-test", endpoint))
    assert response.status_code == 202
    body = response.json()
    assert body["event"] == "ping"
    assert body["status"] == "pending"
    delivery = WebhookDelivery.objects.get(pk=body["id"])
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert reachable.requests[0].headers["x-webhook-id"] == body["event_id"]


def test_deliveries_are_the_endpoints_log_newest_first_and_paginated(token_client):
    endpoint = WebhookEndpointFactory(owner=token_client.account)
    deliveries = WebhookDeliveryFactory.create_batch(3, endpoint=endpoint)
    WebhookDeliveryFactory()  # someone else's
    response = token_client.get(object_url("webhook-deliveries", endpoint), {"page_size": 2})
    body = response.json()
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == [deliveries[2].pk, deliveries[1].pk]
    assert body["next"]
    row = body["results"][0]
    assert row["payload"]["id"] == deliveries[2].event_id
    assert set(row) >= {"status", "attempts", "last_status_code", "last_error", "duration_ms"}


def test_enable_turns_a_disabled_endpoint_back_on(token_client):
    endpoint = WebhookEndpointFactory(
        owner=token_client.account,
        disabled_at=timezone.now(),
        disabled_reason="5 deliveries in a row failed",
        consecutive_failures=5,
    )
    body = token_client.post(object_url("webhook-enable", endpoint)).json()
    assert body["disabled_at"] is None
    assert body["disabled_reason"] == ""
    assert body["consecutive_failures"] == 0


def test_a_disabled_endpoint_shows_why(token_client):
    endpoint = WebhookEndpointFactory(
        owner=token_client.account, disabled_at=timezone.now(), disabled_reason="HTTP 500"
    )
    body = token_client.get(object_url("webhook-detail", endpoint)).json()
    assert body["disabled_at"] is not None
    assert body["disabled_reason"] == "HTTP 500"
