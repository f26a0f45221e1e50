"""The integration surfaces in a real browser: the API docs, API tokens, the
Atom feed URL and webhooks, against the live server.

Like test_flow.py, the selectors are the pages' accessible names (roles,
labels, button names); Swagger UI's own DOM is addressed by its class names,
which are the only handles it offers.
"""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.urls import get_resolver
from playwright.sync_api import APIRequestContext, Browser, Page, Route, expect

from accounts.models import ApiToken, User
from accounts.tests.factories import UserFactory
from feeds.models import FeedToken
from news.models import NewsItem
from news.tests.factories import NewsItemFactory
from tests_browser.conftest import (
    CSP_REPORTER,
    DEFAULT_TIMEOUT_MS,
    SCREENSHOTS,
    PageProblems,
    sign_in,
)
from webhooks.models import WebhookEndpoint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

EMAIL = "grace@example.com"
API_DOCS = "/api/docs/"
# A name no resolver knows: the browser is told the live server answers for it,
# so the docs are seen as a deployed site sees them, not as "localhost" (for
# which Swagger UI skips some of what it does on a public host).
PUBLIC_HOST = "docs.aihub.test"
ATOM = "http://www.w3.org/2005/Atom"
# How Chromium reports a document answered with 400, as a console error.
BAD_REQUEST_LOG = "Failed to load resource: the server responded with a status of 400 (Bad Request)"


@pytest.fixture(autouse=True)
def _urlconf_loaded() -> None:
    # The first request imports every view, and with them aiogram, whose models
    # take seconds to build: done here, that wait stays out of the pages' timeouts.
    get_resolver().url_patterns  # noqa: B018


def _user(**fields: Any) -> User:
    return cast(User, UserFactory(**fields))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _keep_to_origin(page: Page, origin: str) -> list[str]:
    """Refuses, and lists, every request the page makes outside `origin`: the
    tests never reach the internet, and a refused request is still reported."""
    foreign: list[str] = []

    def handle(route: Route) -> None:
        if _origin(route.request.url) == origin:
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.context.route("**/*", handle)
    return foreign


def _expect_operation_list(page: Page) -> None:
    # Swagger UI renders each operation as div.opblock.opblock-<method> holding
    # the method and span.opblock-summary-path[data-path] with the path template.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        str(settings.SPECTACULAR_SETTINGS["TITLE"])
    )
    news_list = page.locator(".opblock.opblock-get").filter(
        has=page.locator('.opblock-summary-path[data-path="/api/v1/news/"]')
    )
    expect(news_list).to_have_count(1)
    expect(news_list.locator(".opblock-summary-method")).to_have_text("GET")
    expect(news_list).to_be_visible()
    expect(page.locator(".opblock")).not_to_have_count(0)
    # The schema's load error box, shown when the spec cannot be fetched or parsed.
    expect(page.locator(".swagger-ui .errors-wrapper")).to_have_count(0)


def test_api_docs_render_the_operations_from_same_origin_assets_without_csp_violations(
    page: Page, page_problems: PageProblems, live_server: object
) -> None:
    origin = _origin(str(live_server))
    foreign = _keep_to_origin(page, origin)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    response = page.goto(API_DOCS)
    assert response is not None
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    _expect_operation_list(page)

    # The split view: every script is a file of this site, none is inline.
    scripts = page.locator("script")
    sources = [scripts.nth(index).get_attribute("src") for index in range(scripts.count())]
    assert sources
    assert all(sources), f"an inline script: {sources}"
    assert {
        _origin(page.evaluate("(src) => new URL(src, document.baseURI).href", src))
        for src in sources
    } == {origin}
    assert any(url.startswith(f"{origin}/api/schema/") for url in requested)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "api-docs-1280.png", full_page=True)
    assert foreign == []
    assert page_problems.messages == []


def test_api_docs_on_a_public_host_make_no_request_to_another_origin(
    browser: Browser, page_problems: PageProblems, live_server: object
) -> None:
    # Swagger UI treats localhost specially; a deployed site has a public name.
    live = urlsplit(str(live_server))
    public_origin = f"https://{PUBLIC_HOST}"
    context = browser.new_context(base_url=public_origin, viewport={"width": 1280, "height": 800})
    context.add_init_script(CSP_REPORTER)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    foreign: list[str] = []

    def handle(route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.hostname != PUBLIC_HOST:
            foreign.append(route.request.url)
            route.abort()
            return
        # Served by the live server, as if the public name resolved to it.
        answer = route.fetch(url=url._replace(scheme="http", netloc=live.netloc).geturl())
        route.fulfill(response=answer)

    context.route("**/*", handle)
    try:
        page = context.new_page()
        page.on("console", page_problems.console)
        page.on("pageerror", page_problems.page_error)
        response = page.goto(API_DOCS)
        assert response is not None
        assert response.status == 200
        _expect_operation_list(page)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert foreign == []
    assert page_problems.messages == []


def _anonymous_request_context(browser: Browser, base_url: str) -> APIRequestContext:
    # A context of its own: no session cookie, so only what a request carries counts.
    return browser.new_context(base_url=base_url).request


def _open_integration(page: Page, link: str) -> None:
    page.goto("/settings/")
    section = page.get_by_role("main").get_by_role("region", name="Integrations")
    expect(section).to_be_visible()
    section.get_by_role("link", name=link, exact=True).click()


def test_api_token_is_shown_once_works_as_bearer_and_stops_when_revoked(
    browser: Browser, page: Page, page_problems: PageProblems, live_server: object
) -> None:
    base_url = str(live_server)
    user = _user(email=EMAIL, full_name="Grace Tester")
    sign_in(page, user, base_url)
    main = page.get_by_role("main")
    api = _anonymous_request_context(browser, base_url)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    _open_integration(page, "API tokens")
    expect(page).to_have_url(f"{base_url}/settings/api-tokens/")
    expect(main.get_by_text("You have no API tokens.")).to_be_visible()

    # Create: the secret appears once, in the answer to the POST.
    main.get_by_label("Name", exact=True).fill("ci")
    main.get_by_role("button", name="Create token").click()
    secret_box = main.get_by_role("textbox", name=re.compile(r"Your new token “ci”"))
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    assert secret.startswith("aih_")
    token = ApiToken.objects.get(user=user)
    assert token.name == "ci"
    assert secret.startswith(token.prefix)
    page.screenshot(path=SCREENSHOTS / "api-tokens-created-1280.png", full_page=True)

    me = api.get("/api/v1/me/", headers={"Authorization": f"Bearer {secret}"})
    assert me.status == 200, me.text()
    assert me.json()["email"] == EMAIL

    # Loaded again, the page lists the token but no longer holds its secret.
    page.goto("/settings/api-tokens/")
    expect(main.get_by_role("textbox", name=re.compile(r"Your new token"))).to_have_count(0)
    assert secret not in page.content()
    row = main.get_by_role("row").filter(has=page.get_by_role("cell", name="ci", exact=True))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name=f"{token.prefix}…", exact=True)).to_be_visible()
    # The bearer call above was recorded as the token's use.
    expect(row.get_by_role("cell").nth(3)).not_to_have_text("Never")

    # Revoke in two steps: the link asks, the button in the confirmation does it.
    row.get_by_role("link", name="Revoke ci", exact=True).click()
    expect(page).to_have_url(re.compile(rf"\?revoke={token.pk}#revoke-confirm$"))
    confirmation = main.get_by_role("alert")
    expect(confirmation).to_contain_text("Revoke the token “ci”")
    assert ApiToken.objects.filter(pk=token.pk).exists()
    page.screenshot(path=SCREENSHOTS / "api-tokens-revoke-confirm-1280.png", full_page=True)
    confirmation.get_by_role("button", name="Revoke the token").click()
    expect(page).to_have_url(f"{base_url}/settings/api-tokens/")
    expect(page.get_by_role("status")).to_contain_text("The token has been revoked.")
    expect(main.get_by_text("You have no API tokens.")).to_be_visible()
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    page.screenshot(path=SCREENSHOTS / "api-tokens-revoked-1280.png", full_page=True)

    refused = api.get("/api/v1/me/", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401
    assert refused.json()["error"]["status"] == 401
    assert page_problems.messages == []


def test_feed_url_opens_the_atom_feed_and_stops_when_regenerated(
    browser: Browser,
    page: Page,
    page_problems: PageProblems,
    live_server: object,
    settings: Any,
) -> None:
    base_url = str(live_server)
    # The page shows absolute URLs made from SITE_URL: here, the live server.
    settings.SITE_URL = base_url
    user = _user(email=EMAIL, full_name="Grace Tester")
    # Tracking no company yet, the user's dashboard, and so the feed, shows all news.
    item = cast(NewsItem, NewsItemFactory(title="Orbit Labs releases Orbit 2"))
    sign_in(page, user, base_url)
    main = page.get_by_role("main")
    reader = _anonymous_request_context(browser, base_url)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    _open_integration(page, "Atom feed")
    expect(page).to_have_url(f"{base_url}/settings/feed/")
    expect(main.get_by_text("You have no feed URL.")).to_be_visible()

    main.get_by_role("button", name="Create a feed URL").click()
    url_box = main.get_by_role("textbox", name=re.compile(r"Your new feed URL"))
    first_url = url_box.input_value()
    assert re.fullmatch(rf"{re.escape(base_url)}/feeds/[^/]+/atom\.xml", first_url), first_url
    page.screenshot(path=SCREENSHOTS / "feed-created-1280.png", full_page=True)

    feed = reader.get(first_url)
    assert feed.status == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    document = ElementTree.fromstring(feed.body())  # noqa: S314 - our own answer
    assert document.tag == f"{{{ATOM}}}feed"
    titles = [entry.findtext(f"{{{ATOM}}}title") for entry in document.iter(f"{{{ATOM}}}entry")]
    assert titles == [item.title]

    # Regenerated: a new URL works and the old one is gone.
    page.goto("/settings/feed/")
    expect(main.get_by_role("textbox", name=re.compile(r"Your new feed URL"))).to_have_count(0)
    assert first_url not in page.content()
    main.get_by_role("button", name="Regenerate the URL").click()
    second_url = url_box.input_value()
    assert second_url != first_url
    assert second_url.startswith(f"{base_url}/feeds/")
    page.screenshot(path=SCREENSHOTS / "feed-regenerated-1280.png", full_page=True)

    assert reader.get(first_url).status == 404
    assert reader.get(second_url).status == 200
    assert FeedToken.objects.filter(user=user).count() == 1
    assert page_problems.messages == []


def test_webhooks_page_refuses_a_plain_http_url_with_a_visible_error(
    page: Page, page_problems: PageProblems, live_server: object
) -> None:
    base_url = str(live_server)
    user = _user(email=EMAIL, full_name="Grace Tester")
    sign_in(page, user, base_url)
    main = page.get_by_role("main")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    _open_integration(page, "Webhooks")
    expect(page).to_have_url(f"{base_url}/settings/webhooks/")
    expect(main.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    expect(main.get_by_text("No endpoints yet. Add one below.")).to_be_visible()

    # Refused on its scheme, before any DNS lookup.
    form = main.get_by_role("region", name="Add an endpoint")
    url_field = form.get_by_label("URL", exact=True)
    url_field.fill("http://hooks.example.com/receive")
    form.get_by_role("checkbox", name="A new item matches my alert rules").check()
    with page.expect_response(
        lambda response: (
            response.request.method == "POST"
            and response.url.startswith(f"{base_url}/settings/webhooks/")
        )
    ) as answer:
        form.get_by_role("button", name="Add endpoint").click()
    # The form with errors answers 400, which Chromium also logs in the console.
    assert answer.value.status == 400

    expect(form.get_by_role("alert")).to_contain_text("Please correct the errors below.")
    expect(form.get_by_text("only https URLs receive webhooks")).to_be_visible()
    expect(url_field).to_have_attribute("aria-invalid", "true")
    expect(url_field).to_have_value("http://hooks.example.com/receive")
    expect(main.get_by_text("No endpoints yet. Add one below.")).to_be_visible()
    assert not WebhookEndpoint.objects.exists()
    page.screenshot(path=SCREENSHOTS / "webhooks-refused-http-1280.png", full_page=True)
    status_logs = [text for text in page_problems.messages if text.endswith(BAD_REQUEST_LOG)]
    assert len(status_logs) == 1
    assert "/settings/webhooks/" in status_logs[0]
    assert [text for text in page_problems.messages if text not in status_logs] == []
