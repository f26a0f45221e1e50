"""GET/POST /api/v1/tokens/ and DELETE /api/v1/tokens/<id>/."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api_tokens import api_token_create, hash_secret
from accounts.models import ApiToken
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKENS = reverse("api:tokens-list")


def _detail(pk: int) -> str:
    return reverse("api:tokens-detail", args=[pk])


def test_the_list_shows_only_your_tokens_and_never_a_secret(token_client):
    user = token_client.account
    mine = api_token_create(
        user=user, name="ci", expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    other = api_token_create(user=UserFactory(), name="someone else's")
    response = token_client.get(TOKENS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2  # "ci" and the client's own token
    assert {row["name"] for row in body["results"]} == {"ci", "tests"}
    newest = body["results"][0]
    assert set(newest) == {"id", "name", "prefix", "created_at", "last_used_at", "expires_at"}
    assert newest["id"] == mine.token.pk
    assert newest["prefix"] == mine.token.prefix
    assert newest["expires_at"] is not None
    text = response.content.decode()
    assert mine.secret not in text
    assert mine.token.key_hash not in text
    assert other.token.name not in text
    assert other.token.key_hash not in text


def test_the_list_is_paginated(token_client):
    for number in range(3):
        api_token_create(user=token_client.account, name=f"t{number}")
    body = token_client.get(TOKENS, {"page_size": 2}).json()
    assert body["count"] == 4
    assert len(body["results"]) == 2
    assert body["next"]
    assert token_client.get(TOKENS, {"page": 9}).status_code == 404


def test_creating_a_token_shows_its_secret_once(token_client):
    response = token_client.post(TOKENS, {"name": " deploy bot ", "expires_in_days": 7})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "name", "prefix", "created_at", "expires_at", "token"}
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == token_client.account
    assert token.name == body["name"] == "deploy bot"
    assert token.key_hash == hash_secret(body["token"])
    expected = timezone.now() + datetime.timedelta(days=7)
    assert abs(token.expires_at - expected) < datetime.timedelta(minutes=1)

    new_client = APIClient()
    new_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert new_client.get(reverse("api:me-detail")).status_code == 200
    assert body["token"] not in token_client.get(TOKENS).content.decode()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x", "expires_at": "2000-01-01T00:00:00Z"},
        {"name": "x", "expires_in_days": -1},
        {"name": "x", "expires_in_days": "many"},
    ],
)
def test_bad_token_requests_create_nothing(token_client, body):
    assert token_client.post(TOKENS, body).status_code == 400
    assert ApiToken.objects.filter(user=token_client.account).count() == 1


def test_creation_is_throttled_but_listing_is_not(token_client, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token_create": "2/hour"}
    assert [token_client.post(TOKENS, {"name": "n"}).status_code for _ in range(2)] == [201, 201]
    response = token_client.post(TOKENS, {"name": "n"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert token_client.get(TOKENS).status_code == 200
    assert ApiToken.objects.filter(user=token_client.account).count() == 3


def test_revoking_a_token(token_client):
    issued = api_token_create(user=token_client.account, name="old")
    response = token_client.delete(_detail(issued.token.pk))
    assert response.status_code == 204
    assert not ApiToken.objects.filter(pk=issued.token.pk).exists()
    assert token_client.delete(_detail(issued.token.pk)).status_code == 404


def test_a_token_can_revoke_itself(token_client):
    own = ApiToken.objects.get(user=token_client.account)
    assert token_client.delete(_detail(own.pk)).status_code == 204
    assert token_client.get(TOKENS).status_code == 401


def test_anonymous_clients_can_do_nothing(api_client, user):
    issued = api_token_create(user=user, name="t")
    assert api_client.get(TOKENS).status_code == 401
    assert api_client.post(TOKENS, {"name": "x"}).status_code == 401
    assert api_client.delete(_detail(issued.token.pk)).status_code == 401
    assert ApiToken.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("who", ["other user", "staff"])
def test_another_accounts_token_is_a_404_and_stays(make_token_client, staff_token_client, who):
    owner = UserFactory()
    issued = api_token_create(user=owner, name="owner's")
    client = staff_token_client if who == "staff" else make_token_client(UserFactory())
    response = client.delete(_detail(issued.token.pk))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert ApiToken.objects.filter(pk=issued.token.pk).exists()
    assert issued.token.name not in client.get(TOKENS).content.decode()


def test_an_id_out_of_range_is_a_404(token_client):
    assert token_client.delete(_detail(10**30)).status_code == 404
