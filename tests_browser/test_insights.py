"""Competitor insights in a real browser: a comparison whose themes arrive after the
page, saving and deleting it, the printable page, and the landscape's links."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, cast

import pytest
from django.utils import timezone
from playwright.sync_api import Dialog, Page, expect

from accounts.models import User
from accounts.tests.factories import UserFactory
from competitors.models import SavedComparison
from competitors.tests.factories import CompanyFactory
from news.tests.factories import NewsItemFactory
from tests_browser.conftest import SCREENSHOTS, PageProblems, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

COMPARISON = "/compare/?companies=acme-ai&companies=beta-labs&days=30"


def _news() -> None:
    acme = CompanyFactory(name="Acme AI", slug="acme-ai")
    beta = CompanyFactory(name="Beta Labs", slug="beta-labs")
    now = timezone.now()
    for company, keywords, category in (
        (acme, ["reasoning", "vision"], "model_release"),
        (acme, ["vision", "pricing tier"], "pricing_change"),
        (beta, ["reasoning", "api key"], "api_update"),
    ):
        NewsItemFactory(
            company=company,
            source__company=company,
            title=f"{company.name}: {keywords[0]} news",
            category=category,
            keywords=keywords,
            priority_score=0.7,
            published_at=now - timedelta(days=1),
        )


def _accept(dialog: Dialog) -> None:
    dialog.accept()


def test_comparison_loads_its_themes_saves_prints_and_deletes(
    page: Page, page_problems: PageProblems, live_server: Any
) -> None:
    base_url = str(live_server)
    _news()
    user = cast(User, UserFactory())
    sign_in(page, user, base_url)
    main = page.get_by_role("main")

    page.goto(COMPARISON)
    expect(main.get_by_role("heading", name="Overview")).to_be_visible()
    # Shown after the page, by the request the placeholder makes.
    themes = main.locator("#compare-themes")
    expect(themes.get_by_role("heading", name="Shared themes")).to_be_visible()
    expect(themes.get_by_text("reasoning", exact=True)).to_be_visible()
    expect(themes.get_by_role("link", name="Acme AI: reasoning news")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "compare-1280.png", full_page=True)

    main.get_by_label("Name").fill("Acme against Beta")
    main.get_by_role("button", name="Save comparison").click()
    expect(page).to_have_url(f"{base_url}/compare/saved/")
    expect(main.get_by_role("heading", name="Acme against Beta")).to_be_visible()
    saved = SavedComparison.objects.get(user=user)
    assert (saved.days, sorted(c.slug for c in saved.companies.all())) == (
        30,
        ["acme-ai", "beta-labs"],
    )

    # The printable page: its button appears with JavaScript; printing hides the chrome.
    page.goto(COMPARISON.replace("/compare/", "/compare/print/"))
    expect(main.get_by_role("button", name="Print / Save as PDF")).to_be_visible()
    expect(main.get_by_role("heading", name="Shared themes")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(main.get_by_role("button", name="Print / Save as PDF")).to_be_hidden()
    page.emulate_media(media="screen")

    page.goto("/compare/saved/")
    page.once("dialog", _accept)
    main.get_by_role("button", name="Delete").click()
    expect(main.get_by_role("heading", name="Acme against Beta")).to_have_count(0)
    assert not SavedComparison.objects.filter(user=user).exists()
    assert page_problems.messages == []


def test_landscape_cell_opens_the_news_it_counts(
    page: Page, page_problems: PageProblems, live_server: Any
) -> None:
    _news()

    page.goto("/landscape/?days=7&scope=all")
    cell = page.get_by_role("link", name=re.compile(r"^Acme AI — Model release: 1 item$"))
    cell.click()
    expect(page).to_have_url(re.compile(r"/news/\?company=acme-ai&category=model_release&since="))
    expect(page.get_by_role("link", name="Acme AI: reasoning news")).to_be_visible()
    expect(page.get_by_role("link", name="Acme AI: vision news")).to_have_count(0)
    assert page_problems.messages == []
