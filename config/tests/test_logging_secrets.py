"""Secrets never reach the logs.

One flow walks every place a secret is born or used (sign-up, log-in, API tokens,
the Telegram link and /start <token> through the webhook, a webhook endpoint's
signing secret, a password reset) with every logger at DEBUG, and then looks for
each secret in every record: message, arguments, extra fields, traceback, and the
line each of the project's formatters would write.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from config.log_format import JsonFormatter, SecretRedactionFilter, redact
from config.request_id import RequestIdLogFilter
from telegram_bot.tests.fake_bot_api import FakeBotAPI
from webhooks.models import WebhookEndpoint

# The webhook tests' fake DNS and off-loopback guard (autouse fixtures) apply here too.
from webhooks.tests.conftest import PUBLIC_HOST, connect_attempts, dns  # noqa: F401

pytestmark = pytest.mark.django_db

PASSWORD = "Quartz-Lantern-47-Orbit"
NEW_PASSWORD = "Harbour-Violet-93-Comet"
WEBHOOK_SECRET = "tg-webhook-secret-5f1e0c9a7b"
HEADER = "X-Telegram-Bot-Api-Secret-Token"

_STANDARD_ATTRIBUTES = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def all_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record of every logger at DEBUG, as it is before any handler's filters."""
    handler = _Everything()
    loggers = [logging.getLogger()] + [
        item
        for item in logging.root.manager.loggerDict.values()
        if isinstance(item, logging.Logger)
    ]
    saved = [(item, item.level, item.disabled) for item in loggers]
    for item in loggers:
        item.setLevel(logging.DEBUG)
        item.disabled = False
        if not item.propagate:
            item.addHandler(handler)
    logging.getLogger().addHandler(handler)
    logging.disable(logging.NOTSET)
    try:
        yield handler.records
    finally:
        for item, level, disabled in saved:
            item.setLevel(level)
            item.disabled = disabled
            item.removeHandler(handler)


def _as_written(record: logging.LogRecord) -> logging.LogRecord:
    """The record as the console handler's filters hand it to the formatter."""
    copy = logging.makeLogRecord(record.__dict__)
    RequestIdLogFilter().filter(copy)
    SecretRedactionFilter().filter(copy)
    return copy


def _texts(record: logging.LogRecord) -> list[str]:
    texts = [str(record.msg), repr(record.args), record.getMessage()]
    if record.exc_text:
        texts.append(record.exc_text)
    elif record.exc_info:
        texts.append(logging.Formatter().formatException(record.exc_info))
    texts += [
        f"{key}={value!r} {value}"
        for key, value in record.__dict__.items()
        if key not in _STANDARD_ATTRIBUTES
    ]
    texts.append(JsonFormatter().format(record))
    return texts


def _leaks(
    texts_by_record: list[tuple[logging.LogRecord, list[str]]], secrets: dict[str, str]
) -> list[str]:
    found = {
        f"{name} in {record.name} {record.levelname}: {record.msg!s:.60}"
        for record, texts in texts_by_record
        for text in texts
        for name, secret in secrets.items()
        if secret in text
    }
    return sorted(found)


def _link_in_last_email(pattern: str) -> str:
    match = re.search(pattern, str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(0)


def test_no_secret_of_the_whole_account_flow_reaches_a_log_record(
    all_logs, fake_bot_settings, settings, django_capture_on_commit_callbacks
):
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    secrets = {
        "password": PASSWORD,
        "new password": NEW_PASSWORD,
        "bot token": fake_bot_settings.token,
        "telegram webhook secret": WEBHOOK_SECRET,
    }
    web = Client()

    # Sign-up, a failed and a good log-in.
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(
            reverse("accounts:signup"),
            {"email": "ops@example.com", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 302
    secrets["email verification token"] = _link_in_last_email(r"/accounts/verify/[^\s/]+/").split(
        "/"
    )[-2]
    web.post(reverse("accounts:logout"))
    assert (
        web.post(
            reverse("accounts:login"), {"username": "ops@example.com", "password": PASSWORD + "x"}
        ).status_code
        == 200
    )
    response = web.post(
        reverse("accounts:login"), {"username": "ops@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    secrets["session cookie"] = web.cookies[django_settings.SESSION_COOKIE_NAME].value

    # An API token from the settings page, one from the API with the password, and their use.
    page = web.post(reverse("settings:api_tokens"), {"name": "cli"}).content.decode()
    web_token = re.search(r'id="new-token" value="([^"]+)"', page)
    assert web_token
    secrets["API token (web)"] = web_token.group(1)
    api = APIClient()
    response = api.post(
        reverse("api:auth-token"), {"email": "ops@example.com", "password": PASSWORD, "name": "ci"}
    )
    assert response.status_code == 201, response.content
    secrets["API token (API)"] = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secrets['API token (API)']}")
    assert api.get(reverse("api:me-detail")).status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secrets['API token (web)']}x")
    assert api.get(reverse("api:me-detail")).status_code == 401

    # A Telegram link token, used with /start through the webhook; a forged secret is refused.
    page = web.post(reverse("telegram:link")).content.decode()
    link = re.search(r"\?start=([A-Za-z0-9_-]+)", page)
    assert link
    secrets["telegram link token"] = link.group(1)
    update = {"update_id": 7001, **FakeBotAPI.message_update(f"/start {link.group(1)}", chat_id=77)}
    response = Client().post(
        reverse("telegram:webhook"),
        json.dumps(update),
        content_type="application/json",
        headers={HEADER: WEBHOOK_SECRET},
    )
    assert response.status_code == 200
    assert User.objects.get().telegram_link is not None
    response = Client().post(
        reverse("telegram:webhook"),
        json.dumps(update),
        content_type="application/json",
        headers={HEADER: WEBHOOK_SECRET[::-1]},
    )
    assert response.status_code == 403

    # An outbound webhook endpoint and its signing secret.
    response = web.post(
        "/settings/webhooks/", {"url": f"https://{PUBLIC_HOST}/in", "events": ["news.matched"]}
    )
    assert response.status_code == 302
    secrets["webhook signing secret"] = WebhookEndpoint.objects.get().secret

    # A password reset: the emailed link, then the new password.
    web.post(reverse("accounts:logout"))
    with django_capture_on_commit_callbacks(execute=True):
        web.post(reverse("accounts:password_reset"), {"email": "ops@example.com"})
    reset_link = _link_in_last_email(r"/accounts/password/reset/[^/\s]+/[^/\s]+/")
    secrets["password reset token"] = reset_link.rstrip("/").split("/")[-1]
    response = web.get(reset_link, follow=True)
    set_password_url = response.redirect_chain[-1][0]
    response = web.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert User.objects.get().check_password(NEW_PASSWORD)

    # The flow did log (requests, 4xx warnings, the bot), so the scan looked at something.
    assert len(all_logs) > 5
    assert any(record.name == "django.request" for record in all_logs)
    # Everything written, after the console handler's filters: message, arguments,
    # extra fields (django.request's request object among them), traceback, JSON line.
    written = [(record, _texts(_as_written(record))) for record in all_logs]
    assert _leaks(written, secrets) == []
    # And no code path puts a secret into a message in the first place. Django's
    # template engine is the exception the filter exists for: at DEBUG (off in
    # LOGGING) it prints whole template contexts.
    messages = [
        (record, [record.getMessage()]) for record in all_logs if record.name != "django.template"
    ]
    assert _leaks(messages, secrets) == []


# ---------------------------------------------------------------- the safety net


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("Authorization: Bearer aih_8Xk2v9QpLmN4rT7wYz", "aih_8Xk2v9QpLmN4rT7wYz"),
        ("headers={'Authorization': 'Token s3cr3t-value-123'}", "s3cr3t-value-123"),
        ("POST body password=Quartz-Lantern-47&email=a@b.c", "Quartz-Lantern-47"),
        ('{"password1": "Quartz-Lantern-47"}', "Quartz-Lantern-47"),
        ("new webhook secret whsec_Zm9vYmFyYmF6cXV4", "whsec_Zm9vYmFyYmF6cXV4"),
        (
            "GET https://api.telegram.org/bot123456:AAHk9-abcdefghijklmnopqrstuv/getMe",
            "AAHk9-abcdefghijklmnopqrstuv",
        ),
        ("text='/start Yc1pQ0lq3m9ZxR2bTt8s'", "Yc1pQ0lq3m9ZxR2bTt8s"),
        ("X-Telegram-Bot-Api-Secret-Token: tg-webhook-secret-5f1e", "tg-webhook-secret-5f1e"),
    ],
)
def test_the_log_filter_masks_credentials_whoever_logs_them(message, secret):
    record = logging.LogRecord("third.party", logging.INFO, __file__, 1, "%s", (message,), None)
    assert SecretRedactionFilter().filter(record) is True
    assert secret not in record.getMessage()
    assert "[redacted]" in record.getMessage()


def test_the_log_filter_leaves_ordinary_lines_alone():
    line = "webhook delivery 42 failed: 503 from hooks.example.com; user 7 tokens: 3"
    assert redact(line) == line


def test_the_log_filter_masks_tracebacks():
    try:
        raise ValueError("Authorization: Bearer aih_8Xk2v9QpLmN4rT7wYz rejected")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed", None, exc_info=__import__("sys").exc_info()
        )
    SecretRedactionFilter().filter(record)
    assert "aih_8Xk2v9QpLmN4rT7wYz" not in logging.Formatter().format(record)


def test_the_console_handler_uses_the_filter():
    handler = django_settings.LOGGING["handlers"]["console"]
    assert "redact_secrets" in handler["filters"]
    assert (
        django_settings.LOGGING["filters"]["redact_secrets"]["()"]
        == "config.log_format.SecretRedactionFilter"
    )
