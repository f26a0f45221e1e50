"""The accounts API: sign-up, personal tokens, the account and its preferences."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import (
    EMAIL_UNAVAILABLE,
    AccountSerializer,
    ApiTokenSerializer,
    IssuedTokenSerializer,
    PreferencesSerializer,
    RegisterSerializer,
    TokenCreateSerializer,
    TokenObtainSerializer,
    preferences_state,
)
from accounts.api_tokens import (
    IssuedToken,
    TooManyTokensError,
    api_token_create,
    api_token_list,
    api_token_revoke,
)
from accounts.models import User
from accounts.ratelimits import LOGIN_ACCOUNT_GROUP
from config.api.permissions import api_account
from config.api.schema import (
    INVALID,
    NO_PAGE,
    NOT_FOUND,
    THROTTLED,
    UNAUTHENTICATED,
    UNSUPPORTED_MEDIA,
)
from config.api.throttles import AuthRateThrottle, TokenCreateThrottle
from telegram_bot.selectors import telegram_link_get


def _issued(issued: IssuedToken) -> dict[str, Any]:
    token = issued.token
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "token": issued.secret,
    }


def _issue(*, user: User, name: str, expires_at: Any) -> IssuedToken:
    try:
        return api_token_create(user=user, name=name, expires_at=expires_at)
    except TooManyTokensError:
        raise exceptions.ValidationError(
            {"non_field_errors": [_("You have too many tokens. Revoke one you no longer use.")]}
        ) from None


# ---------------------------------------------------------------- sign-up and password exchange


class RegisterView(APIView):
    """Create an account. It starts unverified; a confirmation link is emailed."""

    # No authentication: sign-up needs none, and without the session there is no
    # CSRF check to trip over for a client that happens to hold a cookie.
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (AuthRateThrottle,)

    @extend_schema(
        operation_id="auth_register",
        request=RegisterSerializer,
        responses={201: AccountSerializer, 400: INVALID, 415: UNSUPPORTED_MEDIA, 429: THROTTLED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            with transaction.atomic():
                user = services.user_create(
                    email=data["email"], password=data["password"], full_name=data["full_name"]
                )
        except IntegrityError:  # the address was taken between the check and the insert
            raise exceptions.ValidationError({"email": [EMAIL_UNAVAILABLE]}) from None
        return Response(AccountSerializer(user).data, status=status.HTTP_201_CREATED)


def _account_key(email: str) -> Any:
    # The web log-in's per-account key (the submitted address, lower-cased), so
    # guesses made through the API and through the log-in page count together.
    normalized = email.strip().lower() or "-"
    return lambda group, request: normalized


def _login_rate(group: str, request: HttpRequest) -> str:
    return str(settings.LOGIN_RATE)


class TokenObtainView(APIView):
    """Exchange an email address and password for a new personal token."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (AuthRateThrottle,)

    @extend_schema(
        operation_id="auth_token",
        request=TokenObtainSerializer,
        responses={
            201: IssuedTokenSerializer,
            400: INVALID,
            415: UNSUPPORTED_MEDIA,
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenObtainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = _account_key(data["email"])
        usage = get_usage(
            request._request,
            group=LOGIN_ACCOUNT_GROUP,
            key=key,
            rate=_login_rate,
            method="POST",
        )
        if usage and usage["count"] >= usage["limit"]:
            raise exceptions.Throttled(wait=max(int(usage["time_left"]), 1))
        user = authenticate(request._request, username=data["email"], password=data["password"])
        if not isinstance(user, User):  # wrong password, no such account, or inactive
            get_usage(
                request._request,
                group=LOGIN_ACCOUNT_GROUP,
                key=key,
                rate=_login_rate,
                method="POST",
                increment=True,
            )
            raise exceptions.ValidationError(
                {"non_field_errors": [_("The email address and password do not match.")]}
            )
        issued = _issue(user=user, name=data["name"], expires_at=data["expires_at"])
        return Response(IssuedTokenSerializer(_issued(issued)).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- the account


class MeView(APIView):
    """Your account. The email address is changed on the settings page, which asks
    for your password and confirms the new address by email."""

    @extend_schema(
        operation_id="me_retrieve", responses={200: AccountSerializer, 401: UNAUTHENTICATED}
    )
    def get(self, request: Request) -> Response:
        return Response(AccountSerializer(api_account(request)).data)

    @extend_schema(
        operation_id="me_partial_update",
        request=AccountSerializer,
        responses={
            200: AccountSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            415: UNSUPPORTED_MEDIA,
        },
    )
    def patch(self, request: Request) -> Response:
        user = api_account(request)
        serializer = AccountSerializer(user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The settings page's service: a new time zone moves the next digest.
        services.user_update_settings(
            user=user,
            full_name=data.get("full_name", user.full_name),
            email=user.email,
            language=data.get("language", user.language),
            timezone=data.get("timezone", user.timezone),
        )
        return Response(AccountSerializer(user).data)


class PreferencesView(APIView):
    """What you follow, and when and how digests and alerts reach you. PUT replaces
    every field, PATCH the fields it names; a new schedule or time zone moves the
    next digest."""

    def _current(self, user: User) -> PreferencesSerializer:
        preferences = services.preferences_ensure(user=user)
        return PreferencesSerializer(preferences_state(user=user, preferences=preferences))

    def _submitted(self, user: User, data: Any, *, partial: bool) -> PreferencesSerializer:
        context = {
            "user": user,
            "preferences": services.preferences_ensure(user=user),
            "telegram_linked": telegram_link_get(user=user) is not None,
        }
        return PreferencesSerializer(data=data, partial=partial, context=context)

    @extend_schema(
        operation_id="me_preferences_retrieve",
        responses={200: PreferencesSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        return Response(self._current(api_account(request)).data)

    @extend_schema(
        operation_id="me_preferences_update",
        request=PreferencesSerializer,
        responses={
            200: PreferencesSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            415: UNSUPPORTED_MEDIA,
        },
    )
    def put(self, request: Request) -> Response:
        return self._save(request, partial=False)

    @extend_schema(
        operation_id="me_preferences_partial_update",
        request=PreferencesSerializer,
        responses={
            200: PreferencesSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            415: UNSUPPORTED_MEDIA,
        },
    )
    def patch(self, request: Request) -> Response:
        return self._save(request, partial=True)

    def _save(self, request: Request, *, partial: bool) -> Response:
        user = api_account(request)
        serializer = self._submitted(user, request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        sections: dict[str, Any] = serializer.validated_data
        # One transaction: a PUT is saved whole or not at all.
        with transaction.atomic():
            if "preferences" in sections:
                services.preferences_update(user=user, **sections["preferences"])
            if "digests" in sections:
                digests = sections["digests"]
                services.preferences_update_digests(
                    user=user, timezone_name=digests["timezone"], values=digests
                )
            if "alerts" in sections:
                services.preferences_update_alerts(user=user, values=sections["alerts"])
            if "language" in sections:
                services.user_set_language(user=user, language=sections["language"])
        return Response(self._current(user).data)


# ---------------------------------------------------------------- tokens


class TokenListView(GenericAPIView[Any]):
    """The signed-in account's tokens, newest first."""

    serializer_class = ApiTokenSerializer

    def get_throttles(self) -> list[BaseThrottle]:
        throttles = super().get_throttles()
        if self.request.method == "POST":
            throttles.append(TokenCreateThrottle())
        return throttles

    @extend_schema(
        operation_id="tokens_list",
        responses={200: ApiTokenSerializer(many=True), 401: UNAUTHENTICATED, 404: NO_PAGE},
    )
    def get(self, request: Request) -> Response:
        tokens = api_token_list(user=api_account(request))
        page = self.paginate_queryset(tokens)  # type: ignore[arg-type]
        return self.get_paginated_response(ApiTokenSerializer(page, many=True).data)

    @extend_schema(
        operation_id="tokens_create",
        request=TokenCreateSerializer,
        responses={
            201: IssuedTokenSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            415: UNSUPPORTED_MEDIA,
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        user = api_account(request)
        serializer = TokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        issued = _issue(user=user, name=data["name"], expires_at=data["expires_at"])
        return Response(IssuedTokenSerializer(_issued(issued)).data, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    """Revoke one of your tokens; it stops working at once."""

    @extend_schema(
        operation_id="tokens_destroy",
        responses={204: None, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def delete(self, request: Request, pk: int) -> Response:
        if not api_token_revoke(user=api_account(request), token_id=pk):
            raise exceptions.NotFound(_("You have no token with this id."))
        return Response(status=status.HTTP_204_NO_CONTENT)
