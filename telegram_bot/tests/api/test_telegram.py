"""The Telegram API: the state of the account's link, a new deep link, unlinking."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import DigestChannel
from accounts.services import preferences_ensure
from accounts.tests.factories import UserFactory
from telegram_bot.models import LinkToken, TelegramLink
from telegram_bot.tests.feeding import reply_to

pytestmark = pytest.mark.django_db

STATE_URL = reverse("api:telegram")
LINK_URL = reverse("api:telegram-link")
DEEP_LINK = re.compile(r"https://t\.me/insight_hub_test_bot\?start=([A-Za-z0-9_-]{32})")


def _link(user, **values):
    return TelegramLink.objects.create(
        user=user,
        telegram_user_id=values.pop("telegram_user_id", 500 + user.pk),
        chat_id=1,
        **values,
    )


def _digests_to_telegram(user):
    preferences = preferences_ensure(user=user)
    preferences.digest_channels = [DigestChannel.EMAIL, DigestChannel.TELEGRAM]
    preferences.save()


# ---------------------------------------------------------------- state


def test_state_without_a_link(fake_bot_settings, token_client):
    response = token_client.get(STATE_URL)

    assert response.status_code == 200
    assert response.json() == {
        "configured": True,
        "linked": False,
        "username": None,
        "linked_at": None,
        "blocked": False,
        "enabled": False,
    }


def test_state_of_a_link_with_digests_to_telegram(fake_bot_settings, token_client):
    user = token_client.account
    link = _link(user, username="ada_l")
    _digests_to_telegram(user)

    body = token_client.get(STATE_URL).json()

    assert body["linked"] is True
    assert body["username"] == "ada_l"
    assert parse_datetime(body["linked_at"]) == link.linked_at
    assert body["blocked"] is False
    assert body["enabled"] is True


@pytest.mark.parametrize("case", ["digests elsewhere", "blocked", "no bot"])
def test_delivery_is_off(settings, fake_bot_settings, token_client, case):
    user = token_client.account
    if case == "digests elsewhere":
        _link(user)
    else:
        _digests_to_telegram(user)
        _link(user, blocked_at=timezone.now() if case == "blocked" else None)
    if case == "no bot":
        settings.TELEGRAM_BOT_TOKEN = ""

    body = token_client.get(STATE_URL).json()

    assert body["linked"] is True
    assert body["enabled"] is False
    assert body["blocked"] is (case == "blocked")
    assert body["configured"] is (case != "no bot")
    assert body["username"] is None


def test_state_is_per_user(fake_bot_settings, token_client, make_token_client):
    _link(token_client.account, username="ada_l")
    other = make_token_client(UserFactory())

    assert other.get(STATE_URL).json()["linked"] is False
    assert token_client.get(STATE_URL).json()["username"] == "ada_l"


# ---------------------------------------------------------------- linking


def test_link_returns_a_deep_link_that_links_the_chat(fake_bot_settings, token_client):
    user = token_client.account

    response = token_client.post(LINK_URL)

    assert response.status_code == 201
    body = response.json()
    [token] = DEEP_LINK.fullmatch(body["deep_link"]).groups()
    assert body["token"] == token
    assert body["bot_username"] == "insight_hub_test_bot"
    expires_at = parse_datetime(body["expires_at"])
    assert timedelta(minutes=9) < expires_at - timezone.now() <= timedelta(minutes=10)
    stored = LinkToken.objects.get(user=user)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.expires_at == expires_at

    assert reply_to(fake_bot_settings, f"/start {token}", chat_id=140).startswith("Done!")
    assert TelegramLink.objects.get(user=user).telegram_user_id == 140
    assert token_client.get(STATE_URL).json()["linked"] is True


def test_a_new_link_retires_the_previous_one(fake_bot_settings, token_client):
    first = token_client.post(LINK_URL).json()["token"]
    second = token_client.post(LINK_URL).json()["token"]

    assert first != second
    assert "expired" in reply_to(fake_bot_settings, f"/start {first}", chat_id=141)
    assert not TelegramLink.objects.exists()


def test_link_when_the_site_has_no_bot(settings, token_client):
    settings.TELEGRAM_BOT_TOKEN = ""

    response = token_client.post(LINK_URL)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "telegram_not_configured"
    assert not LinkToken.objects.exists()


def test_link_when_telegram_cannot_be_reached(fake_bot_settings, token_client):
    fake_bot_settings.fail_next("getMe", 502, "Bad Gateway")

    response = token_client.post(LINK_URL)

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "telegram_unavailable"
    assert "cannot be reached" in error["message"]
    assert not LinkToken.objects.exists()


def test_links_share_the_settings_pages_hourly_limit(
    fake_bot_settings, token_client, client, make_token_client
):
    user = token_client.account
    client.force_login(user)
    for _ in range(5):
        assert client.post(reverse("telegram:link")).status_code == 200
    for _ in range(5):
        assert token_client.post(LINK_URL).status_code == 201

    refused = token_client.post(LINK_URL)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert "try again in an hour" in refused.json()["error"]["message"]
    assert LinkToken.objects.filter(user=user).count() == 10
    assert make_token_client(UserFactory()).post(LINK_URL).status_code == 201


# ---------------------------------------------------------------- unlinking


def test_unlink(fake_bot_settings, token_client):
    _link(token_client.account)

    response = token_client.delete(STATE_URL)

    assert response.status_code == 204
    assert not TelegramLink.objects.exists()
    assert token_client.get(STATE_URL).json()["linked"] is False
    assert token_client.delete(STATE_URL).status_code == 204


def test_permission_matrix(fake_bot_settings, api_client, token_client, make_token_client):
    owner = token_client.account
    _link(owner, username="ada_l")
    other = make_token_client(UserFactory())

    assert api_client.get(STATE_URL).status_code == 401
    assert api_client.delete(STATE_URL).status_code == 401
    assert api_client.post(LINK_URL).status_code == 401
    # Another user acts on their own (absent) link only.
    assert other.delete(STATE_URL).status_code == 204
    assert TelegramLink.objects.get().user == owner
    assert other.post(LINK_URL).status_code == 201
    assert not LinkToken.objects.filter(user=owner).exists()
