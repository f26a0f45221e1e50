import hashlib
import hmac
import json

import pytest
from django.conf import settings
from django.utils import timezone

from webhooks import signing
from webhooks.sending import webhook_delivery_send
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory

SECRET = "whsec_test-secret"
BODY = b'{"id":"news.matched:1","event":"news.matched"}'
NOW = 1_767_225_600


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    timestamp, header = signing.sign(secret=SECRET, body=BODY, timestamp=NOW)
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert timestamp == NOW
    assert header == f"v1={expected}"


def test_a_signed_body_verifies():
    timestamp, header = signing.sign(secret=SECRET, body=BODY, timestamp=NOW)
    assert signing.verify(
        secret=SECRET, body=BODY, timestamp=str(timestamp), signature_header=header, now=NOW + 1
    )


@pytest.mark.parametrize(
    ("secret", "body", "timestamp"),
    [
        ("whsec_another", BODY, NOW),  # wrong secret
        (SECRET, BODY + b" ", NOW),  # body changed on the way
        (SECRET, BODY, NOW + 1),  # timestamp changed, so the MAC no longer matches
    ],
)
def test_anything_changed_fails(secret, body, timestamp):
    _, header = signing.sign(secret=SECRET, body=BODY, timestamp=NOW)
    assert not signing.verify(
        secret=secret, body=body, timestamp=str(timestamp), signature_header=header, now=NOW
    )


@pytest.mark.parametrize("offset", [-301, 301])
def test_timestamps_outside_the_tolerance_fail(offset):
    _, header = signing.sign(secret=SECRET, body=BODY, timestamp=NOW)
    assert signing.verify(
        secret=SECRET, body=BODY, timestamp=str(NOW), signature_header=header, now=NOW + 300
    )
    assert not signing.verify(
        secret=SECRET,
        body=BODY,
        timestamp=str(NOW),
        signature_header=header,
        now=NOW - offset,
        tolerance=300,
    )


def test_one_matching_signature_among_several_is_enough():
    _, header = signing.sign(secret=SECRET, body=BODY, timestamp=NOW)
    combined = f"v1={'0' * 64}, {header}, v2=whatever"
    assert signing.verify(
        secret=SECRET, body=BODY, timestamp=str(NOW), signature_header=combined, now=NOW
    )


@pytest.mark.parametrize(
    ("timestamp", "header"),
    [("yesterday", "v1=00"), (str(NOW), ""), (str(NOW), "v1=é"), (str(NOW), "sha256=abc")],
)
def test_malformed_headers_fail_without_raising(timestamp, header):
    assert not signing.verify(
        secret=SECRET, body=BODY, timestamp=timestamp, signature_header=header, now=NOW
    )


@pytest.mark.django_db
def test_a_receiver_verifies_a_real_delivery(reachable):
    endpoint = WebhookEndpointFactory(url=reachable.url("/hooks/in"))
    delivery = WebhookDeliveryFactory(endpoint=endpoint)

    outcome = webhook_delivery_send(delivery_id=delivery.pk, now=timezone.now())

    assert outcome.status == "succeeded"
    (received,) = reachable.requests
    assert received.method == "POST"
    assert received.path == "/hooks/in"
    headers = received.headers
    assert headers["content-type"] == "application/json"
    assert headers["x-webhook-id"] == delivery.event_id
    assert headers["x-webhook-event"] == "news.matched"
    assert signing.verify(
        secret=endpoint.secret,
        body=received.body,
        timestamp=headers["x-webhook-timestamp"],
        signature_header=headers["x-webhook-signature"],
        tolerance=60,
    )
    assert not signing.verify(
        secret="whsec_not-the-endpoint-secret",
        body=received.body,
        timestamp=headers["x-webhook-timestamp"],
        signature_header=headers["x-webhook-signature"],
    )
    assert json.loads(received.body) == delivery.payload


def docs_receiver_example():
    """The verify_webhook function from docs/api.md, as a receiver would copy it."""
    text = (settings.BASE_DIR / "docs" / "api.md").read_text()
    code = next(block for block in text.split("```python\n")[1:] if "def verify_webhook" in block)
    namespace = {}
    exec(code.split("```")[0], namespace)  # noqa: S102 - our own documentation
    return namespace["verify_webhook"]


@pytest.mark.django_db
def test_the_documented_receiver_accepts_a_real_delivery_and_nothing_else(reachable):
    verify_webhook = docs_receiver_example()
    endpoint = WebhookEndpointFactory(url=reachable.url())
    webhook_delivery_send(
        delivery_id=WebhookDeliveryFactory(endpoint=endpoint).pk, now=timezone.now()
    )
    (received,) = reachable.requests
    timestamp = received.headers["x-webhook-timestamp"]
    signature = received.headers["x-webhook-signature"]

    assert verify_webhook(endpoint.secret, received.body, timestamp, signature)
    assert not verify_webhook("whsec_other", received.body, timestamp, signature)
    assert not verify_webhook(endpoint.secret, received.body + b" ", timestamp, signature)
    stale = str(int(timestamp) - 301)
    _, stale_signature = signing.sign(
        secret=endpoint.secret, body=received.body, timestamp=int(stale)
    )
    assert not verify_webhook(endpoint.secret, received.body, stale, stale_signature)
