"""The API tokens page of the settings, and tokens in the admin."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.api_tokens import MAX_TOKENS_PER_USER, api_token_create, hash_secret
from accounts.models import ApiToken
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("settings:api_tokens")


def _secret_in(html: str) -> str:
    match = re.search(r'id="new-token" value="([^"]+)"', html)
    assert match, "no new token on the page"
    return match.group(1)


def test_the_page_needs_a_signed_in_user(client):
    for method in (client.get, client.post):
        response = method(PAGE)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_the_page_lists_only_your_tokens(auth_client, user):
    api_token_create(
        user=user, name="Dashboard sync", expires_at=timezone.now() + datetime.timedelta(days=3)
    )
    expired = api_token_create(
        user=user, name="Old script", expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    ApiToken.objects.filter(pk=expired.token.pk).update(last_used_at=timezone.now())
    api_token_create(user=UserFactory(), name="Someone else's")
    response = auth_client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dashboard sync" in html
    assert "Old script" in html
    assert "Someone else" not in html
    assert f"<code>{expired.token.prefix}…</code>" in html
    assert "Expired" in html
    assert "Never" in html  # the first token was never used
    assert 'id="new-token"' not in html
    # Strict CSP: no inline scripts or styles.
    assert "style=" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None


def test_the_page_has_no_tokens_yet(auth_client):
    assert "You have no API tokens." in auth_client.get(PAGE).content.decode()


def test_creating_a_token_shows_the_secret_once(auth_client, user):
    response = auth_client.post(PAGE, {"name": "Deploy bot", "expires_in_days": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = _secret_in(response.content.decode())
    token = ApiToken.objects.get(user=user)
    assert token.name == "Deploy bot"
    assert token.key_hash == hash_secret(secret)
    expected = timezone.now() + datetime.timedelta(days=30)
    assert abs(token.expires_at - expected) < datetime.timedelta(minutes=1)
    # Nowhere else: not in the session, and not on the next page.
    assert secret not in str(dict(auth_client.session))
    assert secret not in auth_client.get(PAGE).content.decode()


def test_the_new_token_works_with_the_api(auth_client):
    secret = _secret_in(auth_client.post(PAGE, {"name": "cli"}).content.decode())
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get(reverse("api:me-detail")).status_code == 200
    assert ApiToken.objects.get().expires_at is None


@pytest.mark.parametrize(
    "data",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"name": "ok", "expires_in_days": "0"},
        {"name": "ok", "expires_in_days": "99999"},
        {"name": "ok", "expires_in_days": "soon"},
    ],
)
def test_an_invalid_form_creates_nothing(auth_client, data):
    response = auth_client.post(PAGE, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'id="new-token"' not in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_token_cap_is_explained(auth_client, user):
    for number in range(MAX_TOKENS_PER_USER):
        api_token_create(user=user, name=f"t{number}")
    response = auth_client.post(PAGE, {"name": "one more"})
    assert "too many tokens" in response.content.decode()
    assert ApiToken.objects.filter(user=user).count() == MAX_TOKENS_PER_USER


def test_creation_is_rate_limited(auth_client, user, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token_create": "2/hour"}
    for _ in range(2):
        assert auth_client.post(PAGE, {"name": "n"}).status_code == 200
    response = auth_client.post(PAGE, {"name": "n"})
    assert response.status_code == 429
    assert ApiToken.objects.filter(user=user).count() == 2
    # Revoking is not creating: it stays possible.
    token = ApiToken.objects.filter(user=user).first()
    response = auth_client.post(PAGE, {"revoke": "1", "token_id": token.pk})
    assert response.status_code == 302


def test_revoking_asks_for_confirmation_first(auth_client, user):
    issued = api_token_create(user=user, name="Nightly export")
    html = auth_client.get(PAGE).content.decode()
    assert f"?revoke={issued.token.pk}" in html
    assert 'id="revoke-confirm"' not in html

    html = auth_client.get(PAGE, {"revoke": issued.token.pk}).content.decode()
    assert 'id="revoke-confirm"' in html
    assert "Anything that uses it stops working at once." in html
    assert f'name="token_id" value="{issued.token.pk}"' in html
    assert ApiToken.objects.filter(pk=issued.token.pk).exists()


def test_revoking_deletes_the_token(auth_client, user):
    issued = api_token_create(user=user, name="Nightly export")
    response = auth_client.post(PAGE, {"revoke": "1", "token_id": issued.token.pk})
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert not ApiToken.objects.filter(pk=issued.token.pk).exists()
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["The token has been revoked."]


def test_another_users_token_can_be_neither_confirmed_nor_revoked(auth_client):
    other = api_token_create(user=UserFactory(), name="Not yours")
    html = auth_client.get(PAGE, {"revoke": other.token.pk}).content.decode()
    assert 'id="revoke-confirm"' not in html
    assert "Not yours" not in html
    response = auth_client.post(PAGE, {"revoke": "1", "token_id": other.token.pk})
    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=other.token.pk).exists()


@pytest.mark.parametrize("token_id", ["", "abc", "-1", "9" * 40])
def test_a_bad_revocation_is_a_404(auth_client, user, token_id):
    api_token_create(user=user, name="keep")
    response = auth_client.post(PAGE, {"revoke": "1", "token_id": token_id})
    assert response.status_code == 404
    assert ApiToken.objects.filter(user=user).count() == 1


def test_the_settings_page_links_to_the_tokens_page(auth_client):
    html = auth_client.get(reverse("settings:index")).content.decode()
    assert f'href="{PAGE}"' in html


# ---------------------------------------------------------------- admin


def test_the_admin_lists_tokens_read_only(client, user):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    issued = api_token_create(user=user, name="Listed token")
    client.force_login(admin_user)
    changelist = reverse("admin:accounts_apitoken_changelist")
    response = client.get(changelist)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Listed token" in html
    assert user.email in html
    assert issued.token.key_hash not in html
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    detail = client.get(reverse("admin:accounts_apitoken_change", args=[issued.token.pk]))
    assert detail.status_code == 200
    assert issued.token.key_hash not in detail.content.decode()
    client.post(
        reverse("admin:accounts_apitoken_change", args=[issued.token.pk]), {"name": "renamed"}
    )
    assert ApiToken.objects.get(pk=issued.token.pk).name == "Listed token"
