import pytest
from django.urls import reverse

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _fail(client, email, **extra):
    return client.post(
        reverse("accounts:login"), {"username": email, "password": "wrong-password"}, **extra
    )


def test_sixth_failed_login_in_a_minute_gets_429(client, settings):
    settings.LOGIN_RATE = "5/m"
    user = UserFactory()
    for _ in range(5):
        assert _fail(client, user.email).status_code == 200
    response = _fail(client, user.email)
    assert response.status_code == 429
    assert response["Retry-After"]
    # Even the right password is refused until the window passes.
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 429


def test_forged_forwarded_for_does_not_reset_the_limit(client, settings):
    settings.LOGIN_RATE = "5/m"
    settings.TRUSTED_PROXY_COUNT = 0
    for attempt in range(5):
        response = _fail(
            client, f"victim{attempt}@example.com", HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}"
        )
        assert response.status_code == 200
    response = _fail(client, "another@example.com", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429


def test_behind_a_proxy_only_the_proxy_written_entry_counts(client, settings):
    settings.LOGIN_RATE = "5/m"
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(5):
        forged = f"198.51.100.{attempt}, 192.0.2.10"
        assert (
            _fail(client, f"u{attempt}@example.com", HTTP_X_FORWARDED_FOR=forged).status_code == 200
        )
    response = _fail(client, "u9@example.com", HTTP_X_FORWARDED_FOR="1.2.3.4, 192.0.2.10")
    assert response.status_code == 429
    # A different real client (different proxy-written address) is not affected.
    response = _fail(client, "u10@example.com", HTTP_X_FORWARDED_FOR="192.0.2.11")
    assert response.status_code == 200


def test_failures_against_one_account_from_many_addresses_are_limited(client, settings):
    settings.LOGIN_RATE = "5/m"
    user = UserFactory()
    for attempt in range(5):
        assert _fail(client, user.email, REMOTE_ADDR=f"192.0.2.{attempt}").status_code == 200
    assert _fail(client, user.email, REMOTE_ADDR="192.0.2.200").status_code == 429


def test_successful_logins_are_not_counted(client, settings):
    settings.LOGIN_RATE = "2/m"
    user = UserFactory()
    for _ in range(4):
        response = client.post(
            reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD}
        )
        assert response.status_code == 302
        client.post(reverse("accounts:logout"))


def test_signup_and_password_reset_are_rate_limited(client, settings):
    settings.SIGNUP_RATE = "2/m"
    settings.PASSWORD_RESET_RATE = "2/m"
    for _ in range(2):
        assert client.post(reverse("accounts:signup"), {"email": "bad"}).status_code == 200
    assert client.post(reverse("accounts:signup"), {"email": "bad"}).status_code == 429
    for _ in range(2):
        response = client.post(reverse("accounts:password_reset"), {"email": "x@example.com"})
        assert response.status_code == 302
    response = client.post(reverse("accounts:password_reset"), {"email": "x@example.com"})
    assert response.status_code == 429
