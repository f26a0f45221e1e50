"""The Telegram section of the settings page (connect, disconnect) and the webhook.

The settings views act on ``request.user`` only; no URL or field names an account
or a link.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
)
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_ratelimit.decorators import ratelimit

from accounts.selectors import request_account
from config.htmx import render_htmx, wants_fragment
from config.ratelimit import rate_setting
from telegram_bot import selectors, services
from telegram_bot.deep_links import BotUnavailableError, bot_username, deep_link, qr_svg
from telegram_bot.sending import telegram_configured
from telegram_bot.webhook import (
    SECRET_HEADER,
    InvalidUpdateError,
    webhook_rate_limited,
    webhook_secret,
    webhook_update_handle,
)

# Each link is a fresh token; a person connecting needs one or two.
LINK_RATE = rate_setting("TELEGRAM_LINK_RATE")
# Telegram's updates are a few kilobytes; anything near this is not one.
MAX_UPDATE_BYTES = 512 * 1024


def _section_url() -> str:
    return f"{reverse('settings:index')}#telegram"


# ---------------------------------------------------------------- settings


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate=LINK_RATE, method="POST", block=False, group="telegram.link")
def link_create(request: HttpRequest) -> HttpResponse:
    """A new deep link and its QR code.

    The token is shown once and stored only hashed, so this POST answers with the
    page that shows it rather than redirecting to a page that could not.
    """
    if request.method != "POST":
        return redirect(_section_url())
    user = request_account(request)
    context: dict[str, Any] = {"telegram": selectors.telegram_settings_get(user=user)}
    status = 200
    if getattr(request, "limited", False):
        context["error"] = gettext(
            "You created many Telegram links recently. Please try again in an hour."
        )
        status = 429
    elif telegram_configured():
        try:
            username = bot_username()
        except BotUnavailableError:
            context["error"] = gettext(
                "Telegram cannot be reached right now. Please try again in a few minutes."
            )
            status = 503
        else:
            issued = services.link_token_create(user=user, now=timezone.now())
            url = deep_link(username=username, token=issued.token)
            context.update(
                bot_username=username,
                deep_link=url,
                expires_at=issued.expires_at,
                qr=qr_svg(url=url, title=gettext("QR code of the link to the Telegram bot")),
            )
    if wants_fragment(request):
        # htmx swaps only 2xx answers; the error is in the section it swaps in.
        response = render_htmx(request, "settings/_telegram.html", context)
    else:
        response = render_htmx(request, "telegram/connect.html", context, status=status)
    if status == 429:
        response["Retry-After"] = "3600"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def link_delete(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if services.telegram_link_delete(user=request_account(request)):
            messages.success(
                request, gettext("Telegram is disconnected. The bot will not write to you.")
            )
        else:
            messages.info(request, gettext("Telegram was not connected."))
        if wants_fragment(request):
            return HttpResponseClientRedirect(_section_url())
    return redirect(_section_url())


# ---------------------------------------------------------------- webhook


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Updates from Telegram, authenticated by the secret set with set_webhook."""
    secret = webhook_secret()
    if not secret or not telegram_configured():
        raise Http404
    if (too_many := webhook_rate_limited(request)) is not None:
        return too_many
    offered = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(offered.encode(), secret.encode()):
        return HttpResponseForbidden()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponseBadRequest()
    if length > MAX_UPDATE_BYTES:
        return HttpResponse(status=413)
    try:
        payload = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest()
    if not isinstance(payload, dict):
        return HttpResponseBadRequest()
    try:
        webhook_update_handle(payload=payload)
    except InvalidUpdateError:
        return HttpResponseBadRequest()
    return HttpResponse()
