import pytest
from defusedxml import ElementTree as SafeET  # type: ignore[import-untyped]
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from competitors.models import Company, Source
from competitors.tests.factories import CompanyFactory, SourceFactory
from feeds.opml import MAX_DOCUMENT_BYTES
from feeds.tests.test_opml import BILLION_LAUGHS, EXTERNAL_ENTITY

pytestmark = pytest.mark.django_db

EXPORT = reverse("api:source-opml")
IMPORT = reverse("api:source-opml-import")
OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
<outline text="Acme"><outline text="Acme blog" type="rss" xmlUrl="https://acme.example.com/rss"/></outline>
<outline text="Loose" type="rss" xmlUrl="https://loose.example.com/rss"/>
</body></opml>"""


def _upload(content):
    return {"file": SimpleUploadedFile("sources.opml", content, content_type="text/x-opml")}


def _post_file(client, content):
    return client.post(IMPORT, _upload(content), format="multipart")


def _post_body(client, content, content_type="application/xml"):
    return client.generic("POST", IMPORT, content, content_type=content_type)


def _catalogue():
    """Sources as the export carries them, independent of row ids."""
    return {
        (
            source.url,
            source.name,
            source.kind,
            source.source_type,
            source.css_selector,
            source.company.name if source.company else None,
            source.company.website if source.company else None,
        )
        for source in Source.objects.select_related("company")
    }


# ---------------------------------------------------------------- export


def test_export_needs_credentials(api_client):
    response = api_client.get(EXPORT)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_authenticated"


def test_export_is_opml_for_any_account(token_client):
    SourceFactory(url="https://acme.example.com/rss", company=CompanyFactory(name="Acme"))

    response = token_client.get(EXPORT, HTTP_ACCEPT="text/x-opml")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-opml; charset=utf-8"
    root = SafeET.fromstring(response.content)
    assert root.tag == "opml"
    assert root.find("body/outline/outline").get("xmlUrl") == "https://acme.example.com/rss"


def test_export_does_not_refuse_json_clients(token_client):
    response = token_client.get(EXPORT, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.content.startswith(b"<?xml")


# ---------------------------------------------------------------- import permissions


def test_import_needs_credentials(api_client):
    assert _post_file(api_client, OPML).status_code == 401
    assert not Source.objects.exists()


def test_import_is_for_staff_only(token_client):
    response = _post_file(token_client, OPML)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Source.objects.exists()


def test_staff_import_an_uploaded_file(staff_token_client):
    response = _post_file(staff_token_client, OPML)

    assert response.status_code == 200
    assert response.json() == {"created": 2, "skipped": 0, "companies_created": 1, "errors": []}
    assert Source.objects.get(url="https://acme.example.com/rss").company.name == "Acme"


@pytest.mark.parametrize("content_type", ["application/xml", "text/xml", "text/x-opml"])
def test_staff_import_a_raw_body(staff_token_client, content_type):
    response = _post_body(staff_token_client, OPML, content_type)
    assert response.status_code == 200
    assert response.json()["created"] == 2


def test_import_twice_creates_nothing_new(staff_token_client):
    _post_file(staff_token_client, OPML)
    before = _catalogue()

    response = _post_body(staff_token_client, OPML)

    assert response.json() == {"created": 0, "skipped": 2, "companies_created": 0, "errors": []}
    assert _catalogue() == before
    assert Company.objects.count() == 1


def test_import_reports_unusable_outlines(staff_token_client):
    document = OPML.replace(b"https://loose.example.com/rss", b"ftp://loose.example.com/rss")

    response = _post_body(staff_token_client, document)

    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 1
    assert [error["url"] for error in body["errors"]] == ["ftp://loose.example.com/rss"]
    assert body["errors"][0]["reason"]


# ---------------------------------------------------------------- bad documents


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"<opml><body><outline", "not well-formed XML"),
        (b"\xff\xfe\x00garbage", "not well-formed XML"),
        (b"<html><body/></html>", "not OPML"),
        (BILLION_LAUGHS, "DTD"),
        (EXTERNAL_ENTITY, "DTD"),
    ],
)
@pytest.mark.parametrize("send", [_post_file, _post_body])
def test_unusable_documents_get_400_with_the_reason(staff_token_client, send, document, message):
    response = send(staff_token_client, document)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert error["code"] == "parse_error"
    assert message in error["message"]
    assert not Source.objects.exists()


def test_an_oversized_document_gets_400(staff_token_client):
    document = OPML.replace(b"<body>", b"<body>" + b" " * MAX_DOCUMENT_BYTES)

    for response in (
        _post_file(staff_token_client, document),
        _post_body(staff_token_client, document),
    ):
        assert response.status_code == 400
        assert "larger than" in response.json()["error"]["fields"]["file"][0]
    assert not Source.objects.exists()


def test_a_missing_or_empty_document_gets_400(staff_token_client):
    for response in (
        staff_token_client.post(IMPORT, {}, format="multipart"),
        _post_file(staff_token_client, b""),
        _post_body(staff_token_client, b""),
    ):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid"
        assert "file" in response.json()["error"]["fields"]


def test_json_is_not_an_accepted_upload(staff_token_client):
    response = staff_token_client.post(IMPORT, {"file": "x"}, format="json")
    assert response.status_code == 415
    assert response.json()["error"]["status"] == 415


# ---------------------------------------------------------------- round trip


def test_export_then_import_into_an_empty_database_recreates_the_sources(
    token_client, staff_token_client
):
    acme = CompanyFactory(name="Acme & Co", website="https://acme.example.com")
    beta = CompanyFactory(name="Beta", website="")
    SourceFactory(company=acme, url="https://acme.example.com/rss", name="Acme blog")
    SourceFactory(
        company=acme,
        url="https://acme.example.com/press",
        name="Press",
        kind=Source.Kind.HTML,
        source_type=Source.SourceType.PRESS_RELEASE,
        css_selector="article h2 > a",
    )
    SourceFactory(
        company=beta,
        url="https://github.com/beta/engine/releases",
        name="",
        kind=Source.Kind.GITHUB_RELEASES,
        source_type=Source.SourceType.GITHUB,
    )
    SourceFactory(
        company=None,
        url="https://news.example.org/feed",
        name="AI wire",
        source_type=Source.SourceType.NEWS_SITE,
    )
    expected = _catalogue()
    exported = token_client.get(EXPORT).content

    Source.objects.all().delete()
    Company.objects.all().delete()
    response = _post_body(staff_token_client, exported)

    assert response.json() == {"created": 4, "skipped": 0, "companies_created": 2, "errors": []}
    assert _catalogue() == expected
