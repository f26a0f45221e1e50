"""Applies a signed-in user's own language and time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


def activate_user_language(request: HttpRequest, user: object) -> None:
    """The account's own language wins over the browser's Accept-Language."""
    language = getattr(user, "language", "")
    if getattr(user, "is_authenticated", False) and language:
        translation.activate(language)
        request.LANGUAGE_CODE = language


def activate_user_timezone(user: object) -> None:
    name = getattr(user, "timezone", "")
    if getattr(user, "is_authenticated", False) and name:
        try:
            timezone.activate(zoneinfo.ZoneInfo(name))
            return
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    timezone.deactivate()


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        activate_user_language(request, getattr(request, "user", None))
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Dates render in the signed-in user's time zone; everyone else sees UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            # API times are always UTC; views that reason in the user's days
            # (digest periods) convert explicitly.
            timezone.deactivate()
        else:
            activate_user_timezone(getattr(request, "user", None))
        return self.get_response(request)
