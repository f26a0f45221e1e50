"""The comparison pages: the form, the page, its exports and print version, and
saved comparisons (per user)."""

import csv
import io
import json
import re
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.template.defaultfilters import urlencode as urlencode_filter
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from competitors.activity import Period, company_activity
from competitors.compare_exports import csv_safe
from competitors.compare_forms import CompareForm
from competitors.models import SavedComparison
from competitors.services import saved_comparison_create
from competitors.tests.factories import CompanyFactory
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

COMPARE_URL = reverse("competitors:compare")
THEMES_URL = reverse("competitors:compare_themes")
PRINT_URL = reverse("competitors:compare_print")
CSV_URL = reverse("competitors:compare_export_csv")
JSON_URL = reverse("competitors:compare_export_json")
SAVED_URL = reverse("competitors:compare_saved")
HTMX = {"HTTP_HX_REQUEST": "true"}
START, END = date(2025, 3, 1), date(2025, 3, 10)


def _at(day, hour=12, minute=0):
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def _query(*slugs, **params):
    return urlencode([("companies", slug) for slug in slugs] + list(params.items()))


def _fixed(*slugs):
    return _query(*slugs, date_from=START.isoformat(), date_to=END.isoformat())


def _delete_url(pk):
    return reverse("competitors:compare_saved_delete", args=[pk])


@pytest.fixture
def acme():
    return CompanyFactory(name="Acme AI", slug="acme")


@pytest.fixture
def beta():
    return CompanyFactory(name="Beta Labs", slug="beta")


@pytest.fixture
def news(acme, beta):
    """Acme: 4 items in the period (2 model releases, 1 product update, 1 uncategorised),
    Beta: 2 API updates; one item of each just outside the period."""
    items = {
        "nova": NewsItemFactory(
            company=acme,
            title="Acme launches Nova",
            published_at=_at(2, 10),
            category="model_release",
            priority_score=0.9,
            keywords=["reasoning", "vision"],
        ),
        "nova_mini": NewsItemFactory(
            company=acme,
            title="Nova Mini is out",
            published_at=_at(2, 12),
            category="model_release",
            priority_score=0.5,
            keywords=["vision"],
        ),
        "studio": NewsItemFactory(
            company=acme,
            title="Acme Studio update",
            published_at=_at(5),
            category="product_update",
            priority_score=0.7,
        ),
        "misc": NewsItemFactory(
            company=acme,
            title="Acme at a meetup",
            published_at=_at(10, 23, 30),
            category="",
            priority_score=0.2,
        ),
        "beta_api": NewsItemFactory(
            company=beta,
            title="Beta API v2",
            published_at=_at(3),
            category="api_update",
            priority_score=0.8,
            keywords=["reasoning"],
        ),
        "beta_limits": NewsItemFactory(
            company=beta,
            title="Beta raises rate limits",
            published_at=_at(3, 15),
            category="api_update",
            priority_score=0.6,
        ),
    }
    NewsItemFactory(company=acme, published_at=datetime(2025, 3, 11, tzinfo=UTC))
    NewsItemFactory(company=beta, published_at=datetime(2025, 2, 28, 23, 59, tzinfo=UTC))
    return items


def _activity(company):
    return company_activity(company=company, period=Period(START, END, UTC))


# ---------------------------------------------------------------- the form


def _form(query):
    from django.http import QueryDict

    return CompareForm(QueryDict(query))


def test_form_accepts_two_to_five_companies_in_the_given_order(acme, beta):
    form = _form(_fixed("beta", "acme"))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["companies"] == [beta, acme]
    assert form.period() == Period(START, END, timezone.get_current_timezone())
    assert form.rolling_days is None
    assert form.query_pairs() == [
        ("companies", "beta"),
        ("companies", "acme"),
        ("date_from", "2025-03-01"),
        ("date_to", "2025-03-10"),
    ]


@pytest.mark.parametrize(
    ("count", "message"),
    [(0, "Choose 2 to 5 companies to compare."), (1, "(you chose 1)"), (6, "(you chose 6)")],
)
def test_form_refuses_fewer_than_two_or_more_than_five(count, message):
    slugs = [CompanyFactory().slug for _ in range(count)]

    form = _form(_query(*slugs))

    assert not form.is_valid()
    assert message in str(form.errors["companies"])


def test_form_refuses_unknown_inactive_and_repeated_companies(acme, beta):
    CompanyFactory(name="Retired", slug="retired", active=False)

    unknown = _form(_query("acme", "nope"))
    inactive = _form(_query("acme", "retired"))
    repeated = _form(_query("acme", "beta", "acme"))

    assert "There is no active company “nope”." in unknown.errors["companies"]
    assert "There is no active company “retired”." in inactive.errors["companies"]
    assert repeated.errors["companies"] == ["Choose each company only once."]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "2025-13-01", "date_to": "2025-03-10"}, "date_from", "valid date"),
        ({"date_from": "01/03/2025", "date_to": "2025-03-10"}, "date_from", "valid date"),
        ({"date_from": "2025-03-10", "date_to": "2025-03-01"}, "date_to", "must not be before"),
        ({"date_from": "2024-03-01", "date_to": "2025-03-02"}, "date_to", "at most 366 days"),
        ({"date_from": "2025-03-01"}, "date_to", "Enter both dates"),
        ({"date_to": "2025-03-01"}, "date_from", "Enter both dates"),
        ({"days": "30", "date_from": "2025-03-01", "date_to": "2025-03-02"}, "days", "not both"),
        ({"days": "0"}, "days", "greater than or equal to 1"),
        ({"days": "367"}, "days", "less than or equal to 366"),
        ({"days": "abc"}, "days", "whole number"),
        ({"date_from": "1850-01-01", "date_to": "1850-01-02"}, "date_from", "between 1990"),
        ({"date_from": "9999-12-30", "date_to": "9999-12-31"}, "date_to", "between 1990"),
    ],
)
def test_form_refuses_bad_periods(acme, beta, params, field, message):
    form = _form(_query("acme", "beta", **params))

    assert not form.is_valid()
    assert message in str(form.errors[field])


def test_form_takes_a_whole_leap_year(acme, beta):
    form = _form(_query("acme", "beta", date_from="2024-01-01", date_to="2024-12-31"))

    assert form.is_valid(), form.errors
    assert form.period().days == 366


def test_form_defaults_to_the_last_30_days_in_the_current_zone(acme, beta):
    zone = zoneinfo.ZoneInfo("Pacific/Kiritimati")
    with timezone.override(zone):
        form = _form(_query("acme", "beta"))
        assert form.is_valid(), form.errors
        period = form.period()
        today = timezone.localdate()

    assert (period.date_from, period.date_to, period.tz) == (
        today - timedelta(days=29),
        today,
        zone,
    )
    assert form.rolling_days == 30
    assert form.query_pairs()[-1] == ("days", "30")


def test_form_takes_a_number_of_days(acme, beta):
    form = _form(_query("acme", "beta", days="7"))

    assert form.is_valid(), form.errors
    assert form.period().days == 7
    assert form.period().date_to == timezone.localdate()


# ---------------------------------------------------------------- the page


def test_page_without_parameters_shows_the_form_only(client, acme, beta):
    response = client.get(COMPARE_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="companies"' in html
    assert '<option value="acme">Acme AI</option>' in html
    assert "errorlist" not in html
    assert "compare-results" not in html


@pytest.mark.parametrize(
    "query",
    [
        "companies=acme&companies=nope",
        "companies=acme",
        "companies=acme&companies=beta&date_from=zzz&date_to=2025-03-01",
        "companies=acme&companies=beta&days=99999999999999999999",
        "companies=acme&companies=beta&date_from=9999-12-31&date_to=9999-12-31",
        "companies=acme&companies=beta&date_from=0001-01-01&date_to=0001-01-02",
        "date_from=2025-03-01",
    ],
)
def test_page_with_bad_parameters_shows_the_errors(client, acme, beta, query):
    response = client.get(f"{COMPARE_URL}?{query}&x=1")

    html = response.content.decode()
    assert response.status_code == 200
    assert "errorlist" in html
    assert "compare-results" not in html


def test_compare_with_from_a_company_page_preselects_it_without_an_error(client, acme, beta):
    response = client.get(f"{COMPARE_URL}?companies=acme")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="acme" selected>Acme AI</option>' in html
    assert "errorlist" not in html


def test_page_shows_the_comparison_with_exact_numbers(client, acme, beta, news):
    response = client.get(f"{COMPARE_URL}?{_fixed('acme', 'beta')}")

    html = response.content.decode()
    assert response.status_code == 200
    assert "1 Mar 2025 – 10 Mar 2025 (10 days)" in html
    acme_score, beta_score = _activity(acme).score, _activity(beta).score

    summary = html[html.index('class="compare-summary"') : html.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", summary, re.S)
    acme_row, beta_row = rows[1], rows[2]
    assert "Acme AI" in acme_row
    assert re.findall(r'<td class="num">(\d+)</td>', acme_row)[0] == "4"
    assert f"<strong>{acme_score.score}</strong>" in acme_row
    assert f'<td class="num">{round(acme_score.volume * 100)}%</td>' in acme_row
    assert re.findall(r'<td class="num">(\d+)</td>', beta_row)[0] == "2"
    assert f"<strong>{beta_score.score}</strong>" in beta_row

    # The heatmap: categories present, in display order, with counts and shares.
    heatmap = html[html.index('class="heatmap"') :]
    heatmap = heatmap[: heatmap.index("</table>")]
    cells = re.findall(
        r'heat-cell heat-(\d)"><span class="heat-count">(\d+)</span> '
        r'<span class="heat-share">(\d+)%</span>',
        heatmap,
    )
    # Rows: product update, API update, model release, other; columns Acme, Beta.
    assert cells == [
        ("3", "1", "25"),
        ("0", "0", "0"),
        ("0", "0", "0"),
        ("5", "2", "100"),
        ("5", "2", "50"),
        ("0", "0", "0"),
        ("3", "1", "25"),
        ("0", "0", "0"),
    ]
    assert heatmap.index("Product update") < heatmap.index("API update") < heatmap.index("Other")

    # The line chart: one line per company, a text alternative.
    assert html.count('<polyline class="chart-line-path"') == 2
    assert 'class="chart-line chart-series-1"' in html
    assert 'class="chart-line chart-series-2"' in html
    assert 'role="img" aria-labelledby="activity-chart-title activity-chart-summary"' in html
    assert "News per day" in html
    data = html[html.index('<details class="chart-data">') : html.index("</details>")]
    day_rows = re.findall(
        r'<time datetime="(2025-03-\d\d)">.*?</time></th>\s*'
        r'<td class="num">(\d+)</td><td class="num">(\d+)</td>',
        data,
    )
    assert len(day_rows) == 10
    assert day_rows[1] == ("2025-03-02", "2", "0")
    assert day_rows[2] == ("2025-03-03", "0", "2")
    assert day_rows[9] == ("2025-03-10", "1", "0")

    # Top items, best first, linking to the item pages.
    top = html[html.index('id="top-acme"') : html.index('id="top-beta"')]
    links = re.findall(r'<a href="/news/(\d+)/">([^<]+)</a>', top)
    assert links == [
        (str(news["nova"].pk), "Acme launches Nova"),
        (str(news["studio"].pk), "Acme Studio update"),
        (str(news["nova_mini"].pk), "Nova Mini is out"),
        (str(news["misc"].pk), "Acme at a meetup"),
    ]
    assert "Model release" in top
    assert "badge-priority-" in top

    # The themes come from a second request the page makes once shown.
    themes_url = f"{THEMES_URL}?{_fixed('acme', 'beta')}"
    assert f'hx-get="{themes_url.replace("&", "&amp;")}"' in html
    assert "Shared themes" not in html
    fragment = client.get(themes_url, **HTMX)
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith('<section id="compare-themes"')
    assert "<html" not in html

    # Themes: "reasoning" is Acme's and Beta's; "vision" is Acme's alone.
    themes = html[html.index('id="themes-title"') :]
    shared = themes[: themes.index("Unique themes")]
    assert "reasoning" in shared
    assert "Acme AI (1), Beta Labs (1)" in shared
    assert f'href="/news/{news["nova"].pk}/"' in shared
    assert f'href="/news/{news["beta_api"].pk}/"' in shared
    unique = themes[themes.index("Unique themes") :]
    assert "vision (2)" in unique


def test_exports_and_print_links_carry_the_same_parameters(client, acme, beta, news):
    html = client.get(f"{COMPARE_URL}?{_fixed('acme', 'beta')}").content.decode()

    query = _fixed("acme", "beta").replace("&", "&amp;")
    assert f'href="{CSV_URL}?{query}"' in html
    assert f'href="{JSON_URL}?{query}"' in html
    assert f'href="{PRINT_URL}?{query}"' in html


def test_long_periods_chart_weeks(client, acme, beta, news):
    response = client.get(
        f"{COMPARE_URL}?{_query('acme', 'beta', date_from='2025-01-01', date_to='2025-03-31')}"
    )

    html = response.content.decode()
    assert "News per week" in html
    data = html[html.index('<details class="chart-data">') : html.index("</details>")]
    # 1 Jan 2025 is a Wednesday: its week starts on Monday 30 Dec 2024; 14 weeks in all.
    weeks = re.findall(r'<time datetime="([\d-]+)">', data)
    assert weeks[0] == "2024-12-30"
    assert weeks[-1] == "2025-03-31"
    assert len(weeks) == 14
    assert "Week of" in data


def test_page_without_news_says_so(client, acme, beta):
    html = client.get(f"{COMPARE_URL}?{_fixed('acme', 'beta')}").content.decode()

    assert "No news from these companies in this period." in html
    assert "<polyline" not in html


def test_page_has_no_inline_script_or_style(client, acme, beta, news):
    html = client.get(f"{COMPARE_URL}?{_fixed('acme', 'beta')}").content.decode()

    assert "style=" not in html
    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\ssrc=)", html) == []
    assert 'href="/static/css/compare.css"' in html


def _page_queries(client, query):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{COMPARE_URL}?{query}")
    assert response.status_code == 200
    assert "compare-results" in response.content.decode()
    return len(queries)


# Session and user (2), the active companies of the form (1), the activity
# aggregate and the top items (2). The themes come in their own request. The
# header's unread count is cached by a first visit.
PAGE_QUERIES = 5
# The themes' request, not cached yet: the same, plus the state of the items (the
# cache key), then the themes' items, company names and examples.
THEMES_QUERIES = PAGE_QUERIES + 4


def test_page_queries_do_not_grow_with_companies_or_days(
    client, user, acme, beta, news, django_assert_num_queries
):
    client.force_login(user)
    others = [CompanyFactory(slug=f"other-{n}") for n in range(3)]
    for company in others:
        NewsItemFactory.create_batch(3, company=company, published_at=_at(4))
    two = _fixed("acme", "beta")
    five = _fixed("acme", "beta", *(company.slug for company in others))
    year = _query("acme", "beta", date_from="2024-03-11", date_to="2025-03-10")
    client.get(f"{COMPARE_URL}?{two}")

    with django_assert_num_queries(PAGE_QUERIES):
        client.get(f"{COMPARE_URL}?{two}")
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(f"{COMPARE_URL}?{five}")
    assert _page_queries(client, year) == PAGE_QUERIES
    with django_assert_num_queries(THEMES_QUERIES):
        client.get(f"{THEMES_URL}?{five}", **HTMX)


def test_themes_without_javascript_come_on_the_whole_page(client, acme, beta, news):
    response = client.get(f"{THEMES_URL}?{_fixed('acme', 'beta')}")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert 'class="compare-summary"' in html
    assert "Shared themes" in html
    assert "reasoning" in html


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_themes_of_an_invalid_comparison_are_a_400(client, acme, headers):
    response = client.get(f"{THEMES_URL}?companies=acme&days=30", **headers)

    assert response.status_code == 400
    assert "Shared themes" not in response.content.decode()


# ---------------------------------------------------------------- access


def test_visitors_may_compare_but_are_asked_to_log_in_to_save(client, acme, beta, news):
    html = client.get(f"{COMPARE_URL}?{_fixed('acme', 'beta')}").content.decode()

    assert "compare-results" in html
    assert 'id="save-comparison"' not in html
    next_url = urlencode_filter(f"{COMPARE_URL}?{_fixed('acme', 'beta')}")
    assert f'href="/accounts/login/?next={next_url}"' in html
    # The nav link is for signed-in users.
    assert 'class="nav-link" href="/compare/"' not in html


def test_signed_in_users_get_the_nav_link_marked_current(auth_client, acme, beta):
    html = auth_client.get(COMPARE_URL).content.decode()

    assert '<a class="nav-link" href="/compare/" aria-current="page">Compare</a>' in html
    assert '<a class="nav-link" href="/companies/">Companies</a>' in html


# ---------------------------------------------------------------- exports


def _csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_export_has_a_row_per_company_and_category(client, acme, beta, news):
    response = client.get(f"{CSV_URL}?{_fixed('acme', 'beta')}")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="comparison-2025-03-01-2025-03-10.csv"'
    )
    rows = _csv_rows(response)
    assert rows[0] == [
        "company_slug",
        "company_name",
        "date_from",
        "date_to",
        "category",
        "count",
        "share",
        "total",
        "score",
        "volume",
        "diversity",
        "recency",
        "priority",
    ]
    assert len(rows) == 1 + 2 * 16
    score = _activity(acme).score
    acme_tail = [
        "4",
        str(score.score),
        f"{score.volume:.4f}",
        f"{score.diversity:.4f}",
        f"{score.recency:.4f}",
        f"{score.priority:.4f}",
    ]
    assert rows[1] == [
        "acme",
        "Acme AI",
        "2025-03-01",
        "2025-03-10",
        "product_update",
        "1",
        "0.2500",
        *acme_tail,
    ]
    by_key = {(row[0], row[4]): row for row in rows[1:]}
    assert by_key["acme", "model_release"][5:7] == ["2", "0.5000"]
    assert by_key["acme", "other"][5:7] == ["1", "0.2500"]
    assert by_key["acme", "pricing_change"][5:7] == ["0", "0.0000"]
    assert by_key["beta", "api_update"][5:8] == ["2", "1.0000", "2"]
    assert [row[4] for row in rows[1:17]][-1] == "other"


def test_csv_export_neutralises_formulas(client, news):
    CompanyFactory(name='=HYPERLINK("https://evil.example")', slug="evil")
    CompanyFactory(name="@SUM(A1)", slug="at")

    rows = _csv_rows(client.get(f"{CSV_URL}?{_fixed('evil', 'at')}"))

    names = {row[1] for row in rows[1:]}
    assert names == {'\'=HYPERLINK("https://evil.example")', "'@SUM(A1)"}


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("a=b", "a=b"),
        (3, "3"),
    ],
)
def test_csv_safe(value, cell):
    assert csv_safe(value) == cell


def test_json_export(client, acme, beta, news):
    response = client.get(f"{JSON_URL}?{_fixed('acme', 'beta')}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="comparison-2025-03-01-2025-03-10.json"'
    )
    data = json.loads(response.content)
    assert data["period"] == {
        "date_from": "2025-03-01",
        "date_to": "2025-03-10",
        "days": 10,
        "time_zone": "UTC",
    }
    acme_json, beta_json = data["companies"]
    activity = _activity(acme)
    assert acme_json["slug"] == "acme"
    assert acme_json["name"] == "Acme AI"
    assert acme_json["total"] == 4
    assert acme_json["score"] == {
        "score": activity.score.score,
        "volume": activity.score.volume,
        "diversity": activity.score.diversity,
        "recency": activity.score.recency,
        "priority": activity.score.priority,
    }
    assert list(acme_json["categories"]) == list(activity.categories)
    assert acme_json["categories"]["model_release"] == 2
    assert acme_json["shares"]["model_release"] == 0.5
    assert len(acme_json["daily"]) == 10
    assert acme_json["daily"][1] == {"date": "2025-03-02", "count": 2}
    assert acme_json["weekly"] == [
        {"week": "2025-02-24", "count": 2},
        {"week": "2025-03-03", "count": 1},
        {"week": "2025-03-10", "count": 1},
    ]
    assert acme_json["top_items"][0] == {
        "id": news["nova"].pk,
        "title": "Acme launches Nova",
        "url": news["nova"].url,
        "published_at": "2025-03-02T10:00:00+00:00",
        "category": "model_release",
        "priority": 0.9,
    }
    assert [item["category"] for item in acme_json["top_items"]] == [
        "model_release",
        "product_update",
        "model_release",
        "other",
    ]
    assert beta_json["total"] == 2
    assert beta_json["categories"]["api_update"] == 2


def test_json_times_are_in_the_users_zone(client, acme, beta, news):
    user = UserFactory(timezone="Asia/Tokyo")
    client.force_login(user)

    data = client.get(f"{JSON_URL}?{_fixed('acme', 'beta')}").json()

    assert data["period"]["time_zone"] == "Asia/Tokyo"
    # 10 Mar 23:30 UTC is 11 Mar in Tokyo: outside; 28 Feb 23:59 UTC is 1 Mar there: inside.
    assert data["companies"][0]["total"] == 3
    assert data["companies"][1]["total"] == 3
    assert data["companies"][0]["top_items"][0]["published_at"] == "2025-03-02T19:00:00+09:00"


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
@pytest.mark.parametrize(
    "query",
    [
        "",
        "companies=acme",
        "companies=acme&companies=beta&date_from=2025-03-10&date_to=2025-03-01",
        "companies=acme&companies=beta&companies=x&companies=y&companies=z&companies=w",
    ],
)
def test_exports_refuse_bad_parameters(client, acme, beta, url, query):
    response = client.get(f"{url}?{query}")

    assert response.status_code == 400
    assert b"cannot be exported" in response.content
    assert "Content-Disposition" not in response


def test_json_export_errors_name_the_fields(client, acme, beta):
    response = client.get(f"{JSON_URL}?companies=acme&companies=nope")

    assert response.status_code == 400
    assert response.json()["errors"] == {"companies": ["There is no active company “nope”."]}


def test_csv_export_error_is_plain_text(client, acme):
    response = client.get(f"{CSV_URL}?companies=acme")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "This comparison cannot be exported:\n"
        "Companies: Choose 2 to 5 companies to compare (you chose 1)."
    )


# ---------------------------------------------------------------- print


def test_print_page(client, acme, beta, news):
    response = client.get(f"{PRINT_URL}?{_fixed('acme', 'beta')}")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Acme AI · Beta Labs" in html
    assert "compare-results" in html
    assert '<details class="chart-data" open>' in html
    assert "data-print hidden>Print / Save as PDF</button>" in html
    assert '<script src="/static/js/compare-print.js" defer></script>' in html
    assert 'href="/static/css/compare.css"' in html
    # No forms of the page on paper: neither the comparison nor the save form.
    assert 'class="card compare-form"' not in html
    assert "Export CSV" not in html
    assert "style=" not in html


def test_print_page_with_bad_parameters(client, acme):
    response = client.get(f"{PRINT_URL}?companies=acme")

    assert response.status_code == 400
    assert "Choose 2 to 5 companies to compare (you chose 1)." in response.content.decode()


# ---------------------------------------------------------------- saving


def _save_data(name="Frontier labs", **params):
    return {"name": name, "companies": ["acme", "beta"], **params}


def test_signed_in_users_get_the_save_form_with_the_comparison(auth_client, acme, beta):
    html = auth_client.get(f"{COMPARE_URL}?{_fixed('acme', 'beta')}").content.decode()

    form = html[html.index('id="save-comparison"') :]
    form = form[: form.index("</form>")]
    assert f'action="{SAVED_URL}"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form)[1:] == [
        ("companies", "acme"),
        ("companies", "beta"),
        ("date_from", "2025-03-01"),
        ("date_to", "2025-03-10"),
    ]


def test_save_a_fixed_range(auth_client, user, acme, beta):
    response = auth_client.post(SAVED_URL, _save_data(date_from="2025-03-01", date_to="2025-03-10"))

    assert response.status_code == 302
    assert response["Location"] == SAVED_URL
    saved = SavedComparison.objects.get(user=user)
    assert saved.name == "Frontier labs"
    assert (saved.days, saved.date_from, saved.date_to) == (None, START, END)
    assert set(saved.companies.values_list("slug", flat=True)) == {"acme", "beta"}


def test_save_a_rolling_period_with_htmx(auth_client, user, acme, beta):
    response = auth_client.post(SAVED_URL, _save_data(days="90"), **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == SAVED_URL
    saved = SavedComparison.objects.get(user=user)
    assert (saved.days, saved.date_from, saved.date_to) == (90, None, None)


def test_save_without_a_period_saves_the_default_rolling_one(auth_client, user, acme, beta):
    auth_client.post(SAVED_URL, _save_data())

    assert SavedComparison.objects.get(user=user).days == 30


def test_duplicate_name_is_a_field_error(auth_client, user, acme, beta):
    saved_comparison_create(user=user, name="Frontier labs", companies=[acme, beta], days=7)

    page = auth_client.post(SAVED_URL, _save_data(days="7"))
    fragment = auth_client.post(SAVED_URL, _save_data(days="7"), **HTMX)

    assert page.status_code == 400
    assert "You already have a comparison with this name." in page.content.decode()
    assert "compare-results" in page.content.decode()
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith('<form id="save-comparison"')
    assert "You already have a comparison with this name." in html
    assert 'value="Frontier labs"' in html
    assert SavedComparison.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_save_data(name="", days="7"), "Give the comparison a name."),
        (_save_data(name="x" * 121, days="7"), "at most 120 characters"),
    ],
)
def test_name_errors(auth_client, user, acme, beta, data, message):
    response = auth_client.post(SAVED_URL, data, **HTMX)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SavedComparison.objects.filter(user=user).exists()


def test_tampered_comparison_is_not_saved(auth_client, user, acme, beta):
    response = auth_client.post(SAVED_URL, {"name": "Solo", "companies": ["acme"], "days": "7"})

    assert response.status_code == 400
    assert "(you chose 1)" in response.content.decode()
    assert not SavedComparison.objects.filter(user=user).exists()


def test_tampered_comparison_with_htmx_goes_back_to_the_page(auth_client, user, acme):
    data = {"name": "Solo", "companies": ["acme"], "days": "7"}

    response = auth_client.post(SAVED_URL, data, **HTMX)

    assert response["HX-Redirect"] == f"{COMPARE_URL}?companies=acme&days=7"
    assert not SavedComparison.objects.filter(user=user).exists()


def test_visitors_saving_are_sent_to_log_in_and_back(client, acme, beta):
    page = client.post(SAVED_URL, _save_data(days="7"))
    fragment = client.post(SAVED_URL, _save_data(days="7"), **HTMX)

    login = redirect_to_login(f"{COMPARE_URL}?{_query('acme', 'beta', days='7')}").url
    assert page.status_code == 302
    assert page["Location"] == login
    assert fragment["HX-Redirect"] == login
    assert not SavedComparison.objects.exists()


# ---------------------------------------------------------------- the list


def test_list_shows_the_users_comparisons_with_links(auth_client, user, acme, beta):
    gamma = CompanyFactory(name="Gamma", slug="gamma")
    rolling = saved_comparison_create(user=user, name="Weekly", companies=[acme, beta], days=7)
    fixed = saved_comparison_create(
        user=user, name="March", companies=[beta, gamma], date_from=START, date_to=END
    )
    saved_comparison_create(user=UserFactory(), name="Not mine", companies=[acme, gamma], days=7)

    response = auth_client.get(SAVED_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Not mine" not in html
    assert html.index("March") < html.index("Weekly")
    assert "Acme AI, Beta Labs" in html
    assert "Last 7 days" in html
    assert "1 Mar 2025</time> – <time" in html
    rolling_url = f"{COMPARE_URL}?{_query('acme', 'beta', days='7')}".replace("&", "&amp;")
    fixed_url = f"{COMPARE_URL}?{_fixed('beta', 'gamma')}".replace("&", "&amp;")
    assert f'href="{rolling_url}"' in html
    assert f'href="{fixed_url}"' in html
    assert f'action="{_delete_url(rolling.pk)}"' in html
    assert f'hx-post="{_delete_url(fixed.pk)}"' in html


def test_list_when_empty(auth_client):
    html = auth_client.get(SAVED_URL).content.decode()

    assert "You have no saved comparisons yet." in html


def test_list_needs_an_account(client):
    response = client.get(SAVED_URL)

    assert response.status_code == 302
    assert response["Location"] == redirect_to_login(SAVED_URL).url


# ---------------------------------------------------------------- deleting


@pytest.fixture
def saved(user, acme, beta):
    return saved_comparison_create(user=user, name="Weekly", companies=[acme, beta], days=7)


def test_delete(auth_client, saved):
    response = auth_client.post(_delete_url(saved.pk))

    assert response.status_code == 302
    assert response["Location"] == SAVED_URL
    assert not SavedComparison.objects.filter(pk=saved.pk).exists()


def test_delete_with_htmx_removes_the_row(auth_client, saved):
    response = auth_client.post(_delete_url(saved.pk), **HTMX)

    assert response.status_code == 200
    assert response.content == b""
    assert not SavedComparison.objects.filter(pk=saved.pk).exists()


def test_another_users_comparison_is_not_found(client, saved):
    client.force_login(UserFactory())

    response = client.post(_delete_url(saved.pk))
    listing = client.get(SAVED_URL).content.decode()

    assert response.status_code == 404
    assert SavedComparison.objects.filter(pk=saved.pk).exists()
    assert "Weekly" not in listing


def test_delete_needs_post_and_an_account(client, saved):
    assert client.get(_delete_url(saved.pk)).status_code == 405
    response = client.post(_delete_url(saved.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert SavedComparison.objects.filter(pk=saved.pk).exists()


def test_delete_is_csrf_protected(saved, user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(_delete_url(saved.pk)).status_code == 403
    assert SavedComparison.objects.filter(pk=saved.pk).exists()


@pytest.mark.parametrize("chosen", [[], ["beta"], ["acme", "beta"]])
def test_company_select_renders_what_select_multiple_renders(acme, beta, chosen):
    from django import forms
    from django.test.html import parse_html

    from competitors.compare_forms import CompareForm

    form = CompareForm({"companies": chosen})
    field = form["companies"]
    plain = forms.SelectMultiple(attrs={"size": 8})
    plain.choices = field.field.choices
    attrs = field.build_widget_attrs({**field.field.widget.attrs, "id": field.auto_id})

    assert parse_html(str(field)) == parse_html(plain.render("companies", chosen, attrs))
    assert str(field).count("<option") == len(field.field.choices) >= 2
