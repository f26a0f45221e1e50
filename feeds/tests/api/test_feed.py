from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from feeds import services
from feeds.models import FeedToken
from feeds.tests.factories import FeedTokenFactory

pytestmark = pytest.mark.django_db

URL = reverse("api:feed-detail")


def _path(url):
    return urlsplit(url).path


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_anonymous_clients_get_401(api_client, method):
    response = getattr(api_client, method)(URL)
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
    assert not FeedToken.objects.exists()


def test_without_a_feed_url(token_client):
    response = token_client.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "exists": False,
        "prefix": None,
        "created_at": None,
        "last_used_at": None,
    }


def test_create_returns_the_url_once_and_it_serves_the_feed(token_client, client, settings):
    settings.SITE_URL = "https://hub.example.com"

    created = token_client.post(URL)

    assert created.status_code == 201
    assert "no-store" in created["Cache-Control"]
    body = created.json()
    assert body["url"].startswith("https://hub.example.com/feeds/aif_")
    assert body["url"].endswith("/atom.xml")
    assert client.get(_path(body["url"])).status_code == 200
    state = token_client.get(URL).json()
    assert state["exists"] is True
    assert state["prefix"] == body["prefix"]
    assert body["url"].split("/")[-2].startswith(state["prefix"])
    assert state["created_at"] == body["created_at"]
    assert state["last_used_at"] is not None
    assert "url" not in state


def test_create_again_revokes_the_old_url(token_client, client):
    first = token_client.post(URL).json()["url"]
    second = token_client.post(URL).json()["url"]
    assert client.get(_path(first)).status_code == 404
    assert client.get(_path(second)).status_code == 200
    assert FeedToken.objects.filter(user=token_client.account).count() == 1


def test_delete_revokes_the_url(token_client, client):
    url = token_client.post(URL).json()["url"]

    response = token_client.delete(URL)

    assert response.status_code == 204
    assert client.get(_path(url)).status_code == 404
    assert token_client.get(URL).json()["exists"] is False
    assert token_client.delete(URL).status_code == 204


def test_each_account_sees_and_changes_only_its_own_feed(token_client, make_token_client):
    other = UserFactory()
    FeedTokenFactory(user=other, secret="aif_other-secret")
    before = FeedToken.objects.get(user=other)

    assert token_client.get(URL).json()["exists"] is False
    token_client.post(URL)
    token_client.delete(URL)

    after = FeedToken.objects.get(user=other)
    assert (after.pk, after.key_hash, after.created_at) == (
        before.pk,
        before.key_hash,
        before.created_at,
    )
    assert services.feed_token_use(secret="aif_other-secret").user == other
    assert make_token_client(other).get(URL).json()["prefix"] == before.prefix


def test_session_clients_can_use_it_too(client, user):
    client.force_login(user)
    assert client.get(URL).json()["exists"] is False


def test_create_is_throttled(token_client, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token_create": "2/hour"}
    assert token_client.post(URL).status_code == 201
    assert token_client.post(URL).status_code == 201
    response = token_client.post(URL)
    assert response.status_code == 429
    assert response["Retry-After"]
    # Reading is not throttled by the creation limit.
    assert token_client.get(URL).status_code == 200
