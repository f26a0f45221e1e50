"""Operators read digests, deliveries, alerts and Telegram links in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from digests.models import Delivery
from digests.tests.factories import DeliveryFactory, DigestFactory, NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    [
        "digests_digest",
        "digests_delivery",
        "digests_channeldigest",
        "digests_notification",
        "telegram_bot_telegramlink",
    ],
)
def test_changelists_open(admin_client, name):
    digest = DigestFactory()
    DeliveryFactory(digest=digest, status=Delivery.Status.FAILED, last_error="refused")
    NotificationFactory()
    response = admin_client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200


def test_a_digest_page_shows_its_deliveries(admin_client):
    digest = DigestFactory()
    DeliveryFactory(digest=digest, last_error="Mail server unavailable")
    response = admin_client.get(reverse("admin:digests_digest_change", args=[digest.pk]))
    assert response.status_code == 200
    assert "Mail server unavailable" in response.content.decode()


def test_retry_puts_only_failed_deliveries_back_in_the_queue(admin_client):
    failed = DeliveryFactory(status=Delivery.Status.FAILED, attempts=6)
    sent = DeliveryFactory(status=Delivery.Status.SENT, attempts=1)
    admin_client.post(
        reverse("admin:digests_delivery_changelist"),
        {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]},
    )
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == (Delivery.Status.PENDING, 0)
    assert sent.status == Delivery.Status.SENT
