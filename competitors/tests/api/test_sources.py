"""The sources API: everyone signed in reads; staff create, edit, pause, resume and
fetch now."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from competitors.models import Source
from competitors.tests.factories import CompanyFactory, SourceFactory
from news import tasks

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:source-list")


def _url(name, source):
    return reverse(f"api:source-{name}", args=[source.pk])


def _urls(response):
    return [source["url"] for source in response.json()["results"]]


@pytest.fixture
def failing():
    return SourceFactory(
        company=CompanyFactory(name="Acme", slug="acme"),
        url="https://acme.example/feed.xml",
        status=Source.Status.ERROR,
        consecutive_failures=4,
        last_error="Refused: 10.0.0.7 is a private address",
        last_fetched_at=timezone.now(),
        next_fetch_at=timezone.now() + timedelta(hours=2),
    )


@pytest.fixture
def queued(monkeypatch):
    """Source ids whose fetch was queued (the task itself is not run)."""
    ids = []
    monkeypatch.setattr(tasks.source_fetch, "delay", lambda source_id: ids.append(source_id))
    return ids


# ---------------------------------------------------------------- reading


def test_reading_needs_credentials(api_client, failing):
    assert api_client.get(LIST_URL).status_code == 401
    assert api_client.get(_url("detail", failing)).status_code == 401


def test_list_with_filters(token_client, failing):
    beta = CompanyFactory(name="Beta", slug="beta")
    paused = SourceFactory(
        company=beta, url="https://beta.example/news", kind="html", status="paused"
    )
    github = SourceFactory(
        company=beta,
        url="https://github.com/beta/sdk/releases.atom",
        kind="github_releases",
        source_type="github",
    )

    everything = token_client.get(LIST_URL)

    assert everything.status_code == 200
    assert everything.json()["count"] == 3
    assert _urls(everything) == [failing.url, paused.url, github.url]
    assert _urls(token_client.get(LIST_URL, {"company": "beta"})) == [paused.url, github.url]
    assert _urls(token_client.get(LIST_URL, {"status": "paused"})) == [paused.url]
    assert _urls(token_client.get(LIST_URL, {"source_type": "github"})) == [github.url]
    assert _urls(token_client.get(LIST_URL, {"kind": "html"})) == [paused.url]
    assert _urls(token_client.get(LIST_URL, {"company": "nobody"})) == []


@pytest.mark.parametrize(
    "params", [{"status": "broken"}, {"source_type": "tv"}, {"kind": "x"}, {"company": "x" * 121}]
)
def test_bad_filters_are_400(token_client, params):
    response = token_client.get(LIST_URL, params)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == list(params)


def test_detail_shows_the_fetch_state_and_hides_the_error_text(token_client, failing):
    response = token_client.get(_url("detail", failing))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == failing.pk
    assert body["company"] == "acme"
    assert body["status"] == "error"
    assert body["health"] == "error"
    assert body["consecutive_failures"] == 4
    assert body["last_fetch_failed"] is True
    # As on the company page: the error can name internal addresses.
    assert body["last_error"] == ""
    assert body["next_fetch_at"] is not None
    assert body["interval_seconds"] == 3600
    assert body["items_last_7_days"] == 0


def test_staff_see_the_error_text(staff_token_client, failing):
    body = staff_token_client.get(_url("detail", failing)).json()

    assert body["last_error"] == "Refused: 10.0.0.7 is a private address"


def test_sources_of_retired_companies_are_for_staff_only(token_client, staff_token_client):
    hidden = SourceFactory(company=CompanyFactory(active=False))

    assert _urls(token_client.get(LIST_URL)) == []
    assert token_client.get(_url("detail", hidden)).status_code == 404
    assert _urls(staff_token_client.get(LIST_URL)) == [hidden.url]
    assert staff_token_client.get(_url("detail", hidden)).status_code == 200


def test_unknown_source_is_404(token_client):
    response = token_client.get(reverse("api:source-detail", args=[987654]))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# ---------------------------------------------------------------- creating


def test_staff_create_a_source(staff_token_client):
    CompanyFactory(name="Acme", slug="acme")

    response = staff_token_client.post(
        LIST_URL,
        {
            "company": "acme",
            "url": "HTTPS://Acme.example/blog?utm_source=x",
            "kind": "html",
            "source_type": "press_release",
            "name": "Press",
            "css_selector": "article a",
        },
    )

    assert response.status_code == 201
    source = Source.objects.get()
    assert source.url == "https://acme.example/blog"
    assert source.company.slug == "acme"
    assert (source.kind, source.source_type, source.name) == ("html", "press_release", "Press")
    assert source.css_selector == "article a"
    assert source.status == Source.Status.ACTIVE
    assert source.next_fetch_at is not None
    body = response.json()
    assert body["id"] == source.pk
    assert body["url"] == "https://acme.example/blog"


def test_create_defaults_and_no_company(staff_token_client):
    response = staff_token_client.post(LIST_URL, {"url": "https://news.example/rss"})

    assert response.status_code == 201
    assert response.json()["company"] is None
    source = Source.objects.get()
    assert (source.kind, source.source_type) == ("feed", "blog")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://acme.example/feed"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "not a url"}, "url"),
        ({}, "url"),
        ({"url": "https://acme.example/feed", "company": "nobody"}, "company"),
        ({"url": "https://acme.example/feed", "kind": "tv"}, "kind"),
        ({"url": "https://acme.example/feed", "css_selector": "a[["}, "css_selector"),
        ({"url": "https://acme.example/" + "x" * 1000}, "url"),
    ],
)
def test_create_validates_like_the_admin(staff_token_client, body, field):
    response = staff_token_client.post(LIST_URL, body)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Source.objects.exists()


def test_a_url_already_used_is_refused(staff_token_client, failing):
    response = staff_token_client.post(LIST_URL, {"url": "https://ACME.example/feed.xml"})

    assert response.status_code == 400
    assert "url" in response.json()["error"]["fields"]
    assert Source.objects.count() == 1


def test_only_staff_create(api_client, token_client):
    body = {"url": "https://acme.example/feed"}

    assert api_client.post(LIST_URL, body).status_code == 401
    refused = token_client.post(LIST_URL, body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert not Source.objects.exists()


# ---------------------------------------------------------------- editing


def test_staff_edit_a_source(staff_token_client, failing):
    Source.objects.filter(pk=failing.pk).update(etag='"v1"', last_modified="yesterday")
    CompanyFactory(name="Beta", slug="beta")

    renamed = staff_token_client.patch(_url("detail", failing), {"name": "Acme blog"})

    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Acme blog"
    failing.refresh_from_db()
    assert failing.name == "Acme blog"
    assert failing.url == "https://acme.example/feed.xml"
    assert failing.etag == '"v1"'

    moved = staff_token_client.patch(
        _url("detail", failing), {"url": "https://acme.example/atom.xml", "company": "beta"}
    )

    assert moved.status_code == 200
    failing.refresh_from_db()
    assert failing.url == "https://acme.example/atom.xml"
    assert failing.company.slug == "beta"
    # Cache validators of the old address mean nothing for the new one.
    assert (failing.etag, failing.last_modified) == ("", "")


def test_edits_are_validated_and_leave_the_source_unchanged(staff_token_client, failing):
    SourceFactory(url="https://other.example/feed")
    for body in (
        {"url": "https://other.example/feed"},
        {"url": "mailto:a@b.example"},
        {"css_selector": "a[["},
        {"kind": "tv"},
    ):
        assert staff_token_client.patch(_url("detail", failing), body).status_code == 400
    # The status is not a field: pausing and resuming are actions of their own.
    assert (
        staff_token_client.patch(_url("detail", failing), {"status": "paused"}).json()["status"]
        == "error"
    )
    failing.refresh_from_db()
    assert failing.url == "https://acme.example/feed.xml"
    assert failing.css_selector == ""
    assert failing.status == Source.Status.ERROR


def test_only_staff_edit(api_client, token_client, failing):
    assert api_client.patch(_url("detail", failing), {"name": "x"}).status_code == 401
    assert token_client.patch(_url("detail", failing), {"name": "x"}).status_code == 403
    failing.refresh_from_db()
    assert failing.name == ""


def test_editing_an_unknown_source_is_404(staff_token_client):
    response = staff_token_client.patch(reverse("api:source-detail", args=[987654]), {"name": "x"})

    assert response.status_code == 404


# ---------------------------------------------------------------- pause, resume, fetch


def test_pause_and_resume(staff_token_client, failing, queued):
    paused = staff_token_client.post(_url("pause", failing))

    assert paused.status_code == 200
    assert paused.json()["status"] == "paused"
    failing.refresh_from_db()
    assert failing.status == Source.Status.PAUSED

    resumed = staff_token_client.post(_url("resume", failing))

    assert resumed.status_code == 200
    failing.refresh_from_db()
    assert failing.status == Source.Status.ACTIVE
    assert failing.consecutive_failures == 0
    assert failing.next_fetch_at <= timezone.now()
    assert resumed.json()["consecutive_failures"] == 0
    assert queued == []


def test_fetch_now_queues_the_fetch_after_commit(
    staff_token_client, failing, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_token_client.post(_url("fetch", failing))

    assert response.status_code == 202
    assert response.json()["id"] == failing.pk
    assert len(callbacks) == 1
    assert queued == [failing.pk]


def test_a_paused_source_is_not_fetched(
    staff_token_client, failing, queued, django_capture_on_commit_callbacks
):
    Source.objects.filter(pk=failing.pk).update(status=Source.Status.PAUSED)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_token_client.post(_url("fetch", failing))

    assert response.status_code == 409
    assert "paused" in response.json()["error"]["message"]
    assert queued == []


@pytest.mark.parametrize("action", ["pause", "resume", "fetch"])
def test_actions_permission_matrix(api_client, token_client, make_token_client, failing, action):
    other = make_token_client(UserFactory())

    assert api_client.post(_url(action, failing)).status_code == 401
    for client in (token_client, other):
        assert client.post(_url(action, failing)).status_code == 403
    failing.refresh_from_db()
    assert failing.status == Source.Status.ERROR
    assert failing.consecutive_failures == 4


@pytest.mark.parametrize("action", ["pause", "resume", "fetch"])
def test_actions_on_an_unknown_source_are_404(staff_token_client, action):
    response = staff_token_client.post(reverse(f"api:source-{action}", args=[987654]))

    assert response.status_code == 404


def test_reads_do_not_allow_other_methods(token_client, failing):
    assert token_client.delete(_url("detail", failing)).status_code in (403, 405)
    assert token_client.put(_url("detail", failing), {"url": "https://x.example"}).status_code in (
        403,
        405,
    )
    assert Source.objects.filter(pk=failing.pk).exists()
