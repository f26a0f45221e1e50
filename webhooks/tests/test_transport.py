"""The network policy for webhook targets, at registration and at send time."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from news.tests.http_servers import make_self_signed_certificate
from webhooks.forms import validate_target_url
from webhooks.models import WebhookDelivery
from webhooks.sending import webhook_delivery_send
from webhooks.tests.conftest import PRIVATE_HOST, PUBLIC_HOST
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.tests.receiver import Answer, Receiver
from webhooks.transport import WebhookSender, WebhookSendError, WebhookTargetRefusedError


def test_a_public_https_url_is_accepted():
    validate_target_url(f"https://{PUBLIC_HOST}/hooks")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"http://{PUBLIC_HOST}/hooks", "only https"),
        (f"ftp://{PUBLIC_HOST}/hooks", "only https"),
        ("https://127.0.0.1/hooks", "loopback"),
        ("https://[::1]/hooks", "loopback"),
        ("https://2130706433/hooks", "loopback"),
        ("https://localhost/hooks", "does not resolve"),
        ("https://10.0.0.1/hooks", "private"),
        ("https://192.168.1.20/hooks", "private"),
        ("https://172.16.0.1/hooks", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[fe80::1]/hooks", "link-local"),
        ("https://100.64.0.1/hooks", "shared"),
        (f"https://{PRIVATE_HOST}/hooks", "resolves to a private address"),
        (f"https://user:pass@{PUBLIC_HOST}/hooks", "credentials"),
        (f"https://{PUBLIC_HOST}:8443/hooks", "port 8443"),
        ("https://nowhere.invalid/hooks", "does not resolve"),
    ],
)
def test_registration_refuses_what_the_fetcher_refuses(url, reason, connect_attempts):
    with pytest.raises(ValidationError) as refused:
        validate_target_url(url)
    assert reason in str(refused.value)
    assert connect_attempts == []


def test_http_is_refused_unless_the_setting_allows_it(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    validate_target_url(f"http://{PUBLIC_HOST}/hooks")


def test_private_addresses_pass_only_when_allowed_like_the_fetcher(settings, receiver):
    settings.WEBHOOK_ALLOW_HTTP = True
    with pytest.raises(ValidationError):
        validate_target_url(receiver.url())
    settings.FETCH_ALLOW_PRIVATE_HOSTS = [receiver.allow_entry]
    validate_target_url(receiver.url())


@pytest.mark.django_db
def test_a_name_that_resolves_to_a_private_address_when_sent_is_refused_then(
    settings, dns, connect_attempts
):
    endpoint = WebhookEndpointFactory(url=f"https://{PUBLIC_HOST}/hooks")
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    dns[PUBLIC_HOST] = ["127.0.0.1"]  # the name was re-pointed after registration

    outcome = webhook_delivery_send(delivery_id=delivery.pk, now=timezone.now())

    delivery.refresh_from_db()
    assert outcome.status == "given_up"  # a refused target is permanent
    assert delivery.status == WebhookDelivery.Status.GIVEN_UP
    assert "resolves to a loopback address" in delivery.last_error
    assert connect_attempts == []


@pytest.mark.django_db
def test_a_url_turned_http_is_refused_at_send_time(settings, reachable, connect_attempts):
    endpoint = WebhookEndpointFactory(url=reachable.url())
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    settings.WEBHOOK_ALLOW_HTTP = False

    outcome = webhook_delivery_send(delivery_id=delivery.pk, now=timezone.now())

    assert outcome.status == "given_up"
    assert "only https" in outcome.error
    assert connect_attempts == []


def test_dns_rebinding_finds_nothing_to_rebind(dns, connect_attempts):
    """The address checked is the address connected to: a second lookup never happens."""
    answers = iter([["93.184.216.40"], ["127.0.0.1"]])
    lookups = []

    def rebinding(host, port):
        lookups.append(host)
        return next(answers)

    sender = WebhookSender(
        allow_private_hosts=[], allow_http=False, timeout=2, user_agent="t", resolver=rebinding
    )
    with pytest.raises(AssertionError, match=r"93\.184\.216\.40"):
        # The connection guard stops the one connection, made to the checked public address.
        sender.post("https://rebind.example.com/hooks", body=b"{}", headers={})
    sender.close()
    assert lookups == ["rebind.example.com"]
    assert connect_attempts == [("93.184.216.40", 443)]


@pytest.mark.django_db
def test_redirects_are_not_followed(reachable):
    elsewhere = "http://127.0.0.1:1/internal"
    reachable.replies = [Answer(status=302, headers={"Location": elsewhere})]
    delivery = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=reachable.url()))

    outcome = webhook_delivery_send(delivery_id=delivery.pk, now=timezone.now())

    delivery.refresh_from_db()
    assert outcome.status == "failed"
    assert delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error
    assert len(reachable.requests) == 1


@pytest.mark.django_db
def test_a_slow_receiver_hits_the_timeout(settings, reachable):
    settings.WEBHOOK_TIMEOUT = 0.3
    reachable.replies = [Answer(delay=1.0)]
    delivery = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=reachable.url()))

    outcome = webhook_delivery_send(delivery_id=delivery.pk, now=timezone.now())

    assert outcome.status == "failed"
    assert "No answer from 127.0.0.1 within 0.3 s" in outcome.error


@pytest.mark.django_db
def test_a_refused_connection_is_retried(settings, closed_port):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.FETCH_ALLOW_PRIVATE_HOSTS = [f"127.0.0.1:{closed_port}"]
    endpoint = WebhookEndpointFactory(url=f"http://127.0.0.1:{closed_port}/hooks")
    delivery = WebhookDeliveryFactory(endpoint=endpoint)

    outcome = webhook_delivery_send(delivery_id=delivery.pk, now=timezone.now())

    assert outcome.status == "failed"
    assert outcome.error == "Could not connect to 127.0.0.1"


def test_errors_name_the_host_but_not_the_path_or_query(settings, closed_port):
    sender = WebhookSender(
        allow_private_hosts=[f"127.0.0.1:{closed_port}"],
        allow_http=True,
        timeout=2,
        user_agent="t",
    )
    with pytest.raises(WebhookSendError) as failed:
        sender.post(f"http://127.0.0.1:{closed_port}/hooks?token=s3cret", body=b"{}", headers={})
    sender.close()
    assert "s3cret" not in str(failed.value)


def test_https_with_a_verified_certificate(tmp_path):
    certificate = make_self_signed_certificate(tmp_path, "hooks.test")
    with Receiver(tls=certificate) as receiver:
        sender = WebhookSender(
            allow_private_hosts=[f"hooks.test:{receiver.port}"],
            allow_http=False,
            timeout=5,
            user_agent="t",
            resolver=lambda host, port: ["127.0.0.1"],
            ca_bundle=str(certificate.cert_path),
        )
        response = sender.post(
            f"https://hooks.test:{receiver.port}/hooks", body=b'{"a":1}', headers={"X-A": "b"}
        )
        sender.close()
        assert response.ok
        (received,) = receiver.requests
        assert received.body == b'{"a":1}'
        assert received.headers["x-a"] == "b"

        untrusting = WebhookSender(
            allow_private_hosts=[f"hooks.test:{receiver.port}"],
            allow_http=False,
            timeout=5,
            user_agent="t",
            resolver=lambda host, port: ["127.0.0.1"],
        )
        with pytest.raises(WebhookSendError, match="TLS certificate verification failed"):
            untrusting.post(f"https://hooks.test:{receiver.port}/hooks", body=b"{}", headers={})
        untrusting.close()


def test_the_sender_refuses_before_connecting(connect_attempts):
    sender = WebhookSender(allow_private_hosts=[], allow_http=False, timeout=2, user_agent="t")
    with pytest.raises(WebhookTargetRefusedError, match="private"):
        sender.post("https://10.0.0.8/hooks", body=b"{}", headers={})
    assert connect_attempts == []
