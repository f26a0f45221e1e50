"""The t.me deep link that carries a link token, its QR code, and the bot's username
it needs (asked of the Bot API with getMe and cached)."""

from __future__ import annotations

import asyncio
import logging

import segno
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.token import TokenValidationError
from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from telegram_bot.bot.factory import build_bot
from telegram_bot.sending import telegram_configured

logger = logging.getLogger(__name__)

BOT_USERNAME_CACHE_SECONDS = 60 * 60
# A QR module this many CSS pixels wide; with the quiet zone the code is ~200 px.
QR_SCALE = 4


class BotUnavailableError(Exception):
    """The bot is not configured, or the Bot API did not say who it is."""


def bot_username() -> str:
    """The bot's @username without the @, from getMe, cached for an hour.

    Raises BotUnavailableError when TELEGRAM_BOT_TOKEN is unset or malformed, or the
    Bot API cannot be reached or refuses the token; failures are not cached.
    """
    if not telegram_configured():
        raise BotUnavailableError("TELEGRAM_BOT_TOKEN is not set")
    token: str = settings.TELEGRAM_BOT_TOKEN
    # Keyed by the bot id (the token's public part), so a new bot is asked again.
    key = f"telegram:bot-username:{token.partition(':')[0]}"
    username = cache.get(key)
    if isinstance(username, str) and username:
        return username
    username = asyncio.run(_ask_username(token=token, api_base=settings.TELEGRAM_API_BASE))
    cache.set(key, username, BOT_USERNAME_CACHE_SECONDS)
    return username


async def _ask_username(*, token: str, api_base: str) -> str:
    try:
        bot = build_bot(token=token, api_base=api_base)
    except TokenValidationError as error:
        raise BotUnavailableError("TELEGRAM_BOT_TOKEN is malformed") from error
    try:
        me = await bot.get_me()
    except TelegramAPIError as error:
        logger.warning("getMe failed: %s", error)
        raise BotUnavailableError(str(error)) from error
    finally:
        await bot.session.close()
    if not me.username:
        raise BotUnavailableError("getMe returned no username")
    return me.username


def deep_link(*, username: str, token: str) -> str:
    return f"https://t.me/{username}?start={token}"


def qr_svg(*, url: str, title: str) -> SafeString:
    """Inline SVG markup of a QR code for `url`: no style attributes, so the page's
    content security policy needs no 'unsafe-inline'."""
    code = segno.make(url, error="m")
    # Dark on an explicit light background, so the code scans on a dark theme too.
    svg = code.svg_inline(
        scale=QR_SCALE,
        border=4,
        dark="#000",
        light="#fff",
        title=title,
        svgclass="telegram-qr",
        lineclass=None,
    )
    return mark_safe(svg)  # noqa: S308 (markup segno built, with the title escaped)
