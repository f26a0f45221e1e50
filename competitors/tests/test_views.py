"""Companies pages: list and search, following, the company page and the add-competitor
wizard. Every website the wizard scans is a loopback server."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import Preferences
from accounts.services import company_follow_set
from accounts.tests.factories import UserFactory
from competitors.forms import PREVIEW_SALT
from competitors.models import Company, Source
from competitors.tests.factories import CompanyFactory, SourceFactory
from news.tests.factories import NewsItemFactory
from news.tests.feed_samples import listing_page, rss
from news.tests.http_servers import Reply

pytestmark = pytest.mark.django_db

LIST_URL = reverse("competitors:list")
ADD_URL = reverse("competitors:add")
CONFIRM_URL = reverse("competitors:add_confirm")
HTMX = {"HTTP_HX_REQUEST": "true"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _follow_url(company):
    return reverse("competitors:follow", args=[company.slug])


def _detail_url(company):
    return reverse("competitors:detail", args=[company.slug])


def _followed(user):
    preferences = Preferences.objects.filter(user=user).first()
    return set(preferences.tracked_companies.values_list("pk", flat=True)) if preferences else set()


# ---------------------------------------------------------------- list


def test_list_shows_active_companies_with_their_details(client):
    acme = CompanyFactory(
        name="Acme AI",
        description="Builds models.",
        logo_url="https://acme.example.com/logo.png",
        twitter_handle="acme_ai",
        github_org="acme-ai",
        linkedin_url="https://www.linkedin.com/company/acme-ai",
        instagram_handle="acme.ai",
        segment=Company.Segment.LLM_PROVIDER,
    )
    CompanyFactory(name="Beta", logo_url="", twitter_handle="", website="javascript:alert(1)")
    CompanyFactory(name="Retired", active=False)
    now = timezone.now()
    for days_ago in (0, 0, 3, 40):
        NewsItemFactory(company=acme, published_at=now - timedelta(days=days_ago))

    response = client.get(LIST_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Retired" not in html
    assert html.index("Acme AI") < html.index("Beta")
    assert f'href="{_detail_url(acme)}"' in html
    assert 'src="https://acme.example.com/logo.png"' in html
    assert "LLM provider" in html
    assert f'href="{acme.website}" rel="noopener noreferrer"' in html
    assert 'href="https://x.com/acme_ai"' in html
    assert 'href="https://github.com/acme-ai"' in html
    assert 'href="https://www.instagram.com/acme.ai/"' in html
    assert "javascript:" not in html
    assert 'aria-label="3 items in the last 30 days"' in html
    assert 'aria-label="0 items in the last 30 days"' in html
    # Visitors are offered a log-in link rather than a toggle.
    assert "Log in to follow" in html
    assert "aria-pressed" not in html
    assert response["Vary"]
    assert "HX-Request" in response["Vary"]


def test_list_search_filters_and_htmx_gets_only_the_results(client):
    CompanyFactory(name="OpenAI", aliases=["ChatGPT"])
    CompanyFactory(name="Pinecone", segment=Company.Segment.INFRASTRUCTURE)

    page = client.get(LIST_URL, {"q": "chatgpt"}).content.decode()
    assert "OpenAI" in page
    assert "Pinecone" not in page
    assert 'value="chatgpt"' in page
    assert "1 company matches" in page

    fragment = client.get(LIST_URL, {"q": "infra"}, **HTMX)
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="company-results"')
    assert "Pinecone" in html
    assert "OpenAI" not in html
    assert "HX-Request" in fragment["Vary"]


def test_list_for_a_user_has_follow_toggles(auth_client, user):
    followed = CompanyFactory(name="Acme")
    CompanyFactory(name="Beta")
    company_follow_set(user=user, company_id=followed.pk, following=True)
    company_follow_set(
        user=UserFactory(), company_id=Company.objects.get(name="Beta").pk, following=True
    )

    html = auth_client.get(LIST_URL).content.decode()

    assert re.search(r'aria-pressed="true"\s+aria-label="Unfollow Acme"', html)
    # Another user's follow never shows as mine.
    assert re.search(r'aria-pressed="false"\s+aria-label="Follow Beta"', html)
    assert "Log in to follow" not in html
    assert f'href="{ADD_URL}"' in html


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "99999"},
        {"page": "-1"},
        {"q": "x" * 500},
        {"q": "nul\x00byte"},
        {"q": "%' OR 1=1 --"},
        {"q": "[]{}\\"},
        {"unknown": "1", "q": ""},
    ],
)
def test_list_junk_params_never_fail(client, params):
    CompanyFactory(name="Acme")
    response = client.get(LIST_URL, params)
    assert response.status_code == 200


def test_list_paginates(client):
    for n in range(55):
        CompanyFactory(name=f"Company {n:02d}")
    first = client.get(LIST_URL).content.decode()
    assert "Company 49" in first
    assert "Company 50" not in first
    assert "Page 1 of 2" in first
    second = client.get(LIST_URL, {"page": 2}).content.decode()
    assert "Company 54" in second
    assert "Company 00" not in second


def _companies_with_activity(count):
    now = timezone.now()
    companies = [CompanyFactory() for _ in range(count)]
    for index, company in enumerate(companies[:60]):
        NewsItemFactory(company=company, source=None, published_at=now - timedelta(days=index % 30))
    return companies


@pytest.mark.parametrize("count", [10, 200])
def test_list_query_count_is_constant(auth_client, user, django_assert_num_queries, count):
    companies = _companies_with_activity(count)
    for company in companies[::3]:
        company_follow_set(user=user, company_id=company.pk, following=True)
    # session, user, count, page, activity, followed, unread alerts (the header's bell)
    with django_assert_num_queries(7):
        response = auth_client.get(LIST_URL)
    assert response.status_code == 200


@pytest.mark.parametrize("count", [10, 200])
def test_list_query_count_is_constant_for_visitors(client, django_assert_num_queries, count):
    _companies_with_activity(count)
    # count, page, activity
    with django_assert_num_queries(3):
        assert client.get(LIST_URL).status_code == 200


# ---------------------------------------------------------------- follow


def test_follow_and_unfollow_with_htmx_swap_the_button(auth_client, user):
    company = CompanyFactory(name="Acme")
    bystander = UserFactory()
    company_follow_set(user=bystander, company_id=company.pk, following=False)

    response = auth_client.post(_follow_url(company), {"value": "1", "next": LIST_URL}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form class="follow-form"')
    assert 'aria-pressed="true"' in html
    assert 'aria-label="Unfollow Acme"' in html
    assert 'name="value" value="0"' in html
    assert f'name="next" value="{LIST_URL}"' in html
    assert "HX-Request" in response["Vary"]
    assert _followed(user) == {company.pk}
    assert _followed(bystander) == set()

    # Setting, not toggling: the same request twice leaves it followed.
    auth_client.post(_follow_url(company), {"value": "1"}, **HTMX)
    assert _followed(user) == {company.pk}
    assert Preferences.tracked_companies.through.objects.count() == 1

    response = auth_client.post(_follow_url(company), {"value": "0"}, **HTMX)
    assert 'aria-label="Follow Acme"' in response.content.decode()
    assert 'aria-pressed="false"' in response.content.decode()
    assert _followed(user) == set()
    auth_client.post(_follow_url(company), {"value": "0"}, **HTMX)
    assert _followed(user) == set()


def test_follow_without_javascript_redirects_back(auth_client, user):
    company = CompanyFactory(name="Acme")
    other_user = UserFactory()
    company_follow_set(user=other_user, company_id=company.pk, following=True)

    response = auth_client.post(_follow_url(company), {"value": "1", "next": f"{LIST_URL}?q=ac"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST_URL}?q=ac"
    assert _followed(user) == {company.pk}
    assert "You now follow Acme." in [str(m) for m in get_messages(response.wsgi_request)]

    response = auth_client.post(
        _follow_url(company), {"value": "0", "next": "https://evil.example/"}
    )
    assert response["Location"] == _detail_url(company)
    assert _followed(user) == set()
    # Unfollowing changed only my preferences.
    assert _followed(other_user) == {company.pk}


def test_visitors_cannot_follow(client):
    company = CompanyFactory()

    response = client.post(_follow_url(company), {"value": "1", "next": LIST_URL})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "next=/companies/" in response["Location"]

    response = client.post(_follow_url(company), {"value": "1"}, **HTMX)
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))
    assert not Preferences.objects.exists()


@pytest.mark.parametrize("data", [{}, {"value": "2"}, {"value": "yes"}, {"value": ""}])
def test_follow_rejects_bad_values(auth_client, user, data):
    company = CompanyFactory()
    response = auth_client.post(_follow_url(company), data)
    assert response.status_code == 400
    assert _followed(user) == set()


def test_follow_needs_post_and_an_active_company(auth_client):
    company = CompanyFactory()
    assert auth_client.get(_follow_url(company)).status_code == 405
    retired = CompanyFactory(active=False)
    assert auth_client.post(_follow_url(retired), {"value": "1"}).status_code == 404
    assert auth_client.post("/companies/no-such-company/follow/", {"value": "1"}).status_code == 404


# ---------------------------------------------------------------- detail


def test_detail_page(auth_client, user):
    company = CompanyFactory(name="Acme", description="Acme builds models.", github_org="acme-ai")
    healthy = SourceFactory(
        company=company, name="Acme blog", last_success_at=timezone.now(), consecutive_failures=0
    )
    SourceFactory(
        company=company,
        name="Acme press",
        status=Source.Status.ERROR,
        consecutive_failures=5,
        last_error="HTTP 503 " + "x" * 300,
    )
    now = timezone.now()
    release = NewsItemFactory(
        company=company,
        source=healthy,
        title="Acme ships v2",
        category="model_release",
        published_at=now - timedelta(days=1),
    )
    NewsItemFactory(
        company=company, source=healthy, title="Undecided", category="", published_at=now
    )
    company_follow_set(user=user, company_id=company.pk, following=True)

    response = auth_client.get(_detail_url(company))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in html
    assert "Acme builds models." in html
    assert 'aria-label="Unfollow Acme"' in html
    assert "Acme blog" in html
    assert "Acme press" in html
    assert "badge-ok" in html
    assert "badge-error" in html
    assert "x" * 300 not in html  # the error is truncated
    assert f'href="{reverse("news:detail", args=[release.pk])}"' in html
    assert "🤖" in html
    assert "Model release" in html
    assert f'<time datetime="{timezone.localtime(release.published_at).isoformat()}' in html
    assert html.count("<svg") >= 3  # the weekly chart and two category bars
    assert "chart-cat-model_release" in html
    assert "chart-cat-other" in html
    assert "50%" in html  # one of two items is a model release
    assert "Show the numbers" in html


def test_detail_of_a_company_without_news_shows_empty_states(client):
    company = CompanyFactory(name="Quiet")
    html = client.get(_detail_url(company)).content.decode()
    assert "No news in the last 12 weeks." in html
    assert "No news yet." in html
    assert "No sources yet." in html
    assert "Log in to follow" in html


def test_detail_404s(client):
    assert client.get("/companies/no-such-company/").status_code == 404
    retired = CompanyFactory(active=False)
    assert client.get(_detail_url(retired)).status_code == 404


def test_detail_ignores_junk_params(client):
    company = CompanyFactory()
    response = client.get(_detail_url(company), {"page": "x", "q": "\x00", "week": "-1"})
    assert response.status_code == 200


@pytest.mark.parametrize("count", [10, 200])
def test_detail_query_count_is_constant(auth_client, django_assert_num_queries, count):
    company = CompanyFactory()
    sources = [SourceFactory(company=company) for _ in range(3)]
    now = timezone.now()
    categories = ["model_release", "pricing_change", "", "api_update", "funding_news"]
    for n in range(count):
        NewsItemFactory(
            company=company,
            source=sources[n % 3],
            category=categories[n % len(categories)],
            published_at=now - timedelta(hours=9 * n),
        )
        # Peers for the similar companies, as many as the company has items.
        peer = CompanyFactory()
        NewsItemFactory(company=peer, source=SourceFactory(company=peer), published_at=now)
    # session, user, company, followed, sources, timeline, weekly, totals, activity
    # (aggregate, top items), similar (companies, item counts, source counts), unread alerts
    with django_assert_num_queries(14):
        response = auth_client.get(_detail_url(company))
    assert response.status_code == 200
    assert response.content.decode().count('class="timeline-item"') == min(count, 30)


# ---------------------------------------------------------------- add a competitor


ACME_HEAD = """
<title>Acme — AI for builders</title>
<meta property="og:site_name" content="Acme">
<meta property="og:description" content="Acme trains large language models for developers.">
<link rel="alternate" type="application/rss+xml" title="Acme blog" href="/blog/feed.xml">
"""
ACME_BODY = """
<nav><a href="/blog">Blog</a><a href="/news">News</a></nav>
<footer><a href="https://twitter.com/acme_ai">X</a><a href="https://github.com/acme-ai">GitHub</a></footer>
"""


@pytest.fixture
def acme(http_server):
    http_server.add(
        "/",
        Reply(
            headers=HTML,
            body=f"<html><head>{ACME_HEAD}</head><body>{ACME_BODY}</body></html>".encode(),
        ),
    )
    http_server.add(
        "/blog/feed.xml",
        Reply(headers={"Content-Type": "application/rss+xml"}, body=rss(http_server.base_url, 7)),
    )
    for section in ("blog", "news"):
        paths = [f"/{section}/first-{section}-story", f"/{section}/second-{section}-story"]
        http_server.add(f"/{section}", Reply(headers=HTML, body=listing_page(paths)))
    return http_server


def _scan(client, url, **extra):
    return client.post(ADD_URL, {"url": url}, **extra)


def test_wizard_needs_login(client):
    response = client.get(ADD_URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={ADD_URL}"
    assert client.post(ADD_URL, {"url": "https://acme.example"}).status_code == 302
    assert client.post(CONFIRM_URL, {"preview": "x"}).status_code == 302
    assert not Company.objects.exists()


def test_wizard_step_one(auth_client):
    html = auth_client.get(ADD_URL).content.decode()
    assert '<label class="field-label" for="id_url">Website address</label>' in html
    assert 'hx-post="/companies/add/"' in html
    assert 'hx-indicator="#scan-progress"' in html
    assert "Scanning the website…" in html
    assert 'aria-current="step"' in html


@pytest.mark.parametrize(
    "url", ["", "not a url", "ftp://example.com/", "http://exa mple.com", "x" * 600]
)
def test_wizard_bad_addresses_are_form_errors(auth_client, url):
    response = _scan(auth_client, url)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Company.objects.exists()


def test_wizard_refused_and_unreachable_sites_are_form_errors(
    auth_client, http_server, closed_port
):
    http_server.add("/", Reply(headers=HTML, body=b"<html><title>Local</title></html>"))
    # Not allowed: the safe fetcher refuses private addresses.
    response = _scan(auth_client, http_server.base_url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "We could not reach this website" in html
    # How the server resolved the address stays on the server.
    assert "Refused" not in html
    assert "loopback" not in html
    assert not http_server.requests


def test_wizard_unreachable_site(auth_client, allow_fetching_from, http_server):
    allow_fetching_from(http_server)
    http_server.add("/", Reply(status=503))
    response = _scan(auth_client, http_server.base_url)
    assert response.status_code == 200
    assert "HTTP 503" in response.content.decode()


def test_wizard_preview_then_confirm_creates_the_company(auth_client, acme, allow_fetching_from):
    allow_fetching_from(acme)

    preview = _scan(auth_client, acme.base_url)

    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Is this the right company?" in html
    assert "Acme trains large language models for developers." in html
    assert acme.url("/blog/feed.xml") in html
    assert "Release 0" in html
    assert "category-badge" in html
    assert 'href="https://github.com/acme-ai"' in html
    assert not Company.objects.exists()
    signed = preview.context["confirm_form"]["preview"].value()
    assert f'value="{signed}"' in html

    confirmed = auth_client.post(CONFIRM_URL, {"preview": signed})

    company = Company.objects.get()
    assert confirmed.status_code == 302
    assert confirmed["Location"] == _detail_url(company)
    assert company.name == "Acme"
    assert company.twitter_handle == "acme_ai"
    urls = set(company.sources.values_list("url", flat=True))
    assert acme.url("/blog/feed.xml") in urls
    messages = [str(m) for m in get_messages(confirmed.wsgi_request)]
    assert messages == [f"Acme was added with {len(urls)} sources."]

    # Confirming again merges into the same company: nothing is duplicated.
    again = auth_client.post(CONFIRM_URL, {"preview": signed})
    assert again["Location"] == _detail_url(company)
    assert Company.objects.count() == 1
    assert Source.objects.count() == len(urls)


def test_wizard_preview_of_a_known_company_offers_to_merge(auth_client, acme, allow_fetching_from):
    allow_fetching_from(acme)
    known = CompanyFactory(name="Acme Incorporated", website=acme.base_url)

    preview = _scan(auth_client, acme.base_url)

    html = preview.content.decode()
    assert "already list" in html
    assert f'href="{_detail_url(known)}"' in html
    assert "Add the new sources" in html
    confirmed = auth_client.post(
        CONFIRM_URL, {"preview": preview.context["confirm_form"]["preview"].value()}
    )
    assert confirmed["Location"] == _detail_url(known)
    assert Company.objects.count() == 1
    assert known.sources.exists()
    assert "already listed" in str(next(iter(get_messages(confirmed.wsgi_request))))


def test_wizard_with_htmx_swaps_the_wizard_only(auth_client, acme, allow_fetching_from):
    allow_fetching_from(acme)
    response = _scan(auth_client, acme.base_url, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="company-wizard"')
    assert "Release 0" in html
    assert "HX-Request" in response["Vary"]

    error = _scan(auth_client, "nope", **HTMX)
    assert error.status_code == 200
    assert error.content.decode().lstrip().startswith('<div id="company-wizard"')


def test_wizard_refuses_forged_or_altered_previews(auth_client):
    from django.core import signing

    forged = signing.dumps({"name": "Forged", "website": "https://forged.example"}, salt="other")
    for value in (forged, "", "garbage", signing.dumps(["not", "a", "dict"], salt=PREVIEW_SALT)):
        response = auth_client.post(CONFIRM_URL, {"preview": value})
        assert response.status_code == 302
        assert response["Location"] == ADD_URL
    assert not Company.objects.exists()
    genuine = signing.dumps({"name": "Real", "website": "https://real.example"}, salt=PREVIEW_SALT)
    assert auth_client.get(CONFIRM_URL, {"preview": genuine}).status_code == 405
    assert not Company.objects.exists()


def test_wizard_scans_are_rate_limited(auth_client, user, client):
    for _ in range(10):
        assert _scan(auth_client, "not a url").status_code == 200
    limited = _scan(auth_client, "not a url")
    assert limited.status_code == 429
    assert "try again in an hour" in limited.content.decode()
    assert _scan(auth_client, "not a url", **HTMX).status_code == 200
    # The limit is per user.
    client.force_login(UserFactory())
    assert _scan(client, "not a url").status_code == 200


def test_wizard_never_adds_a_feed_to_a_company_of_another_website(auth_client):
    from competitors.discovery import DiscoveredSource, DiscoveryPreview
    from competitors.forms import sign_preview

    acme = CompanyFactory(name="Acme", website="https://acme.example")
    preview = DiscoveryPreview(
        name="Acme",
        website="https://evil.example",
        logo_url="https://evil.example/logo.png",
        feeds=[
            DiscoveredSource(url="https://evil.example/feed.xml", kind="feed", source_type="blog")
        ],
    )

    response = auth_client.post(CONFIRM_URL, {"preview": sign_preview(preview)}, follow=True)

    assert "already listed with another website" in response.content.decode()
    acme.refresh_from_db()
    assert acme.logo_url == ""
    assert not Source.objects.filter(url="https://evil.example/feed.xml").exists()


def test_wizard_needs_a_confirmed_email(client):
    from accounts.tests.factories import UserFactory

    client.force_login(UserFactory(is_verified=False))
    response = client.get(ADD_URL, follow=True)
    assert "confirm your email address before adding a company" in response.content.decode()
    assert client.post(CONFIRM_URL, {"preview": "x"}).status_code == 302
