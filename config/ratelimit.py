"""Client identity for rate limits, and the 429 answer when a limit is hit."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str:
    """The client address as seen by the outermost trusted proxy.

    Proxies append to X-Forwarded-For, so only the last TRUSTED_PROXY_COUNT entries
    were written by infrastructure we run; anything further left is whatever the
    client sent and must not be trusted, or a forged header would reset limits.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    remote_addr = str(request.META.get("REMOTE_ADDR", "") or "unknown")
    if proxies <= 0:
        return str(remote_addr)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote_addr
    return str(forwarded[-proxies])


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response


def rate_setting(name: str) -> Callable[[str, HttpRequest], str]:
    """A django-ratelimit rate read from settings.<name> on every request, so the
    environment sets it and tests can lower it."""

    def rate(group: str, request: HttpRequest) -> str:
        return str(getattr(settings, name))

    rate.__name__ = f"rate_from_{name.lower()}"
    return rate
