"""Rate limits for authentication, kept in the shared cache.

Failed log-ins are counted twice, per client address and per account, so
neither spreading guesses across accounts nor across addresses gets around the
limit. Only failures count: a user who signs in successfully is never blocked.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

LOGIN_IP_GROUP = "accounts.login.ip"
LOGIN_ACCOUNT_GROUP = "accounts.login.account"


def _rate(group: str, request: HttpRequest) -> str:
    return str(settings.LOGIN_RATE)


def _account_key(group: str, request: HttpRequest) -> str:
    return request.POST.get("username", "").strip().lower() or "-"


def signup_rate(group: str, request: HttpRequest) -> str:
    return str(settings.SIGNUP_RATE)


def password_reset_rate(group: str, request: HttpRequest) -> str:
    return str(settings.PASSWORD_RESET_RATE)


def _limits(request: HttpRequest, *, increment: bool) -> list[bool]:
    results = []
    for group, key in ((LOGIN_IP_GROUP, "ip"), (LOGIN_ACCOUNT_GROUP, _account_key)):
        usage = get_usage(
            request, group=group, key=key, rate=_rate, method="POST", increment=increment
        )
        results.append(bool(usage and usage["count"] >= usage["limit"]))
    return results


def login_is_blocked(request: HttpRequest) -> bool:
    return any(_limits(request, increment=False))


def login_record_failure(request: HttpRequest) -> None:
    _limits(request, increment=True)
