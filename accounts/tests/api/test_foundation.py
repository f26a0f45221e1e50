"""What every endpoint shares: bearer authentication, the error format, throttling,
and the schema and its docs page."""

from __future__ import annotations

import datetime
import hashlib
import re
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api_tokens import (
    LAST_USED_RESOLUTION,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)
from accounts.models import ApiToken
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ME = reverse("api:me-detail")


def _bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _assert_error(response, status: int, code: str | None = None) -> Any:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == status
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


# ---------------------------------------------------------------- authentication


def test_anonymous_request_gets_401_with_a_bearer_challenge(api_client):
    response = api_client.get(ME)
    _assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_valid_token_authenticates(token_client):
    response = token_client.get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == token_client.account.email


def test_an_expired_token_is_refused(user):
    issued = api_token_create(
        user=user, name="old", expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    _assert_error(_bearer(issued.secret).get(ME), 401, "authentication_failed")


def test_a_token_that_expires_later_works(user):
    issued = api_token_create(
        user=user, name="soon", expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    assert _bearer(issued.secret).get(ME).status_code == 200


def test_a_revoked_token_is_refused(user):
    issued = api_token_create(user=user, name="gone")
    client = _bearer(issued.secret)
    assert client.get(ME).status_code == 200
    assert api_token_revoke(user=user, token_id=issued.token.pk)
    _assert_error(client.get(ME), 401, "authentication_failed")


@pytest.mark.parametrize(
    "header",
    [
        b"Bearer",
        b"Bearer ",
        b"Bearer aih_one aih_two",
        b"Bearer not-a-token",
        b"Bearer aih_" + b"x" * 200,
        b"Bearer aih_\xc3\xa9t\xc3\xa9",
        b"bearer aih_unknownunknownunknown",
    ],
)
def test_a_malformed_or_unknown_bearer_header_is_refused(user, header):
    client = APIClient()
    response = client.get(ME, HTTP_AUTHORIZATION=header.decode("latin-1"))
    _assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Bearer"


def test_another_scheme_is_treated_as_no_credentials(api_client):
    response = api_client.get(ME, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    _assert_error(response, 401, "not_authenticated")


def test_an_inactive_users_token_is_refused(user):
    issued = api_token_create(user=user, name="t")
    user.is_active = False
    user.save(update_fields=["is_active"])
    _assert_error(_bearer(issued.secret).get(ME), 401, "authentication_failed")


def test_the_token_lookup_loads_the_token_and_user_as_the_orm_does():
    user = UserFactory(full_name="Ada Lovelace", language="ru", timezone="Asia/Tokyo")
    expires = timezone.now() + datetime.timedelta(days=3)
    issued = api_token_create(user=user, name="ci", expires_at=expires)

    token = api_token_authenticate(secret=issued.secret)

    assert token is not None
    stored = ApiToken.objects.select_related("user").get(pk=issued.token.pk)
    for field in ApiToken._meta.concrete_fields:
        assert getattr(token, field.attname) == getattr(stored, field.attname), field.name
    for field in type(user)._meta.concrete_fields:
        assert getattr(token.user, field.attname) == getattr(stored.user, field.attname), field.name
    assert token.user.timezone == "Asia/Tokyo"
    assert token.expires_at == expires
    assert not token._state.adding
    assert token.user.pk == user.pk
    assert api_token_authenticate(secret=issued.secret + "x") is None


def test_use_is_recorded_at_most_once_a_minute(user):
    issued = api_token_create(user=user, name="t")
    client = _bearer(issued.secret)
    assert issued.token.last_used_at is None

    client.get(ME)
    first = ApiToken.objects.get(pk=issued.token.pk).last_used_at
    assert first is not None
    assert timezone.now() - first < datetime.timedelta(seconds=30)

    client.get(ME)
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == first

    earlier = timezone.now() - LAST_USED_RESOLUTION - datetime.timedelta(seconds=1)
    ApiToken.objects.filter(pk=issued.token.pk).update(last_used_at=earlier)
    client.get(ME)
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at > earlier


def test_only_the_sha256_of_a_token_is_stored(user):
    issued = api_token_create(user=user, name="hashed")
    token = ApiToken.objects.get(pk=issued.token.pk)
    assert token.key_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret.startswith(token.prefix)
    assert len(token.prefix) < len(issued.secret) // 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        rows = cursor.fetchall()
    stored = " ".join(str(value) for row in rows for value in row)
    assert issued.secret not in stored
    assert issued.secret[len(token.prefix) :] not in stored


def test_the_session_authenticates_the_browser(client, user):
    client.force_login(user)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["id"] == user.pk


# ---------------------------------------------------------------- the error format


def test_a_validation_error_lists_the_fields(token_client):
    error = _assert_error(token_client.post(reverse("api:tokens-list"), {}), 400, "invalid")
    assert set(error["fields"]) == {"name"}
    assert isinstance(error["fields"]["name"], list)


def test_a_session_write_without_csrf_is_a_json_403(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.patch(ME, {"full_name": "Changed"})
    error = _assert_error(response, 403, "permission_denied")
    assert "CSRF" in error["message"]
    user.refresh_from_db()
    assert user.full_name != "Changed"


def test_an_unknown_object_is_a_json_404(token_client):
    error = _assert_error(
        token_client.delete(reverse("api:tokens-detail", args=[987654])), 404, "not_found"
    )
    assert "fields" not in error


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/nope", "/api/v1/me/preferences/x/"])
def test_an_unknown_api_path_is_a_json_404(api_client, path):
    _assert_error(api_client.get(path), 404, "not_found")


def test_an_unsupported_method_is_a_json_405(token_client):
    _assert_error(token_client.delete(ME), 405, "method_not_allowed")


def test_a_body_that_is_not_json_is_a_json_error(token_client):
    response = token_client.generic("PATCH", ME, "{not json", content_type="application/json")
    _assert_error(response, 400, "parse_error")
    response = token_client.generic("PATCH", ME, "full_name=x", content_type="text/plain")
    _assert_error(response, 415, "unsupported_media_type")


# ---------------------------------------------------------------- throttling


def _assert_throttled(response) -> None:
    _assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_anonymous_clients_are_throttled_by_address(api_client, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "anon": "2/minute"}
    root = reverse("api:root")
    assert [api_client.get(root).status_code for _ in range(2)] == [200, 200]
    _assert_throttled(api_client.get(root))
    other_address = api_client.get(root, REMOTE_ADDR="203.0.113.9")
    assert other_address.status_code == 200


def test_accounts_are_throttled_each_on_its_own(make_token_client, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": "3/minute"}
    first = make_token_client(UserFactory())
    second = make_token_client(UserFactory())
    assert [first.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    _assert_throttled(first.get(ME))
    assert second.get(ME).status_code == 200


def test_raising_the_rate_takes_effect_without_a_restart(token_client, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": "1/minute"}
    token_client.get(ME)
    assert token_client.get(ME).status_code == 429
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": "100/minute"}
    assert token_client.get(ME).status_code == 200


# ---------------------------------------------------------------- schema and docs


def test_the_schema_is_public(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/preferences/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_docs_page_is_public_and_csp_clean(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="swagger-ui"' in html
    # Neither an inline script nor a style element or attribute: the CSP allows neither.
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert "<style" not in html
    assert "style=" not in html
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    stylesheets = re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', html)
    assert len(sources) == 3
    assert stylesheets
    for url in sources + stylesheets:
        # Vendored assets from /static/, and the start-up script from the page's own URL.
        assert url.startswith(("/static/", "/api/docs/")), url
    assert not any("//" in url for url in sources + stylesheets)


def test_the_docs_start_up_script_is_served(client):
    html = client.get("/api/docs/").content.decode()
    script = next(
        url for url in re.findall(r'<script[^>]*\bsrc="([^"]+)"', html) if "/api/docs/" in url
    )
    response = client.get(script.replace("&amp;", "&"))
    assert response.status_code == 200
    assert "SwaggerUIBundle" in response.content.decode()


@pytest.mark.parametrize("body", ["null", "[]", '"text"', "1", "{}", '{"x": 1}', "[{}]"])
@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("PATCH", "api:me-detail"),
        ("PUT", "api:me-preferences"),
        ("PATCH", "api:me-preferences"),
        ("POST", "api:tokens-list"),
        ("POST", "api:auth-register"),
        ("POST", "api:auth-token"),
    ],
)
def test_any_json_body_gets_an_answer_not_a_crash(token_client, method, name, body):
    response = token_client.generic(method, reverse(name), body, content_type="application/json")
    assert response.status_code in {200, 400}, response.content
    if response.status_code == 400:
        assert response.json()["error"]["code"] == "invalid"
