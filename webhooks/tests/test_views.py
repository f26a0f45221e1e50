import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tests.conftest import PUBLIC_HOST
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db

PAGE = "/settings/webhooks/"


def action(name, endpoint):
    return reverse(f"settings:webhooks:{name}", args=[endpoint.pk])


def test_the_page_lives_under_settings():
    assert reverse("settings:webhooks:index") == PAGE


def test_the_settings_page_links_to_it(auth_client):
    assert f'href="{PAGE}"' in auth_client.get(reverse("settings:index")).content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client):
    endpoint = WebhookEndpointFactory()
    response = client.get(PAGE)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    for name in ("delete", "rotate_secret", "enable", "test"):
        assert client.post(action(name, endpoint)).status_code == 302
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_page_lists_your_endpoints_with_their_recent_deliveries(auth_client, user):
    endpoint = WebhookEndpointFactory(
        owner=user, disabled_at=timezone.now(), disabled_reason="5 deliveries in a row failed"
    )
    WebhookDeliveryFactory(endpoint=endpoint, event_id="news.matched:77", last_status_code=503)
    WebhookDeliveryFactory.create_batch(12, endpoint=endpoint)
    others = WebhookEndpointFactory(url="https://hooks.example.com/not-yours")

    page = auth_client.get(PAGE).content.decode()

    assert endpoint.url in page
    assert endpoint.secret in page
    assert "5 deliveries in a row failed" in page
    assert action("enable", endpoint) in page
    # The newest ten deliveries only: the oldest one is not on the page.
    assert page.count("<tr>") == 1 + 10
    assert "news.matched:77" not in page
    assert others.url not in page
    assert others.secret not in page


def test_the_page_query_count_does_not_grow_with_endpoints(
    auth_client, user, django_assert_max_num_queries
):
    for _ in range(5):
        WebhookDeliveryFactory.create_batch(3, endpoint=WebhookEndpointFactory(owner=user))
    # Session, user, endpoints, their deliveries, plus what base.html reads.
    with django_assert_max_num_queries(8):
        auth_client.get(PAGE)


def test_adding_an_endpoint(auth_client, user):
    response = auth_client.post(
        PAGE,
        {"url": f"https://{PUBLIC_HOST}/in", "events": ["news.matched"], "description": "Ops"},
    )
    assert response.status_code == 302
    assert response["Location"] == PAGE
    endpoint = WebhookEndpoint.objects.get(owner=user)
    assert endpoint.url == f"https://{PUBLIC_HOST}/in"
    assert endpoint.events == ["news.matched"]
    assert endpoint.secret.startswith("whsec_")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "https://10.0.0.1/in", "events": ["news.matched"]}, "private address"),
        ({"url": f"http://{PUBLIC_HOST}/in", "events": ["news.matched"]}, "only https"),
        ({"url": f"https://{PUBLIC_HOST}/in", "events": []}, "Choose at least one event"),
        ({"url": f"https://{PUBLIC_HOST}/in", "events": ["news.created"]}, "valid choice"),
    ],
)
def test_an_invalid_endpoint_is_not_added(auth_client, data, message):
    response = auth_client.post(PAGE, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_staff_see_and_may_pick_every_new_item(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert 'value="news.created"' in client.get(PAGE).content.decode()
    client.post(PAGE, {"url": f"https://{PUBLIC_HOST}/in", "events": ["news.created"]})
    assert WebhookEndpoint.objects.get().events == ["news.created"]


def test_other_users_do_not_see_the_staff_event(auth_client):
    assert 'value="news.created"' not in auth_client.get(PAGE).content.decode()


def test_owner_actions(auth_client, user, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(owner=user, disabled_at=timezone.now(), is_active=False)
    old_secret = endpoint.secret

    assert auth_client.post(action("rotate_secret", endpoint)).status_code == 302
    assert auth_client.post(action("enable", endpoint)).status_code == 302
    with django_capture_on_commit_callbacks(execute=False):
        assert auth_client.post(action("test", endpoint)).status_code == 302

    endpoint.refresh_from_db()
    assert endpoint.secret != old_secret
    assert (endpoint.disabled_at, endpoint.is_active) == (None, True)
    assert WebhookDelivery.objects.get().event == "ping"

    response = auth_client.post(action("delete", endpoint))
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_actions_on_someone_elses_endpoint_are_404(auth_client):
    endpoint = WebhookEndpointFactory(disabled_at=timezone.now())
    secret = endpoint.secret
    for name in ("delete", "rotate_secret", "enable", "test"):
        assert auth_client.post(action(name, endpoint)).status_code == 404, name
    endpoint.refresh_from_db()
    assert endpoint.secret == secret
    assert endpoint.disabled_at is not None
    assert not WebhookDelivery.objects.exists()


def test_actions_only_accept_post(auth_client, user):
    endpoint = WebhookEndpointFactory(owner=user)
    for name in ("delete", "rotate_secret", "enable", "test"):
        assert auth_client.get(action(name, endpoint)).status_code == 405
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_admin_lists_endpoints_and_read_only_deliveries(admin_client):
    delivery = WebhookDeliveryFactory(status=WebhookDelivery.Status.GIVEN_UP)
    assert admin_client.get(reverse("admin:webhooks_webhookendpoint_changelist")).status_code == 200
    deliveries = reverse("admin:webhooks_webhookdelivery_changelist")
    listed = admin_client.get(deliveries, {"status__exact": "given_up"})
    assert listed.status_code == 200
    assert delivery.event_id in listed.content.decode()
    detail = admin_client.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert delivery.endpoint.secret not in detail.content.decode()
