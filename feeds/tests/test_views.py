import re
from datetime import UTC, datetime

import feedparser
import pytest
from defusedxml import ElementTree as SafeET  # type: ignore[import-untyped]
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from competitors.models import Company, Source
from competitors.tests.factories import CompanyFactory, SourceFactory
from feeds import services
from feeds.models import FeedToken
from feeds.tests.factories import FeedTokenFactory
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SECRET = "aif_the-secret-of-the-feed"
FEED_PATH = f"/feeds/{SECRET}/atom.xml"
SETTINGS_URL = reverse("settings:feed")
CREATE_URL = reverse("settings:feed_create")
REVOKE_URL = reverse("settings:feed_revoke")
PUBLISHED = datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC)


def _track(user, *companies):
    account_services.preferences_update(
        user=user,
        company_ids=[company.pk for company in companies],
        categories=[],
        keywords=[],
        scope="tracked",
    )


@pytest.fixture
def feed_owner():
    owner = UserFactory()
    FeedTokenFactory(user=owner, secret=SECRET)
    return owner


# ---------------------------------------------------------------- Atom feed


def test_the_feed_is_valid_atom_with_the_tracked_items_only(client, feed_owner):
    tracked = CompanyFactory(name="Acme AI")
    source = SourceFactory(company=tracked, name="Acme blog")
    own = NewsItemFactory(
        company=tracked,
        source=source,
        title="Acme ships & tells",
        url="https://acme.example.com/news/ships",
        summary="A summary with <b>markup</b> & an ampersand.",
        category="model_release",
        published_at=PUBLISHED,
    )
    mention = NewsItemFactory(company=None, source=SourceFactory(company=None, name="Wire"))
    mention.mentioned_companies.add(tracked)
    elsewhere = NewsItemFactory(title="Someone else's news")
    _track(feed_owner, tracked)
    # Another account's tracked company stays out of this feed.
    _track(UserFactory(), elsewhere.company)

    response = client.get(FEED_PATH)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo
    assert parsed.version == "atom10"
    assert [entry.link for entry in parsed.entries] == [mention.url, own.url]
    entry = parsed.entries[1]
    assert entry.title == "Acme ships & tells"
    assert entry.author == "Acme AI"
    assert [tag.term for tag in entry.tags] == ["Model release"]
    assert entry.published_parsed[:6] == (2025, 5, 6, 7, 8, 9)
    assert entry.updated_parsed[:6] == (2025, 5, 6, 7, 8, 9)
    assert entry.id == own.url
    # The plain-text summary is escaped into Atom's HTML summary, so readers show
    # the markup as text rather than render it.
    summary = SafeET.fromstring(response.content).findall(f"{ATOM}entry")[1].find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert summary.text == "A summary with &lt;b&gt;markup&lt;/b&gt; &amp; an ampersand."
    assert parsed.entries[0].author == "Wire"
    assert "Someone else" not in response.content.decode()


def test_an_estimated_date_is_never_given_as_the_publication_date(client, feed_owner):
    NewsItemFactory(published_at=PUBLISHED, published_at_estimated=True)

    root = SafeET.fromstring(client.get(FEED_PATH).content)

    entry = root.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}published") is None
    assert entry.findtext(f"{ATOM}updated") == "2025-05-06T07:08:09+00:00"


def test_the_feed_holds_the_newest_fifty_items(client, feed_owner):
    company = CompanyFactory()
    source = SourceFactory(company=company)
    NewsItemFactory.create_batch(52, company=company, source=source)

    root = SafeET.fromstring(client.get(FEED_PATH).content)

    assert len(root.findall(f"{ATOM}entry")) == 50


def test_the_feed_is_in_the_owners_language(client, feed_owner):
    feed_owner.language = "ru"
    feed_owner.save()
    root = SafeET.fromstring(client.get(FEED_PATH, HTTP_ACCEPT_LANGUAGE="en").content)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "ru"


def test_the_feed_is_private_to_the_reader_and_not_indexed(client, feed_owner):
    response = client.get(FEED_PATH)
    assert "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/aif_not-the-secret/atom.xml",
        "/feeds/the-secret-of-the-feed/atom.xml",
        f"/feeds/{SECRET}x/atom.xml",
    ],
)
def test_unknown_secrets_are_not_found(client, feed_owner, path):
    assert client.get(path).status_code == 404


def test_a_revoked_or_replaced_url_is_not_found(client, feed_owner):
    services.feed_token_revoke(user=feed_owner)
    assert client.get(FEED_PATH).status_code == 404

    issued = services.feed_token_issue(user=feed_owner)
    assert client.get(FEED_PATH).status_code == 404
    assert client.get(f"/feeds/{issued.secret}/atom.xml").status_code == 200


def test_the_feed_of_a_deactivated_account_is_not_found(client, feed_owner):
    feed_owner.is_active = False
    feed_owner.save()
    assert client.get(FEED_PATH).status_code == 404


def test_the_feed_answers_reads_only(client, feed_owner):
    assert client.post(FEED_PATH).status_code == 405
    assert client.head(FEED_PATH).status_code == 200


def test_the_feed_records_when_it_was_read(client, feed_owner):
    client.get(FEED_PATH)
    assert FeedToken.objects.get(user=feed_owner).last_used_at is not None


def _queries(client):
    FeedToken.objects.update(last_used_at=None)  # the same write on every run
    with CaptureQueriesContext(connection) as queries:
        assert client.get(FEED_PATH).status_code == 200
    return len(queries)


def test_the_feed_costs_the_same_queries_whatever_it_holds(client, feed_owner):
    tracked = [CompanyFactory(), CompanyFactory()]
    _track(feed_owner, *tracked)
    NewsItemFactory(company=tracked[0])
    few = _queries(client)

    for company in tracked:
        for _ in range(5):
            item = NewsItemFactory(company=company, source=SourceFactory(company=company))
            item.mentioned_companies.add(CompanyFactory())
    NewsItemFactory(company=None, source=None).mentioned_companies.add(tracked[1])

    assert _queries(client) == few
    # The token, its last use, the preferences, the tracked ids and the items.
    assert few <= 5


def test_a_current_copy_gets_not_modified(client, feed_owner):
    NewsItemFactory(published_at=PUBLISHED)
    first = client.get(FEED_PATH)
    assert first["Last-Modified"] == "Tue, 06 May 2025 07:08:09 GMT"

    assert client.get(FEED_PATH, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(FEED_PATH, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304

    NewsItemFactory(published_at=datetime(2025, 5, 7, tzinfo=UTC))
    assert client.get(FEED_PATH, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_the_feed_is_rate_limited_per_address(client, feed_owner, settings):
    settings.FEED_RATE = "2/m"
    assert client.get(FEED_PATH).status_code == 200
    assert client.get("/feeds/aif_guess/atom.xml").status_code == 404
    limited = client.get(FEED_PATH)
    assert limited.status_code == 429
    assert limited["Retry-After"]
    assert client.get(FEED_PATH, REMOTE_ADDR="192.0.2.7").status_code == 200


# ---------------------------------------------------------------- settings page


def test_the_settings_page_needs_a_login(client):
    response = client.get(SETTINGS_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client.post(CREATE_URL).status_code == 302
    assert not FeedToken.objects.exists()


def test_the_settings_index_links_to_the_feed_page(auth_client):
    assert f'href="{SETTINGS_URL}"' in auth_client.get(reverse("settings:index")).content.decode()


def test_without_a_url_the_page_offers_to_create_one(auth_client):
    html = auth_client.get(SETTINGS_URL).content.decode()
    assert "You have no feed URL." in html
    assert "Create a feed URL" in html
    assert REVOKE_URL not in html
    assert "<script>" not in html
    assert "style=" not in html


def test_creating_shows_the_url_once(auth_client, user, settings):
    settings.SITE_URL = "https://hub.example.com"

    response = auth_client.post(CREATE_URL)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    url = re.search(r'value="(https://hub\.example\.com/feeds/[^"]+/atom\.xml)"', html).group(1)
    secret = url.split("/")[-2]
    assert services.feed_token_use(secret=secret).user == user
    later = auth_client.get(SETTINGS_URL).content.decode()
    assert secret not in later
    assert f"{secret[: services.SHOWN_PREFIX_LENGTH]}…" in later
    assert "Regenerate the URL" in later
    assert REVOKE_URL in later


def test_regenerating_replaces_the_url(auth_client, user, feed_owner):
    auth_client.force_login(feed_owner)
    auth_client.post(CREATE_URL)
    assert FeedToken.objects.filter(user=feed_owner).count() == 1
    assert services.feed_token_use(secret=SECRET) is None


def test_revoking_deletes_the_url(auth_client, feed_owner):
    auth_client.force_login(feed_owner)
    response = auth_client.post(REVOKE_URL, follow=True)
    assert response.redirect_chain == [(SETTINGS_URL, 302)]
    assert "Your feed URL is revoked" in response.content.decode()
    assert not FeedToken.objects.filter(user=feed_owner).exists()
    assert auth_client.post(REVOKE_URL, follow=True).status_code == 200


def test_creating_and_revoking_need_a_post(auth_client):
    assert auth_client.get(CREATE_URL).status_code == 405
    assert auth_client.get(REVOKE_URL).status_code == 405
    assert not FeedToken.objects.exists()


def test_creating_is_rate_limited(auth_client, user):
    for _ in range(20):  # views.CREATE_RATE
        assert auth_client.post(CREATE_URL).status_code == 200
    response = auth_client.post(CREATE_URL)
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "Please try again in an hour" in response.content.decode()
    assert FeedToken.objects.filter(user=user).count() == 1


# ---------------------------------------------------------------- OPML download


def test_the_opml_download_needs_a_login(client):
    response = client.get(reverse("feeds:sources_opml"))
    assert response.status_code == 302


def test_the_opml_download_lists_every_source(auth_client):
    SourceFactory(url="https://acme.example.com/rss", company=CompanyFactory(name="Acme"))

    response = auth_client.get(reverse("feeds:sources_opml"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-opml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="sources.opml"'
    body = SafeET.fromstring(response.content).find("body")
    assert body.find("outline").get("text") == "Acme"
    assert body.find("outline/outline").get("xmlUrl") == "https://acme.example.com/rss"


# ---------------------------------------------------------------- admin import


ADMIN_IMPORT = reverse("admin:competitors_source_import_opml")
OPML = b"""<?xml version="1.0"?><opml version="2.0"><body>
<outline text="Acme"><outline text="Blog" type="rss" xmlUrl="https://acme.example.com/rss"/></outline>
<outline text="js" xmlUrl="javascript:alert(1)"/>
</body></opml>"""


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _upload(content, name="sources.opml"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/x-opml")


def test_the_source_changelist_links_to_import_and_export(admin_client):
    html = admin_client.get(reverse("admin:competitors_source_changelist")).content.decode()
    assert ADMIN_IMPORT in html
    assert reverse("feeds:sources_opml") in html


def test_the_admin_import_page_imports_and_reports(admin_client):
    assert admin_client.get(ADMIN_IMPORT).status_code == 200

    response = admin_client.post(ADMIN_IMPORT, {"file": _upload(OPML)})

    assert response.status_code == 200
    html = response.content.decode()
    assert "1 source created, 0 already known." in html
    assert "javascript:alert(1)" in html
    assert Source.objects.get().company == Company.objects.get(name="Acme")


def test_the_admin_import_page_shows_why_a_document_is_refused(admin_client):
    response = admin_client.post(ADMIN_IMPORT, {"file": _upload(b"<opml><body>")})
    assert response.status_code == 200
    assert "not well-formed XML" in response.content.decode()
    assert not Source.objects.exists()


def test_the_admin_import_page_needs_the_permission_to_add_sources(client):
    client.force_login(UserFactory(is_staff=True))  # staff without model permissions
    assert client.get(ADMIN_IMPORT).status_code == 403
    client.force_login(UserFactory())
    assert client.get(ADMIN_IMPORT).status_code == 302  # to the admin log-in
