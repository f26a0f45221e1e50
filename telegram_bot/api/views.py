"""The Telegram link of the signed-in account: its state, a new deep link, unlinking.

Every route acts on request.user only; no path or field names an account or a link.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.permissions import api_account
from config.api.schema import UNAUTHENTICATED, error
from telegram_bot import selectors, services
from telegram_bot.api.serializers import TelegramDeepLinkSerializer, TelegramStatusSerializer
from telegram_bot.deep_links import BotUnavailableError, bot_username, deep_link
from telegram_bot.sending import telegram_configured
from telegram_bot.views import LINK_RATE


class TelegramUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Telegram cannot be reached right now. Please try again in a few minutes.")
    default_code = "telegram_unavailable"


class TelegramNotConfigured(exceptions.APIException):
    # A state of the site, not an outage: 409, so monitoring does not page anyone.
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Telegram is not set up on this site.")
    default_code = "telegram_not_configured"


class TelegramView(APIView):
    @extend_schema(responses={200: TelegramStatusSerializer, 401: UNAUTHENTICATED})
    def get(self, request: Request) -> Response:
        """Whether a Telegram chat is linked and digests go to it."""
        state = selectors.telegram_settings_get(user=api_account(request))
        link = state.link
        data = {
            "configured": state.configured,
            "linked": link is not None,
            "username": (link.username or None) if link else None,
            "linked_at": link.linked_at if link else None,
            "blocked": bool(link and link.blocked_at),
            "enabled": state.delivering,
        }
        return Response(TelegramStatusSerializer(data).data)

    @extend_schema(
        responses={
            204: OpenApiResponse(description=_("No chat is linked any more.")),
            401: UNAUTHENTICATED,
        }
    )
    def delete(self, request: Request) -> Response:
        """Unlink the Telegram chat; the bot stops writing to it. Idempotent."""
        services.telegram_link_delete(user=api_account(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TelegramLinkView(APIView):
    @extend_schema(
        request=None,
        responses={
            201: TelegramDeepLinkSerializer,
            401: UNAUTHENTICATED,
            409: error(_('This site has no Telegram bot (code "telegram_not_configured").')),
            429: error(_("Too many links; see Retry-After.")),
            503: error(_('Telegram cannot be reached (code "telegram_unavailable").')),
        },
    )
    def post(self, request: Request) -> Response:
        """A new single-use deep link to the bot, valid for ten minutes. Earlier links
        stop working. The token is shown only in this answer."""
        user = api_account(request)
        # The settings page's limit, counted in the same place: web and API links add up.
        if is_ratelimited(
            request._request,
            group="telegram.link",
            key="user",
            rate=LINK_RATE,
            method="POST",
            increment=True,
        ):
            raise exceptions.Throttled(
                wait=3600,
                detail=gettext(
                    "You created many Telegram links recently. Please try again in an hour."
                ),
            )
        if not telegram_configured():
            raise TelegramNotConfigured
        try:
            username = bot_username()
        except BotUnavailableError:
            raise TelegramUnavailable from None
        issued = services.link_token_create(user=user, now=timezone.now())
        data = {
            "deep_link": deep_link(username=username, token=issued.token),
            "token": issued.token,
            "expires_at": issued.expires_at,
            "bot_username": username,
        }
        return Response(TelegramDeepLinkSerializer(data).data, status=status.HTTP_201_CREATED)
