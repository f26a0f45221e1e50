from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Preferences
from accounts.tests.factories import UserFactory
from competitors.tests.factories import CompanyFactory
from digests import services as digest_services
from digests.models import Digest
from digests.notifications import notifications_create_for_items
from digests.tests.factories import DigestFactory, NotificationFactory
from news.tests.factories import NewsItemFactory
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MATCHED, CREATED, BUILT = "news.matched", "news.created", "digest.built"


def analysed_item(**fields):
    fields.setdefault("published_at", timezone.now() - timedelta(hours=1))
    return NewsItemFactory(analysed_at=timezone.now(), priority_score=0.9, **fields)


def alert(user, item):
    return NotificationFactory(user=user, item=item, dedupe_key=f"item:{item.pk}:new_news")


# ---------------------------------------------------------------- endpoints


def test_an_endpoint_gets_a_random_secret_and_its_events_in_order():
    owner = UserFactory()
    first = services.webhook_endpoint_create(
        owner=owner, url="https://hooks.example.com/a", events=[BUILT, MATCHED, MATCHED]
    )
    second = services.webhook_endpoint_create(
        owner=owner, url="https://hooks.example.com/b", events=[MATCHED]
    )
    assert first.secret.startswith("whsec_")
    assert len(first.secret) > 40
    assert first.secret != second.secret
    assert first.events == [MATCHED, BUILT]


def test_only_staff_may_subscribe_to_every_new_item():
    with pytest.raises(services.EventNotAllowedError):
        services.webhook_endpoint_create(
            owner=UserFactory(), url="https://hooks.example.com/a", events=[CREATED]
        )
    endpoint = services.webhook_endpoint_create(
        owner=UserFactory(is_staff=True), url="https://hooks.example.com/a", events=[CREATED]
    )
    assert endpoint.events == [CREATED]


def test_the_number_of_endpoints_is_capped():
    owner = UserFactory()
    WebhookEndpointFactory.create_batch(services.MAX_ENDPOINTS_PER_USER, owner=owner)
    with pytest.raises(services.TooManyEndpointsError):
        services.webhook_endpoint_create(
            owner=owner, url="https://hooks.example.com/a", events=[MATCHED]
        )


def test_rotating_changes_the_secret_and_enabling_clears_the_failures():
    endpoint = WebhookEndpointFactory(
        disabled_at=NOW, disabled_reason="broken", consecutive_failures=5, is_active=False
    )
    old = endpoint.secret
    services.webhook_endpoint_rotate_secret(endpoint=endpoint)
    services.webhook_endpoint_enable(endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret.startswith("whsec_")
    assert (endpoint.disabled_at, endpoint.disabled_reason) == (None, "")
    assert (endpoint.consecutive_failures, endpoint.is_active) == (0, True)


# ---------------------------------------------------------------- queueing


def test_news_matched_goes_to_the_endpoints_of_users_the_item_alerted():
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    item, other = analysed_item(), analysed_item()
    alert(alice, item)
    alert(bob, other)
    alice_hook = WebhookEndpointFactory(owner=alice)
    alice_digest_only = WebhookEndpointFactory(owner=alice, events=[BUILT])
    bob_hook = WebhookEndpointFactory(owner=bob)
    WebhookEndpointFactory(owner=carol)
    WebhookEndpointFactory(owner=bob, disabled_at=NOW)
    WebhookEndpointFactory(owner=bob, is_active=False)

    services.webhook_deliveries_queue_news_matched(item_ids=[item.pk, other.pk], now=NOW)

    rows = set(WebhookDelivery.objects.values_list("endpoint_id", "event_id"))
    assert rows == {
        (alice_hook.pk, f"news.matched:{item.pk}"),
        (bob_hook.pk, f"news.matched:{other.pk}"),
    }
    assert not alice_digest_only.deliveries.exists()
    payload = WebhookDelivery.objects.get(endpoint=alice_hook).payload
    assert payload["event"] == MATCHED
    assert payload["id"] == f"news.matched:{item.pk}"
    assert payload["data"]["item"]["id"] == item.pk
    assert payload["data"]["item"]["title"] == item.title
    assert payload["data"]["item"]["company"] == {
        "slug": item.company.slug,
        "name": item.company.name,
    }
    assert payload["data"]["item"]["web_url"].endswith(f"/news/{item.pk}/")
    assert payload["data"]["alert_type"] == "new_news"


def test_queueing_twice_queues_nothing_new():
    user = UserFactory()
    item = analysed_item()
    alert(user, item)
    WebhookEndpointFactory(owner=user)
    services.webhook_deliveries_queue_news_matched(item_ids=[item.pk], now=NOW)
    services.webhook_deliveries_queue_news_matched(item_ids=[item.pk], now=NOW)
    assert WebhookDelivery.objects.count() == 1


def test_two_alerts_for_one_item_are_one_delivery():
    user = UserFactory()
    item = analysed_item()
    alert(user, item)
    NotificationFactory(user=user, item=item, type="keyword_match", dedupe_key="second")
    WebhookEndpointFactory(owner=user)
    services.webhook_deliveries_queue_news_matched(item_ids=[item.pk], now=NOW)
    assert WebhookDelivery.objects.get().payload["data"]["alert_type"] == "new_news"


@pytest.mark.parametrize(("users", "items"), [(1, 1), (8, 12)])
def test_news_matched_needs_a_constant_number_of_queries(
    django_assert_max_num_queries, users, items
):
    batch = [analysed_item() for _ in range(items)]
    for _ in range(users):
        user = UserFactory()
        WebhookEndpointFactory(owner=user)
        for item in batch:
            alert(user, item)
    # Endpoints, alerts, items, one insert.
    with django_assert_max_num_queries(4):
        services.webhook_deliveries_queue_news_matched(
            item_ids=[item.pk for item in batch], now=NOW
        )
    assert WebhookDelivery.objects.count() == users * items


def test_with_no_endpoint_listening_queueing_costs_one_query(django_assert_num_queries):
    item = analysed_item()
    alert(UserFactory(), item)
    with django_assert_num_queries(1):
        services.webhook_deliveries_queue_news_matched(item_ids=[item.pk], now=NOW)
    with django_assert_num_queries(1):
        services.webhook_deliveries_queue_news_created(item_ids=[item.pk], now=NOW)


def test_news_created_goes_only_to_staff_endpoints():
    staff_hook = WebhookEndpointFactory(owner=UserFactory(is_staff=True), events=[CREATED])
    # Subscribed while staff, then demoted: no longer sent.
    WebhookEndpointFactory(owner=UserFactory(is_staff=False), events=[CREATED])
    WebhookEndpointFactory(owner=UserFactory(is_staff=True), events=[MATCHED])
    item = analysed_item()
    unanalysed = NewsItemFactory(analysed_at=None)

    services.webhook_deliveries_queue_news_created(item_ids=[item.pk, unanalysed.pk], now=NOW)

    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == staff_hook
    assert delivery.event_id == f"news.created:{item.pk}"
    assert delivery.payload["data"]["item"]["url"] == item.url


def test_digest_built_goes_to_the_owner_once_the_digest_is_built():
    owner = UserFactory()
    hook = WebhookEndpointFactory(owner=owner, events=[BUILT])
    WebhookEndpointFactory(owner=owner, events=[MATCHED])
    WebhookEndpointFactory(events=[BUILT])
    pending = DigestFactory(user=owner, status=Digest.Status.PENDING, built_at=None)
    built = DigestFactory(user=owner, status=Digest.Status.READY, item_count=3)

    assert services.webhook_deliveries_queue_digest_built(digest_id=pending.pk, now=NOW) == 0
    services.webhook_deliveries_queue_digest_built(digest_id=built.pk, now=NOW)

    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == hook
    assert delivery.event_id == f"digest.built:{built.pk}"
    data = delivery.payload["data"]["digest"]
    assert data["id"] == built.pk
    assert data["status"] == "ready"
    assert data["item_count"] == 3
    assert data["web_url"].endswith(f"/digests/{built.pk}/")


# ---------------------------------------------------------------- hooks in digests


def test_new_alerts_queue_and_send_news_matched(reachable, django_capture_on_commit_callbacks):
    company = CompanyFactory()
    user = UserFactory()
    preferences = Preferences.objects.create(user=user, notification_frequency="realtime")
    preferences.tracked_companies.set([company])
    hook = WebhookEndpointFactory(owner=user, url=reachable.url())
    staff_hook = WebhookEndpointFactory(
        owner=UserFactory(is_staff=True), url=reachable.url("/all"), events=[CREATED]
    )
    item = analysed_item(company=company)

    with django_capture_on_commit_callbacks(execute=True):
        notifications_create_for_items(item_ids=[item.pk])

    assert set(WebhookDelivery.objects.values_list("endpoint_id", "event", "status")) == {
        (hook.pk, MATCHED, "succeeded"),
        (staff_hook.pk, CREATED, "succeeded"),
    }
    assert sorted(request.path for request in reachable.requests) == ["/all", "/hook"]


def test_a_built_digest_queues_digest_built(django_capture_on_commit_callbacks):
    user = UserFactory()
    Preferences.objects.create(user=user, digest_channels=[])
    hook = WebhookEndpointFactory(owner=user, events=[BUILT])
    digest = DigestFactory(user=user, status=Digest.Status.PENDING, built_at=None)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        digest_services.digest_build(digest_id=digest.pk, now=timezone.now())
    for callback in callbacks:
        callback()

    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == hook
    assert delivery.event_id == f"digest.built:{digest.pk}"


def test_deleting_an_endpoint_is_scoped_to_its_owner():
    endpoint = WebhookEndpointFactory()
    WebhookDeliveryFactory(endpoint=endpoint)
    assert not services.webhook_endpoint_delete(owner=UserFactory(), endpoint_id=endpoint.pk)
    assert services.webhook_endpoint_delete(owner=endpoint.owner, endpoint_id=endpoint.pk)
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()
