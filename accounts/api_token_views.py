"""The API tokens page of the settings: list, create (the secret shown once), revoke.

The secret exists only in the response to the creating POST: it is never put in a
URL, the session or a flash message, and that response is marked uncacheable.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from accounts.api_token_forms import ApiTokenCreateForm, ApiTokenRevokeForm
from accounts.api_tokens import (
    IssuedToken,
    TooManyTokensError,
    api_token_create,
    api_token_list,
    api_token_revoke,
)
from accounts.models import User
from accounts.selectors import request_account
from config.ratelimit import rate_limited

TEMPLATE = "settings/api_tokens.html"


def _token_creation_rate(group: str, request: HttpRequest) -> str:
    # One limit for creating tokens, here and through the API.
    return str(settings.API_THROTTLE_RATES["token_create"])


def _render(
    request: HttpRequest,
    *,
    user: User,
    form: ApiTokenCreateForm | None = None,
    issued: IssuedToken | None = None,
) -> HttpResponse:
    tokens = api_token_list(user=user)
    confirm_id = request.GET.get("revoke", "")
    context: dict[str, Any] = {
        "tokens": tokens,
        "form": form or ApiTokenCreateForm(),
        "issued": issued,
        # The token whose revocation awaits confirmation (?revoke=<id>), if it is the user's.
        "confirm_token": next((token for token in tokens if str(token.pk) == confirm_id), None),
    }
    return render(request, TEMPLATE, context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    user = request_account(request)
    if request.method != "POST":
        return _render(request, user=user)
    if "revoke" in request.POST:
        return _revoke(request, user=user)

    form = ApiTokenCreateForm(request.POST)
    if not form.is_valid():
        return _render(request, user=user, form=form)
    if is_ratelimited(
        request,
        group="settings.api_token_create",
        key="user",
        rate=_token_creation_rate,
        method="POST",
        increment=True,
    ):
        return rate_limited(request)
    try:
        issued = api_token_create(
            user=user, name=form.cleaned_data["name"], expires_at=form.expires_at()
        )
    except TooManyTokensError:
        form.add_error(None, _("You have too many tokens. Revoke one you no longer use."))
        return _render(request, user=user, form=form)
    # Rendered, not redirected: this response is the only place the secret appears.
    return _render(request, user=user, issued=issued)


def _revoke(request: HttpRequest, *, user: User) -> HttpResponse:
    form = ApiTokenRevokeForm(request.POST)
    if not form.is_valid() or not api_token_revoke(
        user=user, token_id=form.cleaned_data["token_id"]
    ):
        raise Http404("no such token")
    messages.success(request, _("The token has been revoked."))
    return redirect("settings:api_tokens")
