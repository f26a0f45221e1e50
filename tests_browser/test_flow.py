"""End-to-end journeys in a real browser, against the live server.

The selectors are the accessible names agreed for the pages (roles, labels,
button names): a test that cannot find one means the page changed its contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Preferences, User
from accounts.services import preferences_update
from accounts.tests.factories import UserFactory
from competitors.models import Company
from competitors.tests.factories import CompanyFactory, SourceFactory
from digests.models import Notification
from digests.services import digest_send_now
from digests.tests.factories import NotificationFactory
from news.categories import Category
from news.models import ItemState, NewsItem, Story
from news.tests.factories import NewsItemFactory
from tests_browser.conftest import SCREENSHOTS, PageProblems

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

EMAIL = "ada@example.com"
PASSWORD = "a long and unusual passphrase 42"
COMPANY_NAMES = ("Orbit Labs", "Nimbus AI", "Quanta Systems")
ITEMS_PER_COMPANY = 3
# A marker set on `window` survives only as long as the document: if it is still
# there after an action, the page was updated in place, not reloaded.
SET_MARKER = "window.__sameDocument = true"
READ_MARKER = "window.__sameDocument === true"


@dataclass
class Catalogue:
    companies: list[Company]
    items: dict[str, list[NewsItem]]  # company slug → its items, newest first


# factory_boy is untyped: these say what its factories return.
def _company(**fields: Any) -> Company:
    return cast(Company, CompanyFactory(**fields))


def _item(**fields: Any) -> NewsItem:
    return cast(NewsItem, NewsItemFactory(**fields))


def _user(**fields: Any) -> User:
    return cast(User, UserFactory(**fields))


def _seed_catalogue() -> Catalogue:
    now = timezone.now()
    story = Story.objects.create(title="Orbit Labs releases Orbit 2")
    companies: list[Company] = []
    items: dict[str, list[NewsItem]] = {}
    for position, name in enumerate(COMPANY_NAMES):
        company = _company(
            name=name,
            slug=name.lower().replace(" ", "-"),
            description=f"{name} builds foundation models.",
        )
        source = SourceFactory(company=company, url=f"https://{company.slug}.example.com/feed.xml")
        items[company.slug] = [
            _item(
                title=f"{name} announcement {number}",
                url=f"https://{company.slug}.example.com/posts/{number}",
                source=source,
                company=company,
                published_at=now - timedelta(hours=position * ITEMS_PER_COMPANY + number),
                category=Category.MODEL_RELEASE if number == 0 else Category.PARTNERSHIP,
                priority_score=0.9 if number == 0 else 0.5,
                summary=f"What {name} shipped, in two sentences. It matters.",
                content_html=f"<p>{name} published the details of announcement {number}.</p>",
                content_text=f"{name} published the details of announcement {number}.",
                keywords=["model", "release"],
                story=story if number == 0 else None,
            )
            for number in range(ITEMS_PER_COMPANY)
        ]
        companies.append(company)
    return Catalogue(companies=companies, items=items)


def _assert_same_document(page: Page) -> None:
    assert page.evaluate(READ_MARKER), "the page was reloaded instead of updated in place"


def test_sign_up_set_preferences_filter_read_favourite_follow_and_log_out(
    page: Page, page_problems: PageProblems, live_server: object
) -> None:
    catalogue = _seed_catalogue()
    tracked, filtered, followed = catalogue.companies
    main = page.get_by_role("main")

    # Sign up: no email confirmation is needed to be signed in.
    page.goto("/accounts/signup/")
    main.get_by_label("Email").fill(EMAIL)
    main.get_by_label("Full name").fill("Ada Tester")
    main.get_by_label("Password", exact=True).fill(PASSWORD)
    main.get_by_label("Password confirmation").fill(PASSWORD)
    main.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # Preferences: one company and one category.
    page.goto("/settings/")
    section = main.get_by_role("region", name="Preferences")
    company_box = section.get_by_role("checkbox", name=tracked.name, exact=True)
    category_box = section.get_by_role(
        "checkbox", name=str(Category.MODEL_RELEASE.label), exact=True
    )
    company_box.check()
    category_box.check()
    with page.expect_response(lambda response: response.request.method == "POST"):
        section.get_by_role("button", name="Save preferences").click()
    page.goto("/settings/")
    expect(company_box).to_be_checked()
    expect(category_box).to_be_checked()
    preferences = Preferences.objects.get(user__email=EMAIL)
    assert list(preferences.tracked_companies.all()) == [tracked]
    assert preferences.categories == [Category.MODEL_RELEASE.value]

    # News list: the company filter swaps the results in place and updates the URL.
    page.goto("/news/")
    page.evaluate(SET_MARKER)
    results = page.locator("#news-results")
    other_title = catalogue.items[tracked.slug][0].title
    item = catalogue.items[filtered.slug][0]
    expect(results.get_by_role("link", name=other_title, exact=True).first).to_be_visible()
    filters = page.get_by_role("form", name="Filter news")
    filters.get_by_label("Company", exact=True).select_option(label=filtered.name)
    expect(page).to_have_url(re.compile(rf"[?&]company={re.escape(filtered.slug)}(&|$)"))
    expect(results.get_by_role("link", name=other_title, exact=True)).to_have_count(0)
    expect(results.get_by_role("link", name=item.title, exact=True).first).to_be_visible()
    _assert_same_document(page)

    # Item page: read and favourite toggles update in place.
    results.get_by_role("link", name=item.title, exact=True).first.click()
    expect(page).to_have_url(f"{live_server}/news/{item.pk}/")
    page.evaluate(SET_MARKER)
    mark_read = main.get_by_role("button", name="Mark as read", exact=True)
    expect(mark_read).to_have_attribute("aria-pressed", "false")
    mark_read.click()
    expect(main.get_by_role("button", name="Mark as unread", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    favourite = main.get_by_role("button", name="Add to favourites", exact=True)
    expect(favourite).to_have_attribute("aria-pressed", "false")
    favourite.click()
    expect(main.get_by_role("button", name="Remove from favourites", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    _assert_same_document(page)
    state = ItemState.objects.get(user__email=EMAIL, item=item)
    assert state.read_at is not None
    assert state.favourited_at is not None

    # Companies: the one chosen in the preferences is followed; follow another in place.
    page.goto("/companies/")
    page.evaluate(SET_MARKER)
    expect(
        main.get_by_role("button", name=f"Unfollow {tracked.name}", exact=True)
    ).to_have_attribute("aria-pressed", "true")
    follow = main.get_by_role("button", name=f"Follow {followed.name}", exact=True)
    expect(follow).to_have_attribute("aria-pressed", "false")
    follow.click()
    expect(
        main.get_by_role("button", name=f"Unfollow {followed.name}", exact=True)
    ).to_have_attribute("aria-pressed", "true")
    _assert_same_document(page)
    assert set(preferences.tracked_companies.all()) == {tracked, followed}

    # Log out from the header.
    page.get_by_role("button", name="Log out").click()
    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    page.goto("/settings/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    assert page_problems.messages == []


# (name, path, signed in); paths with {placeholders} are filled from the seed data.
PAGES = (
    ("landing", "/", False),
    ("dashboard", "/", True),
    ("news-list", "/news/", True),
    ("news-detail", "/news/{item}/", True),
    ("companies-list", "/companies/", True),
    ("company-detail", "/companies/{company}/", True),
    ("settings", "/settings/", True),
    ("digests", "/digests/", True),
    ("digest-detail", "/digests/{digest}/", True),
    ("notifications", "/notifications/", True),
)
WIDTHS = ((1280, 800), (390, 844))
# Names the elements that stick out on the right, so a report says what to fix.
OVERFLOW_SCRIPT = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return "";
  const culprits = [...document.querySelectorAll("body *")]
    .filter((element) => element.getBoundingClientRect().right > width + 0.5)
    .map((element) => element.tagName.toLowerCase()
      + (element.id ? "#" + element.id : "")
      + (element.className && typeof element.className === "string"
        ? "." + element.className.trim().split(/\\s+/).join(".") : ""));
  return `${document.documentElement.scrollWidth - width} px; ${culprits.slice(0, 5).join(", ")}`;
}"""


def _session_cookie(user: User, base_url: str) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


def test_main_pages_render_without_errors_at_desktop_and_phone_widths(
    page: Page, page_problems: PageProblems, live_server: object
) -> None:
    catalogue = _seed_catalogue()
    user = _user(email=EMAIL, full_name="Ada Tester")
    preferences_update(
        user=user,
        company_ids=[company.pk for company in catalogue.companies[:2]],
        categories=[Category.MODEL_RELEASE],
        keywords=["model"],
        scope=Preferences.Scope.TRACKED,
    )
    company = catalogue.companies[0]
    item = catalogue.items[company.slug][0]
    ItemState.objects.create(user=user, item=item, read_at=timezone.now())
    # A digest of everything, so the digest page shows entries grouped as users see them.
    Preferences.objects.filter(user=user).update(digest_mode=Preferences.Scope.ALL)
    digest = digest_send_now(user=user, kind="weekly", now=timezone.now())
    for each in catalogue.items[company.slug][:3]:
        NotificationFactory(
            user=user, item=each, company=company, title=f"{company.name}: {each.title}"
        )
    NotificationFactory(
        user=user,
        type=Notification.Type.CATEGORY_TREND,
        title="Model releases are busy: 6 items in 24 hours",
        read_at=timezone.now(),
    )
    cookie = _session_cookie(user, str(live_server))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    problems: list[str] = []
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        for name, path, signed_in in PAGES:
            page.context.clear_cookies()
            if signed_in:
                page.context.add_cookies([cookie])  # type: ignore[list-item]
            url = path.format(item=item.pk, company=company.slug, digest=digest.pk)
            response = page.goto(url)
            assert response is not None
            if response.status != 200:
                problems.append(f"{url}: HTTP {response.status}")
                continue
            expect(page.get_by_role("main")).to_be_visible()
            expect(page.locator("h1")).not_to_have_count(0)
            # Responsive down to phone widths: nothing may force sideways scrolling.
            overflow = page.evaluate(OVERFLOW_SCRIPT)
            if overflow:
                problems.append(f"{name} ({url}) at {width} px is too wide by {overflow}")
            page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)

    assert problems == []
    assert page_problems.messages == []
