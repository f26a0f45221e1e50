import pytest
from django.conf import settings

from config.celery_app import app
from webhooks import tasks
from webhooks.models import WebhookDelivery
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory


def test_the_sweep_and_the_purge_are_declared_periodic_tasks():
    declared = {spec["task"] for spec in settings.PERIODIC_TASKS.values()}
    assert {"webhooks.deliver_due", "webhooks.purge_deliveries"} <= declared
    app.loader.import_default_modules()
    assert {"webhooks.deliver_due", "webhooks.purge_deliveries"} <= set(app.tasks)


@pytest.mark.django_db
def test_deliver_takes_an_id_and_sends_it(reachable):
    delivery = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=reachable.url()))
    assert tasks.deliver.delay(delivery.pk).get() == "succeeded"
    assert tasks.deliver.delay(delivery.pk).get() == "not_claimed"
    assert WebhookDelivery.objects.get().status == "succeeded"
    assert len(reachable.requests) == 1


@pytest.mark.django_db
def test_deliver_of_a_deleted_delivery_does_nothing():
    assert tasks.deliver.delay(123456).get() == "not_claimed"
