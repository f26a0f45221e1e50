from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from competitors.models import Company, Source
from competitors.tests.factories import CompanyFactory, SourceFactory
from feeds import services
from feeds.models import FeedToken
from feeds.opml import OpmlError
from feeds.services import ImportProblem, feed_token_issue, feed_token_revoke, feed_token_use
from feeds.tests.factories import FeedTokenFactory

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- feed tokens


def test_issue_stores_only_a_hash_and_a_short_prefix(user):
    issued = feed_token_issue(user=user)

    assert issued.secret.startswith(services.KEY_PREFIX)
    # token_urlsafe(32): 43 characters of 6 bits, 256 bits in all.
    assert len(issued.secret) - len(services.KEY_PREFIX) >= 43
    token = FeedToken.objects.get(user=user)
    assert token.key_hash == services.hash_secret(issued.secret)
    assert issued.secret not in token.key_hash
    assert token.prefix == issued.secret[: services.SHOWN_PREFIX_LENGTH]
    assert token.last_used_at is None


def test_issuing_again_replaces_the_old_url(user):
    first = feed_token_issue(user=user)
    second = feed_token_issue(user=user)

    assert first.secret != second.secret
    assert FeedToken.objects.filter(user=user).count() == 1
    assert feed_token_use(secret=first.secret) is None
    assert feed_token_use(secret=second.secret).user == user


def test_revoke_deletes_the_users_token_only(user):
    other = FeedTokenFactory()
    issued = feed_token_issue(user=user)

    assert feed_token_revoke(user=user) is True
    assert feed_token_revoke(user=user) is False
    assert feed_token_use(secret=issued.secret) is None
    assert FeedToken.objects.filter(pk=other.pk).exists()


def test_use_records_the_last_use_at_most_once_a_minute(django_assert_num_queries):
    token = FeedTokenFactory(secret="aif_known-secret")
    now = timezone.now()

    with django_assert_num_queries(2):  # the lookup and the write
        assert feed_token_use(secret="aif_known-secret", now=now) == token
    with django_assert_num_queries(1):
        feed_token_use(secret="aif_known-secret", now=now + timedelta(seconds=30))
    token.refresh_from_db()
    assert token.last_used_at == now

    later = now + services.LAST_USED_RESOLUTION
    feed_token_use(secret="aif_known-secret", now=later)
    token.refresh_from_db()
    assert token.last_used_at == later


@pytest.mark.parametrize(
    "secret",
    ["", "aif_wrong", "wrong-prefix-known-secret", "aif_known-secret" + "x" * 200],
)
def test_use_refuses_unknown_secrets(secret):
    FeedTokenFactory(secret="aif_known-secret")
    assert feed_token_use(secret=secret) is None


def test_use_refuses_the_token_of_a_deactivated_account():
    FeedTokenFactory(secret="aif_known-secret", user=UserFactory(is_active=False))
    assert feed_token_use(secret="aif_known-secret") is None


# ---------------------------------------------------------------- OPML import


def _opml(*outlines: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<opml version="2.0" xmlns:hub="urn:ai-competitor-insight-hub:opml:1">'
        "<head><title>t</title></head><body>" + "".join(outlines) + "</body></opml>"
    ).encode()


def _sources():
    return {
        (
            source.url,
            source.company.name if source.company else None,
            source.kind,
            source.source_type,
        )
        for source in Source.objects.select_related("company")
    }


def test_import_creates_companies_and_sources():
    document = _opml(
        '<outline text="Acme" hub:website="https://acme.example.com">'
        '<outline text="Acme blog" type="rss" xmlUrl="https://acme.example.com/feed.xml"/>'
        '<outline text="Acme press" type="link" url="https://acme.example.com/press"'
        ' hub:kind="html" hub:sourceType="press_release" hub:cssSelector="h2 a"/>'
        '<outline text="Engine" type="link" url="https://github.com/acme/engine/releases"'
        ' hub:kind="github_releases"/>'
        "</outline>",
        '<outline text="Loose" type="rss" xmlUrl="https://loose.example.com/rss"/>',
    )

    report = services.opml_import(data=document)

    assert (report.created, report.skipped, report.companies_created) == (4, 0, 1)
    assert report.errors == []
    company = Company.objects.get(name="Acme")
    assert company.website == "https://acme.example.com"
    assert _sources() == {
        ("https://acme.example.com/feed.xml", "Acme", "feed", "blog"),
        ("https://acme.example.com/press", "Acme", "html", "press_release"),
        ("https://github.com/acme/engine/releases", "Acme", "github_releases", "github"),
        ("https://loose.example.com/rss", None, "feed", "blog"),
    }
    blog = Source.objects.get(url="https://acme.example.com/feed.xml")
    assert blog.name == "Acme blog"
    assert blog.status == Source.Status.ACTIVE
    assert Source.objects.get(kind="html").css_selector == "h2 a"


def test_importing_the_same_document_twice_creates_nothing_new():
    document = _opml(
        '<outline text="Acme"><outline text="Blog" xmlUrl="https://acme.example.com/feed.xml"/>'
        '<outline text="Blog again" xmlUrl="https://acme.example.com/feed.xml"/></outline>'
    )

    first = services.opml_import(data=document)
    before = (_sources(), Company.objects.count())
    second = services.opml_import(data=document)

    assert (first.created, first.skipped) == (1, 1)  # the duplicate inside the file
    assert (second.created, second.skipped, second.companies_created) == (0, 2, 0)
    assert (_sources(), Company.objects.count()) == before


def test_import_skips_known_addresses_and_keeps_their_settings():
    existing = SourceFactory(url="https://acme.example.com/feed.xml", name="Ours", kind="feed")
    company = existing.company

    report = services.opml_import(
        data=_opml('<outline text="Renamed" xmlUrl="https://acme.example.com/feed.xml#top"/>')
    )

    assert (report.created, report.skipped) == (0, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.company) == ("Ours", company)


def test_import_adds_sources_to_an_existing_company_matched_by_name():
    company = CompanyFactory(name="Acme", website="https://acme.example.com")

    report = services.opml_import(
        data=_opml(
            '<outline text="ACME"><outline text="b" xmlUrl="https://acme.example.com/rss"/></outline>'
        )
    )

    assert (report.created, report.companies_created) == (1, 0)
    assert Source.objects.get().company == company
    assert Company.objects.count() == 1


def test_import_stores_canonical_addresses():
    services.opml_import(
        data=_opml(
            '<outline text="f" xmlUrl="HTTPS://Acme.Example.com:443/feed?utm_source=x&amp;id=2"/>'
        )
    )
    assert Source.objects.get().url == "https://acme.example.com/feed?id=2"


def test_import_reports_unusable_outlines_and_imports_the_rest():
    long_name = "N" * 200
    document = _opml(
        '<outline text="js" xmlUrl="javascript:alert(1)"/>',
        '<outline text="ftp" xmlUrl="ftp://files.example.com/feed"/>',
        '<outline text="nohost" xmlUrl="https:///feed"/>',
        '<outline text="kind" xmlUrl="https://kind.example.com/f" hub:kind="telepathy"/>',
        '<outline text="bad selector" type="link" url="https://page.example.com/"'
        ' hub:kind="html" hub:cssSelector="a[[["/>',
        f'<outline text="{long_name}"><outline text="f" xmlUrl="https://long.example.com/f"/></outline>',
        '<outline text="bookmark" type="link" url="https://bookmark.example.com/"/>',
        '<outline text="good" xmlUrl="https://good.example.com/feed"/>',
    )

    report = services.opml_import(data=document)

    assert report.created == 1
    assert _sources() == {("https://good.example.com/feed", None, "feed", "blog")}
    reasons = {problem.url: problem.reason for problem in report.errors}
    assert set(reasons) == {
        "javascript:alert(1)",
        "ftp://files.example.com/feed",
        "https:///feed",
        "https://kind.example.com/f",
        "https://page.example.com/",
        "https://long.example.com/f",
        "https://bookmark.example.com/",
    }
    assert "http(s)" in reasons["javascript:alert(1)"]
    assert "telepathy" in reasons["https://kind.example.com/f"]
    assert "cannot be created" in reasons["https://long.example.com/f"]
    assert reasons["https://bookmark.example.com/"] == "A link, not a feed: it has no xmlUrl."
    assert not Company.objects.exists()


def test_import_of_a_malformed_document_raises_and_creates_nothing():
    with pytest.raises(OpmlError):
        services.opml_import(data=b"<opml><body><outline xmlUrl='https://a.example.com/f'>")
    assert not Source.objects.exists()


def test_import_reports_each_problem_with_the_address_as_written():
    report = services.opml_import(data=_opml('<outline text="x" xmlUrl=" mailto:a@example.com"/>'))
    assert [problem.url for problem in report.errors] == ["mailto:a@example.com"]
    assert isinstance(report.errors[0], ImportProblem)
    assert "http(s)" in report.errors[0].reason
