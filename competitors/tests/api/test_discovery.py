"""Adding a competitor through the API: the discovery preview, then confirm. Every
site scanned is a loopback server."""

import pytest
from django.core import signing
from django.core.cache import cache
from django.urls import reverse

from accounts.tests.factories import UserFactory
from competitors.discovery import DiscoveredSource, DiscoveryPreview
from competitors.forms import PREVIEW_SALT, sign_preview
from competitors.models import Company, Source
from competitors.tests.factories import CompanyFactory
from competitors.tests.test_discovery import _acme_site
from news.tests.http_servers import Reply

pytestmark = pytest.mark.django_db

DISCOVER_URL = reverse("api:company-discover")
CONFIRM_URL = reverse("api:company-discover-confirm")
WEB_ADD_URL = reverse("competitors:add")
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def acme(http_server, allow_fetching_from):
    allow_fetching_from(http_server)
    return _acme_site(http_server)


def _fields(response):
    return response.json()["error"]["fields"]


# ---------------------------------------------------------------- who may scan


def test_discovery_needs_credentials(api_client, http_server):
    assert api_client.post(DISCOVER_URL, {"url": http_server.base_url}).status_code == 401
    assert api_client.post(CONFIRM_URL, {"preview": "x"}).status_code == 401
    assert not http_server.requests


def test_discovery_needs_a_confirmed_email(make_token_client, acme):
    client = make_token_client(UserFactory(is_verified=False))
    signed = sign_preview(DiscoveryPreview(name="Acme", website=acme.base_url))

    scan = client.post(DISCOVER_URL, {"url": acme.base_url})
    confirm = client.post(CONFIRM_URL, {"preview": signed})

    for response in (scan, confirm):
        assert response.status_code == 403
        assert "confirm your email address" in response.json()["error"]["message"]
    assert not acme.requests
    assert not Company.objects.exists()


# ---------------------------------------------------------------- preview


def test_preview_writes_nothing_and_confirm_creates_the_company(token_client, acme):
    response = token_client.post(DISCOVER_URL, {"url": acme.base_url})

    assert response.status_code == 200
    preview = response.json()
    assert preview["name"] == "Acme"
    assert preview["website"] == acme.base_url
    assert preview["description"] == "Acme trains large language models for developers."
    assert preview["segment"] == "llm_provider"
    assert preview["twitter_handle"] == "acme_ai"
    assert preview["github_org"] == "acme-ai"
    assert preview["existing_company"] is None
    assert preview["feeds"] == [
        {
            "url": acme.url("/blog/feed.xml"),
            "kind": "feed",
            "source_type": "blog",
            "name": "Lab blog",
        }
    ]
    assert {page["url"] for page in preview["pages"]} == {
        acme.url("/blog"),
        acme.url("/news"),
        acme.url("/press"),
    }
    assert preview["github_releases"] == [
        {
            "url": "https://github.com/acme-ai/acme-sdk/releases.atom",
            "kind": "github_releases",
            "source_type": "github",
            "name": "acme-sdk releases",
        }
    ]
    assert [item["title"] for item in preview["sample"]] == [f"Release {n}" for n in range(5)]
    assert set(preview["sample"][0]) == {
        "title", "url", "published_at", "source_url", "source_type", "category"
    }  # fmt: skip
    assert not Company.objects.exists()
    assert not Source.objects.exists()

    confirmed = token_client.post(CONFIRM_URL, {"preview": preview["preview"]})

    assert confirmed.status_code == 201
    company = Company.objects.get()
    body = confirmed.json()
    assert body["slug"] == company.slug
    assert body["name"] == "Acme"
    assert body["tracked"] is False
    found = [
        source["url"] for key in ("feeds", "pages", "github_releases") for source in preview[key]
    ]
    assert {source["url"] for source in body["sources"]} == set(found)
    assert set(company.sources.values_list("url", flat=True)) == set(found)

    # Confirming again merges into the same company: nothing is duplicated.
    again = token_client.post(CONFIRM_URL, {"preview": preview["preview"]})
    assert again.status_code in (200, 201)
    assert again.json()["slug"] == company.slug
    assert Company.objects.count() == 1
    assert Source.objects.count() == len(found)


def test_preview_of_a_listed_website_names_the_company_and_confirm_merges(token_client, acme):
    known = CompanyFactory(name="Acme Incorporated", website=acme.base_url)

    preview = token_client.post(DISCOVER_URL, {"url": acme.base_url}).json()

    assert preview["existing_company"] == known.slug
    confirmed = token_client.post(CONFIRM_URL, {"preview": preview["preview"]})
    assert confirmed.status_code == 200
    assert confirmed.json()["slug"] == known.slug
    assert Company.objects.count() == 1
    assert known.sources.exists()


def test_an_address_without_scheme_is_accepted_like_on_the_web(token_client, acme):
    host = acme.base_url.removeprefix("http://")
    # https is assumed, as in the web form; the loopback server speaks http only.
    response = token_client.post(DISCOVER_URL, {"url": host})

    assert response.status_code == 400
    assert "could not scan this website" in _fields(response)["url"][0]
    assert not Company.objects.exists()


@pytest.mark.parametrize("url", ["", "not a url", "http://exa mple.com", "x" * 600])
def test_bad_addresses_are_field_errors(token_client, url):
    response = token_client.post(DISCOVER_URL, {"url": url})

    assert response.status_code == 400
    assert "url" in _fields(response)


@pytest.mark.parametrize("body", [{}, {"url": None}, {"url": ["http://a.example"]}])
def test_malformed_bodies_are_400(token_client, body):
    assert token_client.post(DISCOVER_URL, body).status_code == 400


def test_private_addresses_are_refused_without_saying_why(token_client, http_server):
    http_server.add("/", Reply(headers=HTML, body=b"<html><title>Local</title></html>"))

    response = token_client.post(DISCOVER_URL, {"url": http_server.base_url})

    assert response.status_code == 400
    message = _fields(response)["url"][0]
    assert message == "We could not reach this website."
    assert "loopback" not in response.content.decode()
    assert not http_server.requests


def test_an_unreachable_site_is_a_field_error(token_client, http_server, allow_fetching_from):
    allow_fetching_from(http_server)
    http_server.add("/", Reply(status=503))

    response = token_client.post(DISCOVER_URL, {"url": http_server.base_url})

    assert response.status_code == 400
    assert "HTTP 503" in _fields(response)["url"][0]


def test_a_parser_failure_is_a_field_error_not_a_500(token_client, acme, monkeypatch):
    from competitors.api import views

    def broken(**kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(views, "competitor_discover", broken)

    response = token_client.post(DISCOVER_URL, {"url": acme.base_url})

    assert response.status_code == 400
    assert _fields(response)["url"] == ["We could not scan this website. Please try again later."]


def test_one_scan_at_a_time_per_user(token_client, acme, make_token_client):
    cache.add(f"competitors:scan:{token_client.account.pk}", 1, 60)

    busy = token_client.post(DISCOVER_URL, {"url": acme.base_url})

    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "conflict"
    assert not acme.requests
    other = make_token_client(UserFactory())
    assert other.post(DISCOVER_URL, {"url": acme.base_url}).status_code == 200


# ---------------------------------------------------------------- rate limit


def test_scans_share_the_web_wizards_hourly_limit(token_client, client, make_token_client):
    client.force_login(token_client.account)
    for _ in range(5):
        assert client.post(WEB_ADD_URL, {"url": "not a url"}).status_code == 200
    for _ in range(5):
        assert token_client.post(DISCOVER_URL, {"url": "not a url"}).status_code == 400

    limited = token_client.post(DISCOVER_URL, {"url": "not a url"})

    assert limited.status_code == 429
    assert limited["Retry-After"] == "3600"
    error = limited.json()["error"]
    assert error["code"] == "throttled"
    assert "try again in an hour" in error["message"]
    assert client.post(WEB_ADD_URL, {"url": "not a url"}).status_code == 429
    # The limit is per user.
    other = make_token_client(UserFactory())
    assert other.post(DISCOVER_URL, {"url": "not a url"}).status_code == 400


# ---------------------------------------------------------------- confirm


def test_forged_altered_or_expired_previews_are_refused(token_client):
    genuine = {"name": "Real", "website": "https://real.example"}
    for value in (
        signing.dumps(genuine, salt="another-salt"),
        "garbage",
        signing.dumps(["not", "a", "dict"], salt=PREVIEW_SALT),
        signing.dumps(genuine, salt=PREVIEW_SALT)[:-2] + "xx",
    ):
        response = token_client.post(CONFIRM_URL, {"preview": value})
        assert response.status_code == 400
        assert "preview expired or was altered" in _fields(response)["preview"][0]
    assert token_client.post(CONFIRM_URL, {}).status_code == 400
    assert not Company.objects.exists()


def test_confirm_never_adds_a_feed_to_a_company_of_another_website(token_client):
    acme = CompanyFactory(name="Acme", website="https://acme.example")
    preview = DiscoveryPreview(
        name="Acme",
        website="https://evil.example",
        logo_url="https://evil.example/logo.png",
        feeds=[DiscoveredSource("https://evil.example/feed.xml", "feed", "blog")],
    )

    response = token_client.post(CONFIRM_URL, {"preview": sign_preview(preview)})

    assert response.status_code == 409
    assert "already listed with another website" in response.json()["error"]["message"]
    acme.refresh_from_db()
    assert acme.logo_url == ""
    assert not Source.objects.filter(url="https://evil.example/feed.xml").exists()


def test_a_new_company_is_not_called_discover(token_client):
    preview = DiscoveryPreview(name="Discover", website="https://discover.example")

    response = token_client.post(CONFIRM_URL, {"preview": sign_preview(preview)})

    assert response.status_code == 201
    assert response.json()["slug"] != "discover"
    detail = token_client.get(reverse("api:company-detail", args=[response.json()["slug"]]))
    assert detail.json()["name"] == "Discover"
