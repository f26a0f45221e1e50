"""`Authorization: Bearer <token>` with a personal API token."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts.api_tokens import api_token_authenticate
from accounts.middleware import activate_user_language
from accounts.models import ApiToken, User


class BearerTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # no token offered: other schemes (the session) may apply
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as: Bearer <token>."))
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = api_token_authenticate(secret=secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        # The middleware that applies the account's language ran before the token
        # was read, when the request still looked anonymous.
        activate_user_language(request._request, token.user)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes unauthenticated requests 401 with a challenge rather than 403.
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A personal API token."}
