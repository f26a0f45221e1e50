"""Every page renders in Russian for a user who chose Russian, with no English
interface text left in its main headings and controls."""

import datetime
import re
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.api_tokens import api_token_create
from accounts.models import ApiToken
from accounts.services import company_follow_set
from competitors.tests.factories import CompanyFactory, SavedComparisonFactory, SourceFactory
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
    # hx-confirm is the question of the browser's confirmation dialog.
    ATTRIBUTES = frozenset({"aria-label", "title", "placeholder", "alt", "hx-confirm"})

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


def english_left(
    html: str,
    *,
    user: Any,
    data: Iterable[str] = (),
    allowed: set[str] = LATIN_ALLOWED,
) -> list[str]:
    parser = _ReadableText()
    parser.feed(html)
    text = " ".join(parser.parts)
    # The user's own address and the shown starts of their tokens are data, not words,
    # and so are whatever other values the caller names (company names, news titles).
    values = [user.email, *ApiToken.objects.filter(user=user).values_list("prefix", flat=True)]
    for value in sorted([*values, *data], key=len, reverse=True):
        text = text.replace(value, " ")
    return sorted({word for word in LATIN_WORD.findall(text) if word not in allowed})


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


# ------------------------------------------------------------------ competitor insights
# The comparison, landscape and company pages show company names, news titles and
# themes (news keywords), which stay as published; every other Latin word on them is
# interface text that should have been translated. Allowed besides the integration
# pages' words: file formats and the keys a visitor holds to choose several companies.
INSIGHTS_ALLOWED = LATIN_ALLOWED | {"CSV", "PDF", "Ctrl", "Mac"}
ACME, BETA = "Acme AI", "Beta Labs"


def _insights_news(user: Any, *, follow: bool = True) -> dict[str, object]:
    """Two companies with news in the last 30 days: a shared theme, a theme of Acme's
    own, a shared main category (so each is the other's similar company) and an
    uncategorised item; the user follows Acme."""
    # factory_boy's calls are typed as returning the factory.
    acme: Any = CompanyFactory(name=ACME, slug="acme-ai")
    beta: Any = CompanyFactory(name=BETA, slug="beta-labs")
    now = timezone.now()
    items = [
        (acme, "Acme Nova release", "model_release", 0.9, ["reasoning", "vision"], 1),
        (acme, "Nova Mini is out", "model_release", 0.5, ["vision"], 3),
        (acme, "Studio update", "product_update", 0.7, ["vision"], 5),
        (acme, "Meetup recap", "", 0.2, [], 8),
        (beta, "Beta Sigma model", "model_release", 0.8, ["reasoning"], 2),
        (beta, "Beta API v2", "api_update", 0.6, ["reasoning"], 4),
    ]
    sources = {company: SourceFactory(company=company) for company in (acme, beta)}
    for company, title, category, priority, keywords, days_ago in items:
        NewsItemFactory(
            company=company,
            source=sources[company],
            title=title,
            category=category,
            priority_score=priority,
            keywords=keywords,
            published_at=now - datetime.timedelta(days=days_ago),
        )
    if follow:
        company_follow_set(user=user, company_id=acme.pk, following=True)
    return {}


def _insights_news_no_follows(user: Any) -> dict[str, object]:
    return _insights_news(user, follow=False)


def _saved_comparisons(user: Any) -> dict[str, object]:
    _insights_news(user)
    companies = [CompanyFactory(name=ACME), CompanyFactory(name=BETA)]
    SavedComparisonFactory(user=user, name="Модели за месяц", days=30, companies=companies)
    SavedComparisonFactory(
        user=user,
        name="Март",
        days=None,
        date_from=datetime.date(2025, 3, 1),
        date_to=datetime.date(2025, 3, 31),
        companies=companies,
    )
    return {}


INSIGHTS_DATA = [
    ACME,
    BETA,
    "Acme Nova release",
    "Nova Mini is out",
    "Studio update",
    "Meetup recap",
    "Beta Sigma model",
    "Beta API v2",
    "reasoning",
    "vision",
]
TWO = "companies=acme-ai&companies=beta-labs"


@pytest.mark.parametrize(
    ("path", "arrange", "expected_status", "expected"),
    [
        ("/compare/", _insights_news, 200, "Сравнить"),
        ("/compare/?companies=acme-ai", _insights_news, 200, "Сравнить"),
        (f"/compare/?{TWO}&days=30", _insights_news, 200, "Индекс активности"),
        (f"/compare/?{TWO}&days=90", _insights_news, 200, "Новости по неделям"),
        (
            f"/compare/?{TWO}&date_from=2025-03-01&date_to=2025-03-31",
            _insights_news,
            200,
            "Показать общие и уникальные темы",
        ),
        (f"/compare/themes/?{TWO}&days=30", _insights_news, 200, "Общие темы"),
        (
            f"/compare/?{TWO}&days=30&date_from=2025-03-01",
            _insights_news,
            200,
            "Укажите либо число последних дней",
        ),
        ("/compare/?companies=acme-ai&days=30", _insights_news, 200, "выбрано: 1"),
        ("/compare/saved/", _saved_comparisons, 200, "Удалить сравнение"),
        ("/compare/saved/", _nothing, 200, "нет сохранённых сравнений"),
        (f"/compare/print/?{TWO}&days=30", _insights_news, 200, "Вернуться к сравнению"),
        ("/compare/print/?companies=acme-ai", _insights_news, 400, "нельзя показать"),
        ("/landscape/", _insights_news, 200, "Мои компании"),
        ("/landscape/?days=90&scope=all", _insights_news, 200, "90 дней"),
        ("/landscape/", _insights_news_no_follows, 200, "Следите за компаниями"),
    ],
    ids=[
        "compare-empty-form",
        "compare-with-one-company-chosen",
        "compare-last-30-days",
        "compare-by-weeks",
        "compare-fixed-range",
        "compare-themes",
        "compare-form-errors",
        "compare-too-few-companies",
        "saved-comparisons",
        "no-saved-comparisons",
        "compare-print",
        "compare-print-error",
        "landscape-my-companies",
        "landscape-all-companies-90-days",
        "landscape-no-follows",
    ],
)
def test_insight_page_has_no_english_left(
    auth_client,
    user,
    path: str,
    arrange: Callable[[Any], dict[str, object]],
    expected_status: int,
    expected: str,
):
    user.language = "ru"
    user.save(update_fields=["language"])
    arrange(user)

    response = auth_client.get(path)

    assert response.status_code == expected_status
    html = response.content.decode()
    assert '<html lang="ru"' in html
    assert expected in html
    assert english_left(html, user=user, data=INSIGHTS_DATA, allowed=INSIGHTS_ALLOWED) == []


@pytest.mark.parametrize("slug", ["acme-ai", "beta-labs"])
def test_insight_sections_of_the_company_page_have_no_english_left(auth_client, user, slug):
    user.language = "ru"
    user.save(update_fields=["language"])
    _insights_news(user)

    html = auth_client.get(f"/companies/{slug}/").content.decode()

    # The rest of the page shows the company's website and sources as they are; its
    # headings and controls are checked by test_page_speaks_russian.
    sections = {
        name: re.search(rf'(?s)<section class="card {name}".*?</section>', html)
        for name in ("activity-score", "similar-companies")
    }
    assert all(sections.values()), sections
    text = " ".join(section.group() for section in sections.values() if section)
    assert "Индекс активности" in text
    assert "Обе компании сосредоточены на категории" in text
    assert english_left(text, user=user, data=INSIGHTS_DATA, allowed=INSIGHTS_ALLOWED) == []


def test_comparison_page_for_a_visitor_has_no_english_left(client, user):
    """Visitors may compare too; they are asked to log in to save (language by header)."""
    _insights_news(user)

    response = client.get(f"/compare/?{TWO}&days=30", HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ru"' in html
    assert "Войдите, чтобы сохранить это сравнение" in html
    assert english_left(html, user=user, data=INSIGHTS_DATA, allowed=INSIGHTS_ALLOWED) == []


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
