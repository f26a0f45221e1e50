"""Every page renders in Russian for a user who chose Russian, with no English
interface text left in its main headings and controls."""

import datetime
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.api_tokens import api_token_create
from accounts.models import ApiToken
from competitors.tests.factories import CompanyFactory
from digests.tests.factories import DigestFactory
from feeds.tests.factories import FeedTokenFactory
from news.tests.factories import NewsItemFactory
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db

# Interface words that must not survive translation on any page.
ENGLISH = re.compile(
    r">\s*(Dashboard|News|Companies|Favourites|Settings|Log out|Apply filters|"
    r"Mark as read|Add to favourites|Save preferences|Search|Follow)\s*<"
)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/news/",
        "/news/{item}/",
        "/favourites/",
        "/categories/model_release/",
        "/companies/",
        "/companies/{company}/",
        "/companies/add/",
        "/settings/",
        "/digests/",
        "/digests/{digest}/",
        "/digests/preview/",
        "/notifications/",
    ],
)
def test_page_speaks_russian(auth_client, user, path):
    user.language = "ru"
    user.save(update_fields=["language"])
    company = CompanyFactory(name="Acme AI", slug="acme-ai")
    item = NewsItemFactory(company=company, category="model_release", priority_score=0.9)

    digest = DigestFactory(user=user)
    response = auth_client.get(path.format(item=item.pk, company=company.slug, digest=digest.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ru"' in html
    assert re.search("[А-Яа-яЁё]{4,}", html)
    assert not ENGLISH.findall(html)


# ------------------------------------------------------------------ integrations
# The integration pages hold no news text, so every Latin word on them is checked,
# not only a list of known ones. Allowed: the product's name, the language switch
# (each language named in itself), and protocol names and values that a receiver
# or a feed reader sees exactly so in any language (header names, and the event
# names an endpoint lists, which arrive as X-Webhook-Event).
LATIN_ALLOWED = {
    "AI",
    "Competitor",
    "Insight",
    "Hub",
    "English",
    "API",
    "REST",
    "Atom",
    "RSS",
    "OPML",
    "URL",
    "HTTP",
    "HTTPS",
    "https",
    "JSON",
    "POST",
    "HMAC-SHA256",
    "X-Webhook-Id",
    "X-Webhook-Event",
    "X-Webhook-Timestamp",
    "X-Webhook-Signature",
    *(str(event) for event in WebhookEvent),
}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[.-][A-Za-z0-9]+)*")


class _ReadableText(HTMLParser):
    """What a reader sees or a screen reader says: text and accessible attributes,
    without code samples, scripts and styles."""

    SKIPPED = frozenset({"code", "script", "style"})
    ATTRIBUTES = frozenset({"aria-label", "title", "placeholder", "alt"})

    def __init__(self) -> None:
        super().__init__()
        self.skipping = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        self.parts += [value for name, value in attrs if name in self.ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def english_left(html: str, *, user: Any) -> list[str]:
    parser = _ReadableText()
    parser.feed(html)
    text = " ".join(parser.parts)
    # The user's own address and the shown starts of their tokens are data, not words.
    for value in [user.email, *ApiToken.objects.filter(user=user).values_list("prefix", flat=True)]:
        text = text.replace(value, " ")
    return sorted({word for word in LATIN_WORD.findall(text) if word not in LATIN_ALLOWED})


def _token(user: Any) -> dict[str, object]:
    issued = api_token_create(
        user=user,
        name="Синхронизация с дашбордом",
        expires_at=timezone.now() + datetime.timedelta(days=30),
    )
    return {"token": issued.token.pk}


def _feed_url(user: Any) -> dict[str, object]:
    FeedTokenFactory(user=user)
    return {}


def _webhook_with_a_failed_delivery(user: Any) -> dict[str, object]:
    endpoint = WebhookEndpointFactory(owner=user, description="Внутренняя система")
    WebhookDeliveryFactory(
        endpoint=endpoint,
        status=WebhookDelivery.Status.FAILED,
        attempts=1,
        last_status_code=500,
        last_error="HTTP 500",
        duration_ms=120,
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    return {}


def _nothing(user: Any) -> dict[str, object]:
    return {}


@pytest.mark.parametrize(
    ("method", "path", "data", "arrange", "expected_status"),
    [
        ("get", "/settings/api-tokens/", None, _token, 200),
        ("get", "/settings/api-tokens/?revoke={token}", None, _token, 200),
        ("post", "/settings/api-tokens/", {"name": "Скрипт", "expires_in_days": "7"}, _token, 200),
        ("get", "/settings/feed/", None, _feed_url, 200),
        ("get", "/settings/feed/", None, _nothing, 200),
        ("post", "/settings/feed/new/", {}, _nothing, 200),
        ("get", "/settings/webhooks/", None, _webhook_with_a_failed_delivery, 200),
        ("post", "/settings/webhooks/", {"url": ""}, _webhook_with_a_failed_delivery, 400),
    ],
    ids=[
        "api-tokens",
        "api-tokens-revoke-confirmation",
        "api-tokens-just-created",
        "feed-url",
        "no-feed-url",
        "feed-url-just-created",
        "webhooks-with-delivery-log",
        "webhooks-form-errors",
    ],
)
def test_integration_page_has_no_english_left(
    auth_client,
    user,
    method: str,
    path: str,
    data: dict[str, str] | None,
    arrange: Callable[[Any], dict[str, object]],
    expected_status: int,
):
    user.language = "ru"
    user.save(update_fields=["language"])
    ids = arrange(user)

    response = getattr(auth_client, method)(path.format(**ids), data)

    assert response.status_code == expected_status
    html = response.content.decode()
    assert '<html lang="ru"' in html
    assert english_left(html, user=user) == []


def test_integrations_section_of_the_settings_has_no_english_left(auth_client, user):
    user.language = "ru"
    user.save(update_fields=["language"])

    html = auth_client.get("/settings/").content.decode()

    # The whole page lists time zones by their IANA names, so only this section is read.
    section = re.search(r'(?s)<section id="integrations".*?</section>', html)
    assert section is not None
    assert "Интеграции" in section.group()
    assert english_left(section.group(), user=user) == []


# ------------------------------------------------------------------ API errors
BAD_TIMEZONE = {"timezone": "Mars/Olympus"}


def _russian(text: str, **params: object) -> str:
    with translation.override("ru"):
        translated = translation.gettext(text)
    assert translated != text, f"no Russian translation for {text!r}"
    return translated % params if params else translated


def _assert_russian_timezone_error(response: Any) -> None:
    assert response.status_code == 400
    assert response["Content-Language"] == "ru"
    error = response.json()["error"]
    assert error["message"] == _russian("The request has invalid fields.")
    assert error["fields"]["timezone"] == [
        _russian("Unknown time zone: %(value)s.", value="Mars/Olympus")
    ]


def test_api_errors_come_in_russian_when_the_client_asks_for_it(make_token_client, user):
    user.language = "ru"
    user.save(update_fields=["language"])
    client = make_token_client(user)

    response = client.patch("/api/v1/me/preferences/", BAD_TIMEZONE, HTTP_ACCEPT_LANGUAGE="ru")

    _assert_russian_timezone_error(response)


def test_api_errors_follow_the_users_language_in_a_browser_session(user):
    user.language = "ru"
    user.save(update_fields=["language"])
    client = APIClient()
    client.force_login(user)

    response = client.patch("/api/v1/me/preferences/", BAD_TIMEZONE, HTTP_ACCEPT_LANGUAGE="en")

    _assert_russian_timezone_error(response)


def test_api_errors_follow_the_users_language_with_a_token(make_token_client, user):
    user.language = "ru"
    user.save(update_fields=["language"])
    client = make_token_client(user)

    response = client.patch("/api/v1/me/preferences/", BAD_TIMEZONE)

    _assert_russian_timezone_error(response)
