import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services import new_secret


class WebhookEndpointFactory(factory.django.DjangoModelFactory[WebhookEndpoint]):
    class Meta:
        model = WebhookEndpoint

    owner = factory.SubFactory(UserFactory)
    url = factory.Sequence(lambda n: f"https://hooks.example.com/receive/{n}")
    secret = factory.LazyFunction(new_secret)
    events = factory.LazyFunction(
        lambda: [str(WebhookEvent.NEWS_MATCHED), str(WebhookEvent.DIGEST_BUILT)]
    )


class WebhookDeliveryFactory(factory.django.DjangoModelFactory[WebhookDelivery]):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event = WebhookEvent.NEWS_MATCHED
    event_id = factory.Sequence(lambda n: f"news.matched:{n}")
    payload = factory.LazyAttribute(
        lambda delivery: {
            "id": delivery.event_id,
            "event": str(delivery.event),
            "created_at": timezone.now().isoformat(),
            "data": {"item": {"id": 1, "title": "Acme ships a model"}},
        }
    )
    next_attempt_at = factory.LazyFunction(timezone.now)
