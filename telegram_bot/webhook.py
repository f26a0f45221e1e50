"""Updates Telegram posts to the webhook, handled by the same dispatcher as polling."""

from __future__ import annotations

import logging
from typing import Any

from aiogram.types import Update
from asgiref.sync import async_to_sync
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import is_ratelimited

from config.ratelimit import rate_setting
from telegram_bot.bot.factory import build_bot, build_dispatcher

logger = logging.getLogger(__name__)

# Telegram sends this header with every webhook request when setWebhook was given a
# secret_token (manage.py set_webhook always gives one).
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


def webhook_secret() -> str:
    """The shared secret, or "" when the webhook is disabled."""
    return str(getattr(settings, "TELEGRAM_WEBHOOK_SECRET", "") or "")


def webhook_rate_limited(request: HttpRequest) -> HttpResponse | None:
    """A 429 when the sender's address posted more than TELEGRAM_WEBHOOK_RATE, else None.

    Counted before the secret is checked, so guessing the secret is limited too.
    Telegram retries an update that got a 429 later, so nothing is lost.
    """
    if not is_ratelimited(
        request,
        group="telegram.webhook",
        key="ip",
        rate=rate_setting("TELEGRAM_WEBHOOK_RATE"),
        method="POST",
        increment=True,
    ):
        return None
    response = HttpResponse(status=429)
    response["Retry-After"] = "60"
    return response


class InvalidUpdateError(ValueError):
    """The payload is JSON but not a Telegram Update."""


def webhook_update_handle(*, payload: dict[str, Any]) -> None:
    """Run one update through the bot's dispatcher and send its replies.

    A handler that fails is logged and the update counts as handled, as in polling:
    Telegram redelivers an update until it gets a 2xx answer, and a failing handler
    would otherwise hold up every later update. Raises InvalidUpdateError when
    `payload` is not an Update.

    async_to_sync, unlike asyncio.run, runs the handlers' sync_to_async ORM calls
    in the calling thread, on the request's own database connection.
    """
    async_to_sync(_feed)(payload)


async def _feed(payload: dict[str, Any]) -> None:
    bot = build_bot(token=settings.TELEGRAM_BOT_TOKEN, api_base=settings.TELEGRAM_API_BASE)
    try:
        try:
            update = Update.model_validate(payload, context={"bot": bot})
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            raise InvalidUpdateError(str(error)) from error
        try:
            await build_dispatcher().feed_update(bot, update)
        except Exception:
            logger.exception("Telegram update %s failed in a handler", update.update_id)
    finally:
        await bot.session.close()
