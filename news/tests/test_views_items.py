from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import company_follow_set
from accounts.tests.factories import UserFactory
from competitors.tests.factories import CompanyFactory, SourceFactory
from news.categories import Category
from news.item_states import item_state_set_favourite, item_state_set_read
from news.models import ItemState, Story
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST_URL = "/news/"
JUNK_QUERIES = [
    "?priority=zzz&since=notadate&company=%3Cscript%3E&cursor=garbage",
    "?since=0001-01-01&until=9999-12-31",
    "?until=9999-12-31&since=9999-12-31",
    "?category=nope&category=other&source_type=%00&tracked=maybe&hide_read=%00",
    "?q=%00&q=" + "x" * 5000,
    "?q=%22unterminated&q=-&company=&category=",
    "?cursor=" + "A" * 300,
    "?cursor=b3wtNQ&priority=high&priority=zzz",
    "?page=2&sort=evil&company[]=a",
]


def _items_html(response):
    return response.content.decode()


def _load_more_url(html):
    match = re.search(r'<a class="btn" href="(\?[^"]*cursor=[^"]*)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


# ---------------------------------------------------------------- list


def test_anonymous_can_browse_without_state_controls(client):
    NewsItemFactory(title="Gemini 3 is out")
    response = client.get(LIST_URL)
    html = _items_html(response)
    assert response.status_code == 200
    assert "Gemini 3 is out" in html
    assert 'aria-label="Filter news"' in html
    assert "Mark as read" not in html
    # Personal filters need an account.
    assert 'name="tracked"' not in html
    assert 'name="hide_read"' not in html


def test_list_card_contents(auth_client, user):
    company = CompanyFactory(name="Acme AI", logo_url="")
    story = Story.objects.create(title="Launch")
    item = NewsItemFactory(
        company=company,
        story=story,
        title="Acme launches",
        category=Category.MODEL_RELEASE,
        priority_score=0.85,
        summary="The summary.",
        published_at=timezone.now() - timedelta(hours=3),
    )
    NewsItemFactory(story=story, source=SourceFactory(name="Tech Daily"))
    item_state_set_favourite(user=user, item_id=item.pk, favourite=True)

    html = _items_html(auth_client.get(LIST_URL))
    assert f'<a href="/news/{item.pk}/">Acme launches</a>' in html
    assert ">AA</span>" in html  # initials badge
    assert "Model release" in html
    assert "High priority" in html
    assert "3\xa0hours ago" in html
    assert "covered by 2 sources" in html
    assert "The summary." in html
    assert "Remove from favourites" in html


def test_company_logo_when_set(client):
    NewsItemFactory(company=CompanyFactory(logo_url="https://cdn.example.com/acme.png"))
    html = _items_html(client.get(LIST_URL))
    assert 'src="https://cdn.example.com/acme.png"' in html


def test_uncategorised_items_show_other(client):
    NewsItemFactory(category="")
    html = _items_html(client.get(LIST_URL))
    assert 'href="/categories/other/"' in html
    assert "Other" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("company=acme", {"Acme item"}),
        ("category=funding_news", {"Funding item"}),
        ("category=other", {"Acme item", "Github item"}),
        ("source_type=github", {"Github item"}),
        ("priority=high", {"Funding item"}),
        ("priority=low", {"Acme item", "Github item"}),
        ("q=funding", {"Funding item"}),
        ("since=2026-01-02", {"Github item"}),
        ("until=2026-01-01", {"Acme item", "Funding item"}),
    ],
)
def test_each_filter_through_the_view(client, query, expected):
    acme = CompanyFactory(slug="acme")
    day = datetime(2026, 1, 1, 12, tzinfo=UTC)
    NewsItemFactory(company=acme, title="Acme item", published_at=day)
    NewsItemFactory(
        title="Funding item",
        category=Category.FUNDING_NEWS,
        priority_score=0.9,
        published_at=day,
    )
    NewsItemFactory(title="Github item", source_type="github", published_at=day + timedelta(days=1))
    html = _items_html(client.get(f"{LIST_URL}?{query}"))
    shown = {title for title in ("Acme item", "Funding item", "Github item") if title in html}
    assert shown == expected


def test_tracked_and_hide_read_for_signed_in_users(auth_client, user):
    mine = CompanyFactory()
    company_follow_set(user=user, company_id=mine.pk, following=True)
    tracked = NewsItemFactory(company=mine, title="Tracked item")
    NewsItemFactory(title="Untracked item")
    html = _items_html(auth_client.get(f"{LIST_URL}?tracked=1"))
    assert "Tracked item" in html
    assert "Untracked item" not in html

    item_state_set_read(user=user, item_id=tracked.pk, read=True)
    html = _items_html(auth_client.get(f"{LIST_URL}?hide_read=1"))
    assert "Tracked item" not in html
    assert "Untracked item" in html
    # "0" does not switch a flag on.
    assert "Tracked item" in _items_html(auth_client.get(f"{LIST_URL}?hide_read=0"))


def test_tracked_is_ignored_for_anonymous_visitors(client):
    NewsItemFactory(title="Anything")
    assert "Anything" in _items_html(client.get(f"{LIST_URL}?tracked=1&hide_read=1"))


def test_search_shows_escaped_highlighted_snippet(client):
    NewsItemFactory(title="Gemini", content_text="The gemini model for R&D ships.")
    html = _items_html(client.get(f"{LIST_URL}?q=gemini"))
    assert "<mark>gemini</mark>" in html.lower()
    assert "R&amp;D" in html


def test_active_filters_are_chips_that_remove_themselves(client):
    CompanyFactory(slug="acme", name="Acme")
    html = _items_html(client.get(f"{LIST_URL}?company=acme&priority=high&q=gpt"))
    chips = re.findall(r'<a class="news-chip" href="([^"]+)"><span>([^<]+)</span>', html)
    by_label = {label: href.replace("&amp;", "&") for href, label in chips}
    assert set(by_label) == {"Company: Acme", "Priority: High", "Search: “gpt”"}
    assert parse_qs(urlsplit(by_label["Company: Acme"]).query) == {
        "q": ["gpt"],
        "priority": ["high"],
    }


def test_query_text_is_escaped_everywhere(client):
    html = _items_html(client.get(f"{LIST_URL}?q=%3Cscript%3Ealert(1)%3C/script%3E"))
    assert "<script>alert" not in html
    assert "Search: “&lt;script&gt;alert(1)&lt;/script&gt;”" in html


def test_htmx_gets_the_results_partial_with_vary(client):
    NewsItemFactory(title="Partial item")
    response = client.get(f"{LIST_URL}?priority=low", **HTMX)
    html = _items_html(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="news-results"')
    assert "Partial item" in html
    assert "<html" not in html
    assert 'aria-label="Filter news"' not in html
    assert "HX-Request" in response["Vary"]
    full = client.get(LIST_URL)
    assert "<html" in _items_html(full)
    assert "HX-Request" in full["Vary"]


def test_filter_form_is_wired_for_htmx(client):
    html = _items_html(client.get(LIST_URL))
    form = re.search(r"<form class=\"news-filters[^>]*>", html, re.S).group(0)
    assert 'hx-get="/news/"' in form
    assert 'hx-target="#news-results"' in form
    assert 'hx-push-url="true"' in form
    assert "change" in form
    assert "submit" in form
    assert 'method="get"' in form
    assert re.search(r'<label[^>]*for="id_company"[^>]*>Company</label>', html)
    assert re.search(r'<select name="company"[^>]*multiple', html)
    assert "Apply filters" in html


def test_load_more_without_javascript_and_with_htmx(client):
    now = timezone.now()
    for index in range(45):
        NewsItemFactory(title=f"Item {index:02d}", published_at=now - timedelta(minutes=index))

    first = _items_html(client.get(f"{LIST_URL}?priority=low"))
    assert "Item 19" in first
    assert "Item 20" not in first
    more = _load_more_url(first)
    assert more
    assert "priority=low" in more
    assert re.search(r'hx-get="\?[^"]*cursor=[^"]*"[^>]*hx-swap="outerHTML"', first)

    second = _items_html(client.get(LIST_URL + more))
    assert "Item 20" in second
    assert "Item 39" in second
    assert "Item 19" not in second
    assert "<html" in second

    appended = client.get(LIST_URL + more, **HTMX)
    html = _items_html(appended)
    assert "Item 20" in html
    assert 'id="news-results"' not in html
    assert "HX-Request" in appended["Vary"]
    third = _load_more_url(html)
    last = _items_html(client.get(LIST_URL + third, **HTMX))
    assert "Item 44" in last
    assert _load_more_url(last) is None


@pytest.mark.parametrize("query", JUNK_QUERIES)
@pytest.mark.parametrize("path", ["/news/", "/categories/funding_news/", "/favourites/"])
def test_junk_params_never_fail(auth_client, path, query):
    NewsItemFactory(category=Category.FUNDING_NEWS)
    for http in (auth_client, Client()):
        response = http.get(path + query)
        assert response.status_code in (200, 302)
        assert http.get(path + query, **HTMX).status_code in (200, 302)


def test_dates_render_in_the_users_time_zone(client):
    user = UserFactory(timezone="Asia/Tokyo")
    client.force_login(user)
    item = NewsItemFactory(published_at=datetime(2026, 1, 1, 0, 30, tzinfo=UTC))
    html = _items_html(client.get(LIST_URL))
    assert 'datetime="2026-01-01T09:30:00+09:00"' in html
    assert "Jan. 1, 2026, 9:30 a.m. (JST)" in html
    detail = _items_html(client.get(f"/news/{item.pk}/"))
    assert "Jan. 1, 2026, 9:30 a.m. (JST)" in detail


def test_since_until_use_the_users_time_zone(client):
    user = UserFactory(timezone="Asia/Tokyo")
    client.force_login(user)
    # 2 January, 05:00 in Tokyo.
    NewsItemFactory(title="Late item", published_at=datetime(2026, 1, 1, 20, tzinfo=UTC))
    assert "Late item" in _items_html(client.get(f"{LIST_URL}?since=2026-01-02"))
    assert "Late item" not in _items_html(client.get(f"{LIST_URL}?until=2026-01-01"))


# ---------------------------------------------------------------- query counts


def _populate(count):
    companies = [CompanyFactory() for _ in range(3)]
    sources = [SourceFactory(company=company) for company in companies]
    stories = [Story.objects.create(title=f"Story {index}") for index in range(count // 2)]
    now = timezone.now()
    items = []
    for index in range(count):
        items.append(
            NewsItemFactory(
                company=companies[index % 3],
                source=sources[index % 3],
                story=stories[index // 2] if stories else None,
                category=Category.FUNDING_NEWS if index % 2 else "",
                published_at=now - timedelta(minutes=index),
            )
        )
    return items


# Anonymous: companies for the filter, the page, its coverage.
# Signed in: + session, user, the page's states, and on the first page the
# header's unread-alerts count (cached afterwards).
@pytest.mark.parametrize("count", [10, 200])
def test_list_queries_are_constant(client, django_assert_num_queries, count):
    user = UserFactory()
    items = _populate(count)
    for item in items[:5]:
        item_state_set_read(user=user, item_id=item.pk, read=True)
    company_follow_set(user=user, company_id=items[0].company_id, following=True)
    with django_assert_num_queries(3):
        assert client.get(LIST_URL).status_code == 200
    client.force_login(user)
    with django_assert_num_queries(7):
        assert client.get(LIST_URL).status_code == 200
    with django_assert_num_queries(6):
        response = client.get(f"{LIST_URL}?q=acme&tracked=1&hide_read=1")
    assert response.status_code == 200
    assert '<article class="news-card' in _items_html(response)


@pytest.mark.parametrize("count", [10, 200])
def test_favourites_queries_are_constant(client, django_assert_num_queries, count):
    user = UserFactory()
    for item in _populate(count):
        item_state_set_favourite(user=user, item_id=item.pk, favourite=True)
    client.force_login(user)
    # session, user, favourites page, coverage, unread alerts
    with django_assert_num_queries(5):
        response = client.get("/favourites/")
    assert response.status_code == 200
    assert _items_html(response).count('<article class="news-card') == min(count, 20)


@pytest.mark.parametrize("count", [10, 200])
def test_category_queries_are_constant(client, django_assert_num_queries, count):
    user = UserFactory()
    _populate(count)
    client.force_login(user)
    # session, user, companies, page, states, coverage, top companies, unread alerts
    with django_assert_num_queries(8):
        assert client.get("/categories/funding_news/").status_code == 200
    with django_assert_num_queries(6):
        assert client.get("/categories/other/", **HTMX).status_code == 200


@pytest.mark.parametrize("count", [10, 200])
def test_detail_queries_are_constant(client, django_assert_num_queries, count):
    user = UserFactory()
    story = Story.objects.create(title="Big story")
    items = [NewsItemFactory(story=story) for _ in range(count)]
    item = items[0]
    item.mentioned_companies.set(CompanyFactory.create_batch(min(count, 30)))
    client.force_login(user)
    # session, user, item, mentions, other sources, state, unread alerts
    with django_assert_num_queries(7):
        assert client.get(f"/news/{item.pk}/").status_code == 200


# ---------------------------------------------------------------- detail


def test_detail_page(client):
    company = CompanyFactory(name="Acme", slug="acme")
    mentioned = CompanyFactory(name="Rival", slug="rival")
    story = Story.objects.create(title="Story")
    item = NewsItemFactory(
        company=company,
        story=story,
        title="Acme news",
        url="https://acme.example.com/post",
        category=Category.PARTNERSHIP,
        priority_score=0.65,
        keywords=["agents", "c++ & more"],
        content_html='<p>Body</p><script>alert(1)</script><a href="javascript:x()">bad</a>',
    )
    item.mentioned_companies.add(mentioned)
    other = NewsItemFactory(
        story=story, title="Coverage elsewhere", source=SourceFactory(name="Wire")
    )
    html = _items_html(client.get(f"/news/{item.pk}/"))
    assert "<h1" in html
    assert "Acme news" in html
    assert "Partnership" in html
    assert "Medium priority" in html
    assert "<p>Body</p>" in html
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert 'href="/news/?q=agents"' in html
    assert 'href="/news/?q=c%2B%2B%20%26%20more"' in html
    assert 'href="/companies/rival/"' in html
    assert 'href="/companies/acme/"' in html
    assert f'href="/news/{other.pk}/">Coverage elsewhere</a>' in html
    assert "Wire" in html
    assert re.search(
        r'<a class="btn btn-primary" href="https://acme.example.com/post" '
        r'rel="noopener noreferrer" target="_blank">\s*Read the original on acme.example.com',
        html,
    )
    assert "Mark as read" not in html


def test_detail_unknown_item_is_404(client):
    assert client.get("/news/999999/").status_code == 404


def test_opening_detail_does_not_mark_read(auth_client, user):
    item = NewsItemFactory()
    html = _items_html(auth_client.get(f"/news/{item.pk}/"))
    assert not ItemState.objects.filter(item=item).exists()
    assert re.search(r'aria-pressed="false"[^>]*>\s*<svg[^>]*>.*?</svg>\s*Mark as read', html, re.S)
    assert "Add to favourites" in html


# ---------------------------------------------------------------- toggles


def test_toggle_without_javascript_redirects_back(auth_client, user):
    item = NewsItemFactory()
    response = auth_client.post(f"/news/{item.pk}/read/", {"value": "1", "next": "/news/?q=x"})
    assert response.status_code == 302
    assert response["Location"] == "/news/?q=x"
    assert ItemState.objects.get(user=user, item=item).read_at is not None

    response = auth_client.post(
        f"/news/{item.pk}/favourite/", {"value": "1", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == f"/news/{item.pk}/"
    html = _items_html(auth_client.get(f"/news/{item.pk}/"))
    assert "Mark as unread" in html
    assert "Remove from favourites" in html


def test_toggle_with_htmx_returns_the_buttons(auth_client, user):
    item = NewsItemFactory()
    response = auth_client.post(f"/news/{item.pk}/favourite/", {"value": "1"}, **HTMX)
    html = _items_html(response)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<div class="state-buttons" id="item-state-{item.pk}"')
    assert re.search(
        r'aria-pressed="true"[^>]*>\s*<svg.*?</svg>\s*Remove from favourites', html, re.S
    )
    assert "Mark as read" in html
    assert "HX-Request" in response["Vary"]


def test_toggles_are_idempotent_sets(auth_client, user):
    item = NewsItemFactory()
    url = f"/news/{item.pk}/read/"
    auth_client.post(url, {"value": "1"})
    first = ItemState.objects.get(user=user).read_at
    auth_client.post(url, {"value": "1"})
    assert ItemState.objects.get(user=user).read_at == first
    auth_client.post(url, {"value": "0"})
    auth_client.post(url, {"value": "0"})
    assert ItemState.objects.get(user=user).read_at is None
    assert ItemState.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("data", [{}, {"value": "2"}, {"value": "yes"}, {"value": "1" * 5000}])
def test_toggle_rejects_bad_values(auth_client, data):
    item = NewsItemFactory()
    assert auth_client.post(f"/news/{item.pk}/read/", data).status_code == 400
    assert not ItemState.objects.filter(item=item).exists()


def test_toggle_unknown_item_is_404(auth_client):
    assert auth_client.post("/news/999999/read/", {"value": "1"}).status_code == 404


def test_toggle_is_post_only(auth_client):
    item = NewsItemFactory()
    assert auth_client.get(f"/news/{item.pk}/read/").status_code == 405


def test_anonymous_cannot_toggle(client):
    item = NewsItemFactory()
    response = client.post(f"/news/{item.pk}/read/", {"value": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert f"next=/news/{item.pk}/" in response["Location"].replace("%2F", "/")

    response = client.post(f"/news/{item.pk}/favourite/", {"value": "1"}, **HTMX)
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))
    assert not ItemState.objects.filter(item=item).exists()


def test_toggle_requires_csrf(user):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    item = NewsItemFactory()
    assert csrf_client.post(f"/news/{item.pk}/read/", {"value": "1"}).status_code == 403
    assert not ItemState.objects.filter(item=item).exists()


def test_users_never_see_or_change_each_others_state(client):
    alice, bob = UserFactory(), UserFactory()
    item = NewsItemFactory(title="Shared item")
    item_state_set_read(user=alice, item_id=item.pk, read=True)
    item_state_set_favourite(user=alice, item_id=item.pk, favourite=True)

    client.force_login(bob)
    html = _items_html(client.get(LIST_URL))
    assert "Mark as read" in html
    assert "Remove from favourites" not in html
    assert "is-read" not in html
    assert "Shared item" not in _items_html(client.get("/favourites/"))
    assert "Shared item" in _items_html(client.get(f"{LIST_URL}?hide_read=1"))

    # Bob's requests only ever touch Bob's row.
    client.post(f"/news/{item.pk}/read/", {"value": "0"})
    client.post(f"/news/{item.pk}/favourite/", {"value": "0"})
    alice_state = ItemState.objects.get(user=alice, item=item)
    assert alice_state.read_at is not None
    assert alice_state.favourited_at is not None

    client.force_login(alice)
    assert "Shared item" in _items_html(client.get("/favourites/"))


# ---------------------------------------------------------------- favourites


def test_favourites_requires_login(client):
    response = client.get("/favourites/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    response = client.get("/favourites/", **HTMX)
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_favourites_lists_the_users_favourites(auth_client, user):
    first, second = NewsItemFactory(title="First fav"), NewsItemFactory(title="Second fav")
    NewsItemFactory(title="Not a favourite")
    item_state_set_favourite(user=user, item_id=first.pk, favourite=True)
    item_state_set_favourite(user=user, item_id=second.pk, favourite=True)
    html = _items_html(auth_client.get("/favourites/"))
    assert html.index("Second fav") < html.index("First fav")
    assert "Not a favourite" not in html


def test_empty_favourites(auth_client):
    assert "No favourites yet" in _items_html(auth_client.get("/favourites/"))


# ---------------------------------------------------------------- categories


def test_category_page(client):
    acme = CompanyFactory(name="Acme", slug="acme")
    NewsItemFactory(company=acme, category=Category.FUNDING_NEWS, title="Acme raises")
    NewsItemFactory(category=Category.MODEL_RELEASE, title="Model out")
    response = client.get("/categories/funding_news/")
    html = _items_html(response)
    assert response.status_code == 200
    assert "Funding news" in html
    assert "💵" in html
    assert "Funding rounds" in html
    assert 'href="/companies/acme/"' in html
    assert "Acme raises" in html
    assert "Model out" not in html
    assert 'name="category"' not in html
    assert "HX-Request" in response["Vary"]


def test_category_other_and_unknown(client):
    NewsItemFactory(category="", title="Uncategorised")
    NewsItemFactory(category=Category.FUNDING_NEWS, title="Funding")
    html = _items_html(client.get("/categories/other/"))
    assert "Uncategorised" in html
    assert "Funding" not in html.split('id="news-results"')[1]
    assert client.get("/categories/not-a-category/").status_code == 404


def test_category_filters_and_htmx_partial(client):
    NewsItemFactory(category=Category.FUNDING_NEWS, title="Low one", priority_score=0.1)
    NewsItemFactory(category=Category.FUNDING_NEWS, title="High one", priority_score=0.9)
    response = client.get("/categories/funding_news/?priority=high", **HTMX)
    html = _items_html(response)
    assert html.lstrip().startswith('<section id="news-results"')
    assert "High one" in html
    assert "Low one" not in html


def test_inactive_companies_are_named_without_a_link(client):
    hidden = CompanyFactory(name="Retired Labs", slug="retired-labs", active=False)
    item = NewsItemFactory(company=hidden)
    item.mentioned_companies.add(hidden)

    html = client.get(reverse("news:detail", args=[item.pk])).content.decode()

    assert "Retired Labs" in html
    assert reverse("competitors:detail", args=["retired-labs"]) not in html
