"""The landscape: the company-by-category matrix (competitors/landscape.py) and its page."""

import html
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.services import company_follow_set
from accounts.tests.factories import UserFactory
from competitors.activity import period_last_days
from competitors.charts import CATEGORY_KEYS, intensity_level
from competitors.landscape import LANDSCAPE_DAYS, landscape_build
from competitors.models import Company
from competitors.tests.factories import CompanyFactory, SourceFactory
from news.categories import Category
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

URL = reverse("competitors:landscape")
NEWS_URL = reverse("news:list")
HTMX = {"HTTP_HX_REQUEST": "true"}
TOKYO = ZoneInfo("Asia/Tokyo")
MODEL = Category.MODEL_RELEASE.value
API = Category.API_UPDATE.value


def _items(company, category, count, *, at=None, title=None):
    at = at or timezone.now() - timedelta(hours=1)
    return [
        NewsItemFactory(
            company=company,
            source__company=company,
            category=category,
            published_at=at,
            **({"title": f"{title} {n}"} if title else {}),
        )
        for n in range(count)
    ]


@pytest.fixture
def market():
    """Zeta: 4 model releases, 1 API update, 1 uncategorised (6); alpha and Beta 3
    each (a name tie, case-insensitive); Gamma nothing; Retired is not listed."""
    zeta = CompanyFactory(name="Zeta", slug="zeta")
    alpha = CompanyFactory(name="alpha", slug="alpha")
    beta = CompanyFactory(name="Beta", slug="beta")
    gamma = CompanyFactory(name="Gamma", slug="gamma")
    retired = CompanyFactory(name="Retired", slug="retired", active=False)
    _items(zeta, MODEL, 4, title="Zeta model")
    _items(zeta, API, 1, title="Zeta api")
    _items(zeta, "", 1, title="Zeta misc")
    _items(alpha, MODEL, 2)
    _items(alpha, API, 1)
    _items(beta, MODEL, 3)
    _items(retired, MODEL, 9)
    # Older than any period offered.
    _items(zeta, MODEL, 5, at=timezone.now() - timedelta(days=120), title="Zeta old")
    return {"zeta": zeta, "alpha": alpha, "beta": beta, "gamma": gamma}


def _cells(row):
    return {cell.key: cell.count for cell in row.cells if cell.count}


def _levels(row):
    return {cell.key: cell.level for cell in row.cells if cell.count}


# ---------------------------------------------------------------- building


@pytest.mark.parametrize(
    ("count", "peak", "level"),
    [(0, 4, 0), (0, 0, 0), (1, 4, 2), (2, 4, 3), (3, 4, 4), (4, 4, 5), (1, 100, 1), (3, 3, 5)],
)
def test_intensity_level_is_the_ceiling_of_five_times_the_share_of_the_peak(count, peak, level):
    assert intensity_level(count, peak) == level


def test_build_counts_each_category_with_levels_and_orders_by_total_then_name(market):
    landscape = landscape_build(companies=Company.objects.filter(active=True), days=30)

    assert landscape.categories == CATEGORY_KEYS
    assert landscape.peak == 4
    assert landscape.period.days == 30
    assert [row.company.name for row in landscape.rows] == ["Zeta", "alpha", "Beta", "Gamma"]
    assert [row.total for row in landscape.rows] == [6, 3, 3, 0]
    zeta, alpha, beta, gamma = landscape.rows
    assert _cells(zeta) == {MODEL: 4, API: 1, "other": 1}
    assert _levels(zeta) == {MODEL: 5, API: 2, "other": 2}
    assert _cells(alpha) == {MODEL: 2, API: 1}
    assert _levels(alpha) == {MODEL: 3, API: 2}
    assert _levels(beta) == {MODEL: 4}
    assert [cell.key for cell in gamma.cells] == list(CATEGORY_KEYS)
    assert {cell.level for cell in gamma.cells} == {0}


def test_build_periods_are_local_days_of_the_current_time_zone():
    company = CompanyFactory(name="Edge", slug="edge")
    with timezone.override(TOKYO):
        period = period_last_days(days=7)
        # Both sides of each end, where a UTC period would draw them elsewhere at
        # any time of day: Tokyo's midnight is 15:00 UTC.
        _items(company, MODEL, 1, at=period.start - timedelta(seconds=1))
        _items(company, MODEL, 2, at=period.start)
        _items(company, API, 1, at=period.end - timedelta(seconds=1))
        _items(company, API, 1, at=period.end)

        landscape = landscape_build(companies=Company.objects.all(), days=7)

    assert landscape.period == period
    assert landscape.period.tz == TOKYO
    assert _cells(landscape.rows[0]) == {MODEL: 2, API: 1}


@pytest.mark.parametrize("days", [0, 1, 14, 365, -7])
def test_build_refuses_other_periods(days):
    with pytest.raises(ValueError, match="days must be one of"):
        landscape_build(companies=Company.objects.all(), days=days)


def _companies(count):
    companies = Company.objects.bulk_create(
        Company(name=f"Bulk {n}", slug=f"bulk-{n}", segment=Company.Segment.LLM_PROVIDER)
        for n in range(count)
    )
    for company, category in zip(companies, CATEGORY_KEYS * count, strict=False):
        source = SourceFactory(company=company)
        NewsItemFactory(company=company, source=source, category=category.replace("other", ""))
    return companies


@pytest.mark.parametrize("count", [3, 200])
def test_build_costs_two_queries_whatever_the_number_of_companies(count, django_assert_num_queries):
    _companies(count)

    with django_assert_num_queries(2):  # the companies, then one grouped count
        landscape = landscape_build(companies=Company.objects.all(), days=90)

    assert len(landscape.rows) == count
    assert sum(row.total for row in landscape.rows) == count


# ---------------------------------------------------------------- page


def _page(client, query="", **extra):
    response = client.get(f"{URL}{query}", **extra)
    assert response.status_code == 200
    return response, response.content.decode()


def _cell_href(page, label):
    match = re.search(rf'<a href="([^"]+)" title="{re.escape(label)}"', page)
    assert match, label
    return html.unescape(match.group(1))


def _row_names(page):
    return re.findall(r'<th scope="row" class="landscape-company"><a [^>]*>([^<]+)</a>', page)


def _current(page, label):
    return re.search(rf'aria-current="page">{re.escape(label)}</a>', page) is not None


def test_page_is_public_and_shows_all_listed_companies(client, market):
    response, page = _page(client)

    assert _row_names(page) == ["Zeta", "alpha", "Beta", "Gamma"]
    assert "Retired" not in page
    assert "HX-Request" in response.get("Vary", "")
    assert _current(page, "30 days")
    assert _current(page, "Landscape")  # the main navigation
    # A visitor follows nothing: no scope switch, whatever the query asks for.
    assert "My companies" not in page
    _, tracked = _page(client, "?scope=tracked")
    assert _row_names(tracked) == _row_names(page)


def test_page_table_is_an_accessible_matrix_coloured_by_classes(client, market):
    _, page = _page(client)

    assert "<caption>" in page
    assert 'scope="col"' in page
    assert page.count('scope="row"') == 4
    assert '<span aria-hidden="true">🤖</span> Model release</th>' in page
    assert '<span aria-hidden="true">📰</span> Other</th>' in page
    label = "Zeta — Model release: 4 items"
    assert re.search(
        rf'class="landscape-cell landscape-level-5"><a href="[^"]+" title="{label}" '
        rf'aria-label="{label}">4</a>',
        page,
    )
    assert 'title="Zeta — API update: 1 item" aria-label="Zeta — API update: 1 item">1</a>' in page
    # An empty cell says so to screen readers and links nowhere.
    assert re.search(
        r'<td class="landscape-cell landscape-level-0" title="Gamma — Model release: 0 items">'
        r'<span aria-hidden="true">·</span><span class="visually-hidden">0</span></td>',
        page,
    )
    assert "style=" not in page.split('id="landscape-results"', 1)[1]


def test_page_cells_link_to_the_news_list_of_the_same_items(client, market):
    _, page = _page(client, "?days=7")
    period = period_last_days(days=7)
    dates = f"since={period.date_from.isoformat()}&until={period.date_to.isoformat()}"

    model = _cell_href(page, "Zeta — Model release: 4 items")
    other = _cell_href(page, "Zeta — Other: 1 item")

    assert model == f"{NEWS_URL}?company=zeta&category={MODEL}&{dates}"
    # The news list reads category=other as "uncategorised".
    assert other == f"{NEWS_URL}?company=zeta&category=other&{dates}"
    news = client.get(model)
    assert news.status_code == 200
    titles = set(re.findall(r"Zeta \w+ \d", news.content.decode()))
    assert titles == {f"Zeta model {n}" for n in range(4)}
    news = client.get(other)
    assert news.status_code == 200
    assert set(re.findall(r"Zeta \w+ \d", news.content.decode())) == {"Zeta misc 0"}


def test_page_counts_local_days_of_the_signed_in_users_zone(client):
    user = UserFactory(timezone="Asia/Tokyo")
    company = CompanyFactory(name="Edge", slug="edge")
    period = period_last_days(days=7, tz=TOKYO)
    _items(company, MODEL, 1, at=period.start - timedelta(seconds=1), title="Before")
    _items(company, MODEL, 2, at=period.start, title="First")
    client.force_login(user)

    _, page = _page(client, "?days=7")

    href = _cell_href(page, "Edge — Model release: 2 items")
    assert f"since={period.date_from.isoformat()}&until={period.date_to.isoformat()}" in href
    news = client.get(href).content.decode()
    assert set(re.findall(r"(?:Before|First) \d", news)) == {"First 0", "First 1"}


def test_page_scope_defaults_to_followed_companies(client, market):
    user = UserFactory()
    company_follow_set(user=user, company_id=market["beta"].pk, following=True)
    client.force_login(user)

    _, page = _page(client)
    _, everyone = _page(client, "?scope=all&days=90")

    assert _row_names(page) == ["Beta"]
    assert _current(page, "My companies")
    assert "of your companies" in page
    assert _row_names(everyone) == ["Zeta", "alpha", "Beta", "Gamma"]
    assert _current(everyone, "All companies")
    assert _current(everyone, "90 days")
    # Each switch keeps the other choice.
    assert f'href="{URL}?days=7&amp;scope=all"' in everyone
    assert f'href="{URL}?days=90&amp;scope=tracked"' in everyone


def test_page_without_followed_companies_shows_all(client, market):
    client.force_login(UserFactory())

    _, page = _page(client, "?scope=tracked")

    assert _row_names(page) == ["Zeta", "alpha", "Beta", "Gamma"]
    assert "My companies" not in page
    assert "Follow companies" in page


@pytest.mark.parametrize(
    "query",
    [
        "?days=14",
        "?days=abc",
        "?days=",
        "?days=-30&scope=everything",
        "?days=99999999999999999999",
        "?scope=%00",
        "?days=7&days=x",
        "?page=2&days=30.0",
    ],
)
def test_page_falls_back_to_defaults_on_invalid_parameters(client, market, query):
    user = UserFactory()
    company_follow_set(user=user, company_id=market["zeta"].pk, following=True)
    client.force_login(user)

    _, page = _page(client, query)

    assert _current(page, "30 days")  # of a repeated parameter, the last one counts
    assert _current(page, "My companies")
    assert _row_names(page) == ["Zeta"]


def test_page_keeps_the_valid_parameter_beside_an_invalid_one(client, market):
    _, page = _page(client, "?days=90&scope=nope")

    assert _current(page, "90 days")
    assert _row_names(page) == ["Zeta", "alpha", "Beta", "Gamma"]


def test_htmx_gets_the_table_fragment(client, market):
    _, page = _page(client, "?days=7", **HTMX)

    assert page.lstrip().startswith('<section id="landscape-results"')
    assert "<html" not in page
    assert 'hx-get="/landscape/?days=90&amp;scope=all"' in page.replace(URL, "/landscape/")
    assert 'hx-target="#landscape-results"' in page
    assert 'hx-push-url="true"' in page


def test_page_with_no_news_in_the_period_says_so(client):
    CompanyFactory(name="Quiet", slug="quiet")

    _, page = _page(client)

    assert "published news in this period" in page
    assert _row_names(page) == ["Quiet"]


def _page_queries(client, count):
    Company.objects.all().delete()
    companies = _companies(count)
    user = UserFactory()
    for company in companies:
        company_follow_set(user=user, company_id=company.pk, following=True)
    client.force_login(user)
    client.get(URL)  # warm the session and anything cached per process
    with CaptureQueriesContext(connection) as queries:
        _, page = _page(client)
    assert len(_row_names(page)) == count
    return len(queries)


def test_page_queries_do_not_grow_with_the_number_of_companies(client):
    assert _page_queries(client, 3) == _page_queries(client, 60)


def test_anonymous_page_queries_do_not_grow_with_the_number_of_companies(client):
    def queries(count):
        Company.objects.all().delete()
        _companies(count)
        with CaptureQueriesContext(connection) as captured:
            _, page = _page(client, "?scope=all")
        assert len(_row_names(page)) == count
        return len(captured)

    assert queries(3) == queries(60)


def test_landscape_days_are_the_offered_periods():
    assert LANDSCAPE_DAYS == (7, 30, 90)


def test_cell_labels_and_links_escape_company_names(client):
    company = CompanyFactory(name='<b>"Evil" & Co</b>', slug="evil-co")
    _items(company, Category.MODEL_RELEASE, 2)

    page = client.get(URL, {"scope": "all"}).content.decode()

    assert "<b>" not in page
    label = "&lt;b&gt;&quot;Evil&quot; &amp; Co&lt;/b&gt; — Model release: 2 items"
    assert f'title="{label}" aria-label="{label}">2</a>' in page
    assert "?company=evil-co&amp;category=model_release&amp;since=" in page
