"""API throttles. Rates come from settings.API_THROTTLE_RATES on every request (not
once at import, as DRF's own classes do), so the environment and tests set them.
The counters live in the default cache, which is the shared Redis in production."""

from __future__ import annotations

from django.conf import settings
from rest_framework import throttling
from rest_framework.request import Request

from config.ratelimit import client_ip


class _RateFromSettings:
    scope: str | None

    def get_rate(self) -> str | None:
        rates: dict[str, str] = settings.API_THROTTLE_RATES
        return rates.get(self.scope or "")

    def get_ident(self, request: Request) -> str:
        # The same client address the web's rate limits use, proxies considered.
        return client_ip(request._request)


class AnonRateThrottle(_RateFromSettings, throttling.AnonRateThrottle):
    """Clients without credentials, per address."""


class UserRateThrottle(_RateFromSettings, throttling.UserRateThrottle):
    """Signed-in clients and tokens, per account."""


class AuthRateThrottle(_RateFromSettings, throttling.SimpleRateThrottle):
    """Sign-up and token creation with a password, per address, whoever asks."""

    scope = "auth"

    def get_cache_key(self, request: Request, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenCreateThrottle(UserRateThrottle):
    """Token creation by a signed-in account."""

    scope = "token_create"
