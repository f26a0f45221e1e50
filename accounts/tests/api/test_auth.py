"""POST /api/v1/auth/register/ and /api/v1/auth/token/."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api_tokens import MAX_TOKENS_PER_USER, api_token_create, hash_secret
from accounts.models import ApiToken, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = reverse("api:auth-register")
TOKEN = reverse("api:auth-token")
ME = reverse("api:me-detail")
STRONG_PASSWORD = "Quartz-Lantern-47-Orbit"


def _fields(response) -> Any:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


# ---------------------------------------------------------------- register


def test_register_creates_an_unverified_account(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            REGISTER,
            {
                "email": " New.Analyst@Example.com",
                "password": STRONG_PASSWORD,
                "full_name": "Nadia  A",
            },
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert "password" not in body
    assert STRONG_PASSWORD not in response.content.decode()
    user = User.objects.get()
    assert body == {
        "id": user.pk,
        "email": "new.analyst@example.com",
        "full_name": "Nadia A",
        "language": "",
        "timezone": "UTC",
        "is_verified": False,
        "is_staff": False,
        "date_joined": body["date_joined"],
    }
    assert user.check_password(STRONG_PASSWORD)
    assert user.preferences.next_digest_at is not None
    assert mail.outbox[-1].to == ["new.analyst@example.com"]


def test_register_does_not_sign_the_client_in(api_client):
    api_client.post(REGISTER, {"email": "a@example.com", "password": STRONG_PASSWORD})
    assert api_client.get(ME).status_code == 401


def test_register_needs_no_csrf_token_even_with_a_session(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(REGISTER, {"email": "b@example.com", "password": STRONG_PASSWORD})
    assert response.status_code == 201
    assert User.objects.filter(email="b@example.com").exists()


def test_a_taken_address_is_refused_without_saying_by_whom(api_client):
    UserFactory(email="taken@example.com")
    fields = _fields(
        api_client.post(REGISTER, {"email": "Taken@Example.com", "password": STRONG_PASSWORD})
    )
    assert list(fields) == ["email"]
    message = fields["email"][0].lower()
    assert "exist" not in message
    assert "account" not in message
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("12345678901234", "entirely numeric"),
        ("someone-example", "too similar"),
    ],
)
def test_weak_passwords_are_refused_by_djangos_validators(api_client, password, why):
    fields = _fields(
        api_client.post(REGISTER, {"email": "someone@example.com", "password": password})
    )
    assert list(fields) == ["password"]
    assert why in " ".join(fields["password"]).lower()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "not-an-address", "password": STRONG_PASSWORD},
        {"email": "x@example.com"},
        {"email": "x@example.com", "password": STRONG_PASSWORD, "full_name": "n" * 151},
        {"email": ["x@example.com"], "password": STRONG_PASSWORD},
    ],
)
def test_bad_sign_up_input_is_a_400(api_client, body):
    assert api_client.post(REGISTER, body).status_code == 400
    assert not User.objects.exists()


def test_register_is_throttled_per_address(api_client, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "auth": "2/minute"}
    for _ in range(2):
        assert api_client.post(REGISTER, {}).status_code == 400
    response = api_client.post(REGISTER, {"email": "c@example.com", "password": STRONG_PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not User.objects.exists()


# ---------------------------------------------------------------- token for a password


def _obtain(client, user, **extra):
    body = {"email": user.email, "password": DEFAULT_PASSWORD, "name": "laptop script"} | extra
    return client.post(TOKEN, body)


def test_a_password_buys_a_working_token(api_client, user):
    response = _obtain(api_client, user, email=user.email.upper())
    assert response.status_code == 201, response.content
    body = response.json()
    token = ApiToken.objects.get(user=user)
    assert body["id"] == token.pk
    assert body["name"] == "laptop script"
    assert token.key_hash == hash_secret(body["token"])
    assert body["token"].startswith(body["prefix"])
    assert body["expires_at"] is None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert client.get(ME).json()["email"] == user.email


def test_wrong_credentials_get_one_neutral_answer(api_client, user):
    UserFactory(email="inactive@example.com", is_active=False)
    answers = [
        _obtain(api_client, user, password="wrong password"),
        _obtain(api_client, user, email="nobody@example.com"),
        api_client.post(
            TOKEN,
            {"email": "inactive@example.com", "password": DEFAULT_PASSWORD, "name": "n"},
        ),
    ]
    bodies = [answer.json() for answer in answers]
    assert all(answer.status_code == 400 for answer in answers)
    assert bodies[0] == bodies[1] == bodies[2]
    assert list(bodies[0]["error"]["fields"]) == ["non_field_errors"]
    assert not ApiToken.objects.exists()


def test_a_token_can_be_given_an_expiry(api_client, user):
    body = _obtain(api_client, user, expires_in_days=30).json()
    expires_at = ApiToken.objects.get(pk=body["id"]).expires_at
    expected = timezone.now() + datetime.timedelta(days=30)
    assert abs(expires_at - expected) < datetime.timedelta(minutes=1)

    moment = (timezone.now() + datetime.timedelta(days=2)).replace(microsecond=0)
    body = _obtain(api_client, user, expires_at=moment.isoformat()).json()
    assert ApiToken.objects.get(pk=body["id"]).expires_at == moment


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "9999-12-31T23:59:59-14:00"}, "expires_at"),
        ({"expires_at": "soon"}, "expires_at"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 100000}, "expires_in_days"),
        (
            {
                "expires_in_days": 3,
                "expires_at": (timezone.now() + datetime.timedelta(days=5)).isoformat(),
            },
            "expires_in_days",
        ),
        ({"name": ""}, "name"),
        ({"name": "n" * 101}, "name"),
    ],
)
def test_bad_token_requests_are_refused(api_client, user, extra, field):
    fields = _fields(_obtain(api_client, user, **extra))
    assert field in fields
    assert not ApiToken.objects.exists()


def test_the_token_cap_is_a_400(api_client, user):
    for number in range(MAX_TOKENS_PER_USER):
        api_token_create(user=user, name=f"t{number}")
    fields = _fields(_obtain(api_client, user))
    assert list(fields) == ["non_field_errors"]
    assert ApiToken.objects.filter(user=user).count() == MAX_TOKENS_PER_USER


def test_the_exchange_is_throttled_per_address(api_client, user, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "auth": "1/minute"}
    assert _obtain(api_client, user).status_code == 201
    response = _obtain(api_client, user)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_password_guesses_lock_the_account_with_the_web_log_in(client, api_client, user, settings):
    settings.LOGIN_RATE = "3/m"
    for _ in range(2):
        assert _obtain(api_client, user, password="guess").status_code == 400
    # A third failure on the log-in page counts towards the same limit.
    client.post(reverse("accounts:login"), {"username": user.email, "password": "guess"})
    response = _obtain(api_client, user, email=f"  {user.email.upper()} ")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not ApiToken.objects.exists()
    # Another account is not affected.
    assert _obtain(api_client, UserFactory()).status_code == 201
