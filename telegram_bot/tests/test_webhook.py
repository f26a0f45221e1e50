"""POST /telegram/webhook/ takes updates only with the shared secret, and hands them to the
same dispatcher as polling; set_webhook and delete_webhook manage it on the Bot API."""

import json
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from telegram_bot import services
from telegram_bot.models import TelegramLink
from telegram_bot.tests.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.django_db

SECRET = "webhook-secret_0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
def webhook(fake_bot_settings, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    return fake_bot_settings


def post_update(update, *, secret: str | None = SECRET, client: Client | None = None):
    headers = {} if secret is None else {HEADER: secret}
    # Telegram does not send a CSRF token; the endpoint must not need one.
    client = client or Client(enforce_csrf_checks=True)
    return client.post(
        reverse("telegram:webhook"),
        data=update if isinstance(update, (str, bytes)) else json.dumps(update),
        content_type="application/json",
        headers=headers,
    )


def start_update(text: str = "/start", *, update_id: int = 1, chat_id: int = 4242):
    return {"update_id": update_id, **FakeBotAPI.message_update(text, chat_id=chat_id)}


def test_the_right_secret_gets_the_update_handled(webhook):
    response = post_update(start_update(chat_id=4242))

    assert response.status_code == 200
    [reply] = webhook.sent_messages
    assert reply["chat_id"] == 4242
    assert reply["text"].startswith("Hello! I am the AI Competitor Insight Hub bot.")


def test_a_start_token_through_the_webhook_links_the_chat(webhook):
    user = UserFactory()
    token = services.link_token_create(user=user, now=timezone.now()).token

    assert post_update(start_update(f"/start {token}", chat_id=99)).status_code == 200

    assert TelegramLink.objects.get(user=user).telegram_user_id == 99
    assert webhook.sent_messages[0]["text"].startswith("Done!")


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("wrong", id="wrong"),
        pytest.param(SECRET[:-1], id="prefix"),
        pytest.param(SECRET + "x", id="longer"),
    ],
)
def test_anything_but_the_secret_is_forbidden(webhook, secret):
    response = post_update(start_update(), secret=secret)

    assert response.status_code == 403
    assert webhook.calls == []


@pytest.mark.parametrize("configured", ["", None])
def test_without_a_secret_the_endpoint_is_off(fake_bot_settings, settings, configured):
    if configured is None:
        del settings.TELEGRAM_WEBHOOK_SECRET
    else:
        settings.TELEGRAM_WEBHOOK_SECRET = configured

    for offered in (None, "", "anything"):
        assert post_update(start_update(), secret=offered).status_code == 404
    assert fake_bot_settings.calls == []


def test_without_a_bot_token_the_endpoint_is_off(webhook, settings):
    settings.TELEGRAM_BOT_TOKEN = ""

    assert post_update(start_update()).status_code == 404


def test_only_post_is_allowed(webhook):
    response = Client().get(reverse("telegram:webhook"), headers={HEADER: SECRET})

    assert response.status_code == 405


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param("[1, 2]", id="not-an-object"),
        pytest.param(json.dumps({"message": "no update_id"}), id="not-an-update"),
    ],
)
def test_a_malformed_body_is_a_bad_request(webhook, body):
    response = post_update(body)

    assert response.status_code == 400
    assert webhook.sent_messages == []


def test_an_oversized_body_is_refused_unread(webhook):
    update = start_update("/start " + "x" * (600 * 1024))

    response = post_update(update)

    assert response.status_code == 413
    assert webhook.calls == []


def test_a_failing_handler_is_logged_and_acknowledged(webhook, caplog):
    # Telegram redelivers until it gets a 2xx; a handler error must not block the queue.
    webhook.fail_next("sendMessage", 500, "Internal Server Error")

    with caplog.at_level(logging.ERROR, logger="telegram_bot"):
        response = post_update(start_update(update_id=77))

    assert response.status_code == 200
    assert "update 77 failed" in caplog.text


# ---------------------------------------------------------------- set_webhook, delete_webhook


def test_set_webhook_registers_the_url_with_the_secret(webhook, capsys):
    url = "https://hub.example.com/telegram/webhook/"

    call_command("set_webhook", url)

    [params] = webhook.calls_to("setWebhook")
    assert params["url"] == url
    assert params["secret_token"] == SECRET
    assert "message" in params["allowed_updates"]
    assert webhook.webhook_url == url
    output = capsys.readouterr().out
    assert url in output
    assert SECRET not in output


def test_set_webhook_can_drop_pending_updates(webhook):
    call_command(
        "set_webhook", "https://hub.example.com/telegram/webhook/", "--drop-pending-updates"
    )

    [params] = webhook.calls_to("setWebhook")
    assert params["drop_pending_updates"] is True


@pytest.mark.parametrize(
    "url",
    ["http://hub.example.com/telegram/webhook/", "hub.example.com/telegram/webhook/", "https://"],
)
def test_set_webhook_refuses_anything_but_https(webhook, url):
    with pytest.raises(CommandError, match="HTTPS only"):
        call_command("set_webhook", url)

    assert webhook.calls == []


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        pytest.param("", "TELEGRAM_WEBHOOK_SECRET is not set", id="unset"),
        pytest.param("has spaces", "must be 1-256 characters", id="bad-characters"),
    ],
)
def test_set_webhook_needs_a_usable_secret(fake_bot_settings, settings, secret, message):
    settings.TELEGRAM_WEBHOOK_SECRET = secret

    with pytest.raises(CommandError, match=message) as error:
        call_command("set_webhook", "https://hub.example.com/telegram/webhook/")

    assert fake_bot_settings.calls == []
    assert "has spaces" not in str(error.value)


def test_set_webhook_reports_a_refusal(webhook):
    webhook.fail_next("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host")

    with pytest.raises(CommandError, match="Failed to resolve host"):
        call_command("set_webhook", "https://hub.example.com/telegram/webhook/")


def test_delete_webhook_removes_it(webhook, capsys):
    call_command("set_webhook", "https://hub.example.com/telegram/webhook/")

    call_command("delete_webhook")

    assert webhook.webhook_url == ""
    assert webhook.calls_to("deleteWebhook") == [{"drop_pending_updates": False}]
    assert "Webhook removed" in capsys.readouterr().out


def test_webhook_commands_need_a_token(settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET

    with pytest.raises(CommandError, match="TELEGRAM_BOT_TOKEN is not set"):
        call_command("set_webhook", "https://hub.example.com/telegram/webhook/")
    with pytest.raises(CommandError, match="TELEGRAM_BOT_TOKEN is not set"):
        call_command("delete_webhook")
