"""Adding a competitor by URL: discovery against local sites, creation, the
`discover` command and the admin flow. Every site is a loopback server."""

import json
from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core import signing
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import path, reverse

from accounts.tests.factories import UserFactory
from competitors import discovery
from competitors.admin_discovery import PREVIEW_SALT, DiscoveryAdminMixin
from competitors.discovery import (
    DiscoveredSource,
    DiscoveryError,
    DiscoveryPreview,
    competitor_create_from_preview,
    competitor_discover,
)
from competitors.discovery_page import clean_title
from competitors.models import Company, Source
from competitors.tests.factories import CompanyFactory, SourceFactory
from config.urls import urlpatterns as project_urlpatterns
from news.tests.feed_samples import article_page, listing_page, rss
from news.tests.http_servers import Reply, redirect

HTML = {"Content-Type": "text/html; charset=utf-8"}
FEED = {"Content-Type": "application/rss+xml"}


def _homepage(head: str = "", body: str = "") -> bytes:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>".encode()


ACME_HEAD = """
<title>Acme — AI for builders</title>
<meta property="og:site_name" content="Acme">
<meta property="og:description" content="Acme trains large language models for developers.">
<meta property="og:image" content="/static/og.png">
<link rel="icon" href="/favicon.ico">
<link rel="alternate" type="application/rss+xml" title="Acme blog" href="/blog/feed.xml">
"""
ACME_BODY = """
<nav><a href="/">Home</a><a href="/blog">Blog</a><a href="/news">News</a>
<a href="/press">Press</a><a href="/about">About</a></nav>
<main><h1>Acme</h1><a href="/blog/a-long-article-slug">Read our latest article</a></main>
<footer>
<a href="https://twitter.com/intent/tweet?text=hi">Share</a>
<a href="https://twitter.com/acme_ai">X</a>
<a href="https://github.com/acme-ai">GitHub</a>
<a href="https://github.com/acme-ai/acme-sdk">SDK</a>
<a href="https://www.linkedin.com/company/acme-ai/">LinkedIn</a>
<a href="https://www.instagram.com/acme.ai/">Instagram</a>
</footer>
"""


def _acme_site(server):
    """Homepage with og tags, favicon, social links and an advertised feed; /blog,
    /news and /press listing pages."""
    server.add("/", Reply(headers=HTML, body=_homepage(ACME_HEAD, ACME_BODY)))
    server.add("/blog/feed.xml", Reply(headers=FEED, body=rss(server.base_url, 7)))
    for section in ("blog", "news", "press"):
        paths = [f"/{section}/first-{section}-story", f"/{section}/second-{section}-story"]
        server.add(f"/{section}", Reply(headers=HTML, body=listing_page(paths)))
    return server


@pytest.fixture
def acme(http_server):
    return _acme_site(http_server)


@pytest.fixture
def fetcher(fetcher_factory, http_server):
    return fetcher_factory(allow_private_hosts=[http_server.allow_entry])


# ---------------------------------------------------------------- discovery


@pytest.mark.django_db
def test_homepage_facts_feeds_pages_and_sample(acme, fetcher):
    preview = competitor_discover(url=acme.url("/"), fetcher=fetcher)

    base = acme.base_url
    assert (preview.name, preview.website) == ("Acme", base)
    assert preview.description == "Acme trains large language models for developers."
    assert preview.logo_url == f"{base}/static/og.png"
    assert preview.twitter_handle == "acme_ai"
    assert preview.github_org == "acme-ai"
    assert preview.linkedin_url == "https://www.linkedin.com/company/acme-ai"
    assert preview.instagram_handle == "acme.ai"
    assert preview.segment == Company.Segment.LLM_PROVIDER
    assert preview.existing_company_id is None
    assert preview.feeds == [
        DiscoveredSource(f"{base}/blog/feed.xml", Source.Kind.FEED, "blog", "Lab blog")
    ]
    assert [(page.url, page.kind, page.source_type) for page in preview.pages] == [
        (f"{base}/blog", "html", "blog"),
        (f"{base}/news", "html", "blog"),
        (f"{base}/press", "html", "press_release"),
    ]
    assert [source.url for source in preview.github_releases] == [
        "https://github.com/acme-ai/acme-sdk/releases.atom"
    ]
    assert [item.title for item in preview.sample] == [f"Release {n}" for n in range(5)]
    assert preview.sample[0].url == f"{base}/posts/0"
    assert preview.sample[0].published_at.isoformat() == "2026-11-20T09:00:00+00:00"
    assert {item.category for item in preview.sample} == {None}
    # A feed and three pages are enough: no common path was guessed.
    assert not acme.requests_for("/feed")
    assert not acme.requests_for("/newsroom")


@pytest.mark.django_db
def test_categorize_is_called_for_each_sample_item(acme, fetcher):
    calls = []

    def categorize(title, summary, source_type):
        calls.append((title, source_type, "explains what the lab shipped" in summary))
        return "product_launch"

    preview = competitor_discover(url=acme.base_url, fetcher=fetcher, categorize=categorize)

    assert calls == [(f"Release {n}", "blog", True) for n in range(5)]
    assert [item.category for item in preview.sample] == ["product_launch"] * 5
    assert preview.to_dict()["sample"][0]["category"] == "product_launch"


@pytest.mark.django_db
def test_feed_found_at_a_common_path(http_server, fetcher):
    http_server.add("/", Reply(headers=HTML, body=_homepage("<title>Beta Labs</title>")))
    http_server.add("/rss.xml", Reply(headers=FEED, body=rss(http_server.base_url, 3)))

    preview = competitor_discover(url=http_server.base_url, fetcher=fetcher)

    assert preview.name == "Beta Labs"
    assert [feed.url for feed in preview.feeds] == [http_server.url("/rss.xml")]
    assert [item.title for item in preview.sample] == ["Release 0", "Release 1", "Release 2"]
    # One working guessed feed is enough; its aliases are not tried.
    assert not http_server.requests_for("/atom.xml")


@pytest.mark.django_db
def test_a_site_with_only_a_listing_page_samples_its_articles(http_server, fetcher):
    http_server.add("/", Reply(headers=HTML, body=_homepage("<title>Home | Gamma</title>")))
    links = ["/news/first-launch-post", "/news/second-launch-post"]
    http_server.add("/news", Reply(headers=HTML, body=listing_page(links)))
    http_server.add(links[0], Reply(headers=HTML, body=article_page("Gamma ships v1")))
    http_server.add(links[1], Reply(status=500))

    preview = competitor_discover(url=http_server.base_url, fetcher=fetcher)

    assert preview.name == "Gamma"
    assert preview.feeds == []
    assert [page.url for page in preview.pages] == [http_server.url("/news")]
    first, second = preview.sample
    assert (first.title, first.url) == ("Gamma ships v1", http_server.url(links[0]))
    assert first.published_at.isoformat() == "2026-11-18T10:00:00+00:00"
    # An article that fails keeps its link text and stays undated.
    assert (second.title, second.published_at) == (f"Story at {links[1]}", None)


@pytest.mark.django_db
def test_probing_is_bounded(http_server, fetcher):
    http_server.add("/", Reply(headers=HTML, body=_homepage("<title>Quiet</title>")))

    preview = competitor_discover(url=http_server.base_url, fetcher=fetcher)

    assert (preview.feeds, preview.pages, preview.sample) == ([], [], [])
    assert preview.name == "Quiet"
    assert len(http_server.requests) == 1 + discovery.MAX_PROBES


@pytest.mark.django_db
def test_a_listing_page_covered_by_its_own_feed_is_not_listed(http_server, fetcher):
    feed_link = b'<link rel="alternate" type="application/atom+xml" href="/blog/rss.xml">'
    page = listing_page(["/blog/some-long-post"]).replace(b"</head>", feed_link + b"</head>")
    http_server.add("/", Reply(headers=HTML, body=_homepage(body='<a href="/blog">Blog</a>')))
    http_server.add("/blog", Reply(headers=HTML, body=page))
    http_server.add("/blog/rss.xml", Reply(headers=FEED, body=rss(http_server.base_url, 2)))

    preview = competitor_discover(url=http_server.base_url, fetcher=fetcher)

    assert [feed.url for feed in preview.feeds] == [http_server.url("/blog/rss.xml")]
    assert preview.pages == []


@pytest.mark.django_db
def test_pages_that_echo_the_homepage_are_not_news_pages(http_server, fetcher):
    home = Reply(headers=HTML, body=_homepage(body='<a href="/blog/some-long-post">Post</a>'))
    http_server.add("/", home)
    for page in discovery.COMMON_PAGE_PATHS:
        http_server.add(page, home)

    assert competitor_discover(url=http_server.base_url, fetcher=fetcher).pages == []


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Acme — AI for X", "Acme"),
        ("Home | Acme", "Acme"),
        ("Build faster with AI - Acme Labs", "Acme Labs"),
        ("Acme: the AI platform", "Acme"),
    ],
)
def test_titles_lose_their_taglines(title, expected):
    assert clean_title(title, host="acmelabs.com" if "Labs" in title else "acme.com") == expected


@pytest.mark.django_db
def test_name_from_json_ld_and_host(http_server, fetcher):
    ld = '<script type="application/ld+json">{"@type": "Organization", "name": "Delta AI"}</script>'
    http_server.add("/", Reply(headers=HTML, body=_homepage(ld)))
    assert competitor_discover(url=http_server.base_url, fetcher=fetcher).name == "Delta AI"

    http_server.add("/", Reply(headers=HTML, body=_homepage()))
    preview = competitor_discover(url=http_server.base_url, fetcher=fetcher)
    assert preview.name == "127.0.0.1"


@pytest.mark.django_db
def test_existing_company_is_found_by_website(acme, fetcher):
    company = CompanyFactory(name="Acme Incorporated", website=acme.base_url)
    preview = competitor_discover(url=acme.url("/about"), fetcher=fetcher)
    assert preview.existing_company_id == company.pk


def test_preview_round_trips_through_json(acme, fetcher, db):
    preview = competitor_discover(url=acme.base_url, fetcher=fetcher)
    data = json.loads(json.dumps(preview.to_dict()))
    assert DiscoveryPreview.from_dict(data) == preview


# ---------------------------------------------------------------- failures and SSRF


@pytest.mark.django_db
def test_homepage_failures_raise_discovery_error(http_server, fetcher, fetcher_factory):
    http_server.add("/", Reply(status=500))
    with pytest.raises(DiscoveryError, match="HTTP 500"):
        competitor_discover(url=http_server.base_url, fetcher=fetcher)

    http_server.add("/", Reply(headers={"Content-Type": "image/png"}, body=b"\x89PNG"))
    with pytest.raises(DiscoveryError, match="did not return a web page"):
        competitor_discover(url=http_server.base_url, fetcher=fetcher)

    with pytest.raises(DiscoveryError, match="Refused"):
        competitor_discover(url=http_server.base_url, fetcher=fetcher_factory())

    with pytest.raises(DiscoveryError, match="not a website address"):
        competitor_discover(url="ftp://example.com/", fetcher=fetcher)


@pytest.mark.django_db
def test_candidates_off_the_allowed_server_are_never_contacted(
    http_server, fetcher, tcp_listener_factory, connect_attempts
):
    listener = tcp_listener_factory()
    elsewhere = f"http://127.0.0.1:{listener.port}"
    head = (
        '<link rel="alternate" type="application/rss+xml" '
        'href="http://169.254.169.254/latest/meta-data/feed.xml">'
        f'<link rel="alternate" type="application/rss+xml" href="{elsewhere}/feed.xml">'
    )
    body = f'<a href="{elsewhere}/blog">Blog</a>'
    http_server.add("/", Reply(headers=HTML, body=_homepage(head, body)))
    http_server.add("/blog", redirect("http://169.254.169.254/latest/meta-data/"))
    http_server.add("/feed", redirect(f"{elsewhere}/feed.xml"))

    preview = competitor_discover(url=http_server.base_url, fetcher=fetcher)

    assert (preview.feeds, preview.pages) == ([], [])
    assert set(connect_attempts) == {("127.0.0.1", http_server.port)}
    assert listener.connections_received() == 0


# ---------------------------------------------------------------- creation


@pytest.mark.django_db
def test_create_from_preview_creates_company_and_sources_once(acme, fetcher):
    preview = competitor_discover(url=acme.base_url, fetcher=fetcher)

    company, created = competitor_create_from_preview(preview=preview)

    assert (company.name, company.website, company.slug) == ("Acme", acme.base_url, "acme")
    assert (company.twitter_handle, company.github_org) == ("acme_ai", "acme-ai")
    assert company.segment == Company.Segment.LLM_PROVIDER
    assert sorted(source.url for source in created) == sorted(
        source.url for source in preview.sources
    )
    assert Source.objects.filter(company=company).count() == 5
    feed = Source.objects.get(url=acme.url("/blog/feed.xml"))
    assert (feed.kind, feed.source_type, feed.name) == ("feed", "blog", "Lab blog")

    again, created_again = competitor_create_from_preview(preview=preview)

    assert (again.pk, created_again) == (company.pk, [])
    assert (Company.objects.count(), Source.objects.count()) == (1, 5)


@pytest.mark.django_db
def test_a_known_website_merges_into_its_company(acme, fetcher):
    company = CompanyFactory(
        name="Acme Incorporated",
        website=f"{acme.base_url}/",
        description="Written by an operator.",
        segment=Company.Segment.PLATFORM,
        twitter_handle="",
    )
    SourceFactory(company=company, url=acme.url("/blog/feed.xml"), name="Operator's name")
    preview = competitor_discover(url=acme.base_url, fetcher=fetcher)

    merged, created = competitor_create_from_preview(preview=preview)

    assert merged.pk == company.pk
    assert Company.objects.count() == 1
    assert (merged.name, merged.description) == ("Acme Incorporated", "Written by an operator.")
    assert merged.segment == Company.Segment.PLATFORM
    assert merged.twitter_handle == "acme_ai"
    assert acme.url("/blog/feed.xml") not in {source.url for source in created}
    assert Source.objects.get(url=acme.url("/blog/feed.xml")).name == "Operator's name"
    assert Source.objects.filter(company=company).count() == 5


@pytest.mark.django_db
def test_a_same_named_company_is_merged_not_duplicated():
    CompanyFactory(name="Acme", website="")
    preview = DiscoveryPreview(name="acme", website="https://acme.example.org")
    company, _ = competitor_create_from_preview(preview=preview)
    assert (Company.objects.count(), company.website) == (1, "https://acme.example.org")


# ---------------------------------------------------------------- command


def _discover(*args):
    out = StringIO()
    call_command("discover", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_command_prints_json_and_saves(acme, allow_fetching_from):
    allow_fetching_from(acme)

    data = json.loads(_discover(acme.base_url, "--json"))
    assert data["name"] == "Acme"
    assert data["feeds"][0]["url"] == acme.url("/blog/feed.xml")
    assert "saved" not in data
    assert not Company.objects.exists()

    data = json.loads(_discover(acme.base_url, "--json", "--save"))
    company = Company.objects.get()
    assert data["saved"]["company_id"] == company.pk
    assert data["saved"]["slug"] == "acme"
    assert len(data["saved"]["sources_created"]) == 5


@pytest.mark.django_db
def test_command_readable_output(acme, allow_fetching_from):
    allow_fetching_from(acme)
    output = _discover(acme.base_url, "--save")
    assert f"Acme <{acme.base_url}>" in output
    assert acme.url("/blog/feed.xml") in output
    assert "X/Twitter: @acme_ai" in output
    assert "Release 0" in output
    company = Company.objects.get()
    assert f"Saved company {company.pk} (acme): 5 new source(s)." in output


@pytest.mark.django_db
def test_command_errors(http_server, allow_fetching_from):
    with pytest.raises(CommandError, match="not a website address"):
        _discover("http://exa mple.com")
    allow_fetching_from(http_server)
    http_server.add("/", Reply(status=404))
    with pytest.raises(CommandError, match="HTTP 404 Not Found"):
        _discover(http_server.base_url, "--json")


# ---------------------------------------------------------------- admin

# The mixin on an admin site of its own, so these tests do not depend on how
# competitors/admin.py wires it in.
discovery_site = admin.AdminSite(name="discovery_admin")


class _DiscoveryCompanyAdmin(DiscoveryAdminMixin, admin.ModelAdmin[Company]):
    pass


discovery_site.register(Company, _DiscoveryCompanyAdmin)
urlpatterns = [path("discovery-admin/", discovery_site.urls), *project_urlpatterns]
URLS = "competitors.tests.test_discovery"


def _admin_url(name, *args):
    return reverse(f"admin:competitors_company_{name}", args=args, current_app="discovery_admin")


def _staff(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.urls(URLS)
@pytest.mark.django_db
def test_admin_add_by_url_flow(acme, allow_fetching_from, client):
    allow_fetching_from(acme)
    client.force_login(_staff("add_company", "change_company", "view_company"))

    changelist = client.get(_admin_url("changelist"))
    assert _admin_url("discover") in changelist.content.decode()
    assert "Add by URL" in changelist.content.decode()

    form = client.get(_admin_url("discover"))
    assert form.status_code == 200
    assert 'name="url"' in form.content.decode()

    preview = client.post(_admin_url("discover"), {"url": acme.base_url})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Acme trains large language models" in html
    assert "LLM provider" in html
    assert acme.url("/blog/feed.xml") in html
    assert "Release 0" in html
    assert not Company.objects.exists()

    confirmed = client.post(
        _admin_url("discover_confirm"), {"preview": preview.context["signed_preview"]}
    )
    company = Company.objects.get()
    assert confirmed.status_code == 302
    assert confirmed["Location"] == _admin_url("change", company.pk)
    assert company.sources.count() == 5
    page = client.get(confirmed["Location"])
    assert "5 new source(s)" in page.content.decode()


@pytest.mark.urls(URLS)
@pytest.mark.django_db
def test_admin_shows_discovery_errors_on_the_form(http_server, allow_fetching_from, client):
    allow_fetching_from(http_server)
    http_server.add("/", Reply(status=503))
    client.force_login(_staff("add_company"))
    response = client.post(_admin_url("discover"), {"url": http_server.base_url})
    assert response.status_code == 200
    assert "HTTP 503" in response.content.decode()


@pytest.mark.urls(URLS)
@pytest.mark.django_db
def test_admin_refuses_tampered_previews(client):
    client.force_login(_staff("add_company"))
    forged = signing.dumps({"name": "Forged", "website": "https://forged.example"}, salt="other")
    response = client.post(_admin_url("discover_confirm"), {"preview": forged})
    assert response.status_code == 302
    assert response["Location"] == _admin_url("discover")
    assert not Company.objects.exists()

    genuine = signing.dumps({"name": "Real", "website": "https://real.example"}, salt=PREVIEW_SALT)
    assert client.get(_admin_url("discover_confirm"), {"preview": genuine}).status_code == 405
    assert not Company.objects.exists()


@pytest.mark.urls(URLS)
@pytest.mark.django_db
def test_admin_needs_add_permission_and_csrf(client):
    client.force_login(_staff("view_company", "change_company"))
    assert client.get(_admin_url("discover")).status_code == 403
    assert client.post(_admin_url("discover_confirm"), {"preview": "x"}).status_code == 403
    changelist = client.get(_admin_url("changelist"))
    assert "Add by URL" not in changelist.content.decode()

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(_staff("add_company"))
    response = strict.post(_admin_url("discover"), {"url": "https://acme.example"})
    assert response.status_code == 403


@pytest.mark.urls(URLS)
@pytest.mark.django_db
def test_admin_preview_of_a_known_website_links_the_company(acme, allow_fetching_from, client):
    allow_fetching_from(acme)
    company = CompanyFactory(name="Acme Incorporated", website=acme.base_url)
    client.force_login(_staff("add_company", "change_company"))

    preview = client.post(_admin_url("discover"), {"url": acme.base_url})

    html = preview.content.decode()
    assert "already tracked" in html
    assert _admin_url("change", company.pk) in html
    assert "Add to the existing company" in html
    client.post(_admin_url("discover_confirm"), {"preview": preview.context["signed_preview"]})
    assert Company.objects.get().sources.count() == 5
