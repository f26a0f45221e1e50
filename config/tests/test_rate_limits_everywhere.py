"""Every rate limit the operations review asked for, in one table: with the limit
lowered to two through settings, the third request is refused with 429 and a
Retry-After, on pages and in JSON alike. The counters are in the shared Redis
cache the test settings use, as in production."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import django_ratelimit.core
import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TWO_A_MINUTE = "2/m"
WEBHOOK_SECRET = "tg-webhook-secret-0123456789"


@dataclass(frozen=True)
class Limit:
    settings: dict[str, str]  # setting name -> value; "API_THROTTLE_RATES.<scope>" for the API
    send: Callable[[Any], Any]  # makes one request with the client the case needs
    client: str  # "web", "web_user", "api", "api_user"
    json: bool = False


def _api_rate(scope: str) -> dict[str, str]:
    return {f"API_THROTTLE_RATES.{scope}": "2/minute"}


def _webhook(client: Client) -> Any:
    update = {"update_id": 1, "message": {"message_id": 1}}
    # A wrong secret: the limit is counted before the secret is checked.
    return client.post(
        reverse("telegram:webhook"),
        json.dumps(update),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
    )


LIMITS = {
    "log-in (page)": Limit(
        {"LOGIN_RATE": TWO_A_MINUTE},
        lambda c: c.post(
            reverse("accounts:login"), {"username": "who@example.com", "password": "wrong"}
        ),
        "web",
    ),
    "log-in for a token (API)": Limit(
        _api_rate("auth"),
        lambda c: c.post(
            reverse("api:auth-token"), {"email": "who@example.com", "password": "wrong"}
        ),
        "api",
        json=True,
    ),
    "sign-up (page)": Limit(
        {"SIGNUP_RATE": TWO_A_MINUTE},
        lambda c: c.post(reverse("accounts:signup"), {"email": "not-an-address"}),
        "web",
    ),
    "sign-up (API)": Limit(
        _api_rate("auth"),
        lambda c: c.post(reverse("api:auth-register"), {"email": "not-an-address"}),
        "api",
        json=True,
    ),
    "password reset (page)": Limit(
        {"PASSWORD_RESET_RATE": TWO_A_MINUTE},
        lambda c: c.post(reverse("accounts:password_reset"), {"email": "who@example.com"}),
        "web",
    ),
    "add-competitor scan (page)": Limit(
        {"COMPETITOR_SCAN_RATE": TWO_A_MINUTE},
        lambda c: c.post(reverse("competitors:add"), {"url": ""}),
        "web_user",
    ),
    "add-competitor scan (API)": Limit(
        {"COMPETITOR_SCAN_RATE": TWO_A_MINUTE},
        lambda c: c.post(reverse("api:company-discover"), {"url": ""}),
        "api_user",
        json=True,
    ),
    "API, anonymous": Limit(_api_rate("anon"), lambda c: c.get(reverse("api:root")), "api", True),
    "API, signed in": Limit(
        _api_rate("user"), lambda c: c.get(reverse("api:me-detail")), "api_user", True
    ),
    "API token creation (page)": Limit(
        _api_rate("token_create"),
        lambda c: c.post(reverse("settings:api_tokens"), {"name": "cli"}),
        "web_user",
    ),
    "API token creation (API)": Limit(
        _api_rate("token_create"),
        lambda c: c.post(reverse("api:tokens-list"), {"name": "cli"}),
        "api_user",
        json=True,
    ),
    "Telegram link token (page)": Limit(
        {"TELEGRAM_LINK_RATE": TWO_A_MINUTE},
        lambda c: c.post(reverse("telegram:link")),
        "web_user",
    ),
    "Telegram link token (API)": Limit(
        {"TELEGRAM_LINK_RATE": TWO_A_MINUTE},
        lambda c: c.post(reverse("api:telegram-link")),
        "api_user",
        json=True,
    ),
    "Telegram webhook": Limit({"TELEGRAM_WEBHOOK_RATE": TWO_A_MINUTE}, _webhook, "web"),
}


def _client(kind, make_token_client):
    if kind == "web":
        return Client()
    if kind == "api":
        return APIClient()
    user = UserFactory()
    if kind == "web_user":
        client = Client()
        client.force_login(user)
        return client
    return make_token_client(user)


@pytest.mark.parametrize("name", list(LIMITS))
def test_each_limit_answers_429_with_retry_after(name, settings, make_token_client, monkeypatch):
    limit = LIMITS[name]
    # django-ratelimit counts in fixed windows whose ends fall at a per-key second; one
    # ending between the second and third request would start the count again.
    frozen = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: frozen))
    settings.TELEGRAM_BOT_TOKEN = "123456:" + "A" * 35
    settings.TELEGRAM_API_BASE = "http://127.0.0.1:9"  # never reached: nothing is sent
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    for key, value in limit.settings.items():
        if key.startswith("API_THROTTLE_RATES."):
            settings.API_THROTTLE_RATES = {
                **settings.API_THROTTLE_RATES,
                key.split(".", 1)[1]: value,
            }
        else:
            setattr(settings, key, value)
    client = _client(limit.client, make_token_client)

    allowed = [limit.send(client).status_code for _ in range(2)]
    refused = limit.send(client)

    assert 429 not in allowed
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    if limit.json:
        assert refused["Content-Type"].startswith("application/json")
        assert "detail" in refused.json() or "error" in refused.json()


def test_limits_come_from_the_environment():
    from config.settings import base

    names = {
        "LOGIN_RATE",
        "SIGNUP_RATE",
        "PASSWORD_RESET_RATE",
        "COMPETITOR_SCAN_RATE",
        "TELEGRAM_LINK_RATE",
        "TELEGRAM_WEBHOOK_RATE",
        "API_THROTTLE_ANON",
        "API_THROTTLE_USER",
        "API_THROTTLE_AUTH",
        "API_THROTTLE_TOKEN_CREATE",
    }
    source = Path(base.__file__).read_text(encoding="utf-8")
    assert [name for name in sorted(names) if f'env.str("{name}"' not in source] == []


def test_a_correct_password_still_signs_in_below_the_limit(client, settings):
    settings.LOGIN_RATE = TWO_A_MINUTE
    user = UserFactory()
    client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
