"""Sending prepared HTML messages to one Telegram chat, with typed errors.

No ORM here: callers (digest deliveries, alerts, the channel digest) record
progress and decide on retries. A chat gets its messages in order; when one
fails, the error says how many went out before it, so a retry resumes after
them instead of repeating them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import LinkPreviewOptions
from django.conf import settings

from telegram_bot.bot.factory import build_bot

# A flood wait up to this long is waited out in place; a longer one goes back to
# the caller's retry schedule so a worker is not held for minutes.
MAX_INLINE_RETRY_AFTER = 10.0


class SendError(Exception):
    def __init__(self, message: str, *, sent: int) -> None:
        super().__init__(message)
        self.sent = sent


class TransientSendError(SendError):
    """Worth retrying later: flood control, network trouble, Telegram's own errors."""

    def __init__(self, message: str, *, sent: int, retry_after: float | None = None) -> None:
        super().__init__(message, sent=sent)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """Retrying cannot help: the bot was blocked, the chat is gone, the text was refused."""


def telegram_configured() -> bool:
    return bool(settings.TELEGRAM_BOT_TOKEN)


def send_messages(
    *,
    chat_id: int | str,
    messages: Sequence[str],
    reply_markup: Any = None,
) -> int:
    """Send `messages` (Telegram HTML) to `chat_id` in order; returns how many were sent.

    `reply_markup` goes with the last message only. Raises TransientSendError or
    PermanentSendError carrying the number sent before the failure.
    """
    if not telegram_configured():
        raise PermanentSendError("Telegram is not configured (TELEGRAM_BOT_TOKEN).", sent=0)
    return asyncio.run(_send_all(chat_id=chat_id, messages=messages, reply_markup=reply_markup))


async def _send_all(*, chat_id: int | str, messages: Sequence[str], reply_markup: Any) -> int:
    bot = build_bot(token=settings.TELEGRAM_BOT_TOKEN, api_base=settings.TELEGRAM_API_BASE)
    bot.default = DefaultBotProperties(parse_mode=ParseMode.HTML)
    sent = 0
    try:
        for index, text in enumerate(messages):
            markup = reply_markup if index == len(messages) - 1 else None
            await _send_one(bot, chat_id=chat_id, text=text, reply_markup=markup, sent=sent)
            sent += 1
    finally:
        await bot.session.close()
    return sent


async def _send_one(
    bot: Bot, *, chat_id: int | str, text: str, reply_markup: Any, sent: int
) -> None:
    waited = False
    while True:
        try:
            await bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            return
        except TelegramRetryAfter as error:
            if waited or error.retry_after > MAX_INLINE_RETRY_AFTER:
                raise TransientSendError(
                    f"Flood control: retry after {error.retry_after} s",
                    sent=sent,
                    retry_after=float(error.retry_after),
                ) from error
            waited = True
            await asyncio.sleep(error.retry_after)
        except (TelegramForbiddenError, TelegramNotFound, TelegramUnauthorizedError) as error:
            raise PermanentSendError(error.message, sent=sent) from error
        except TelegramBadRequest as error:
            raise PermanentSendError(error.message, sent=sent) from error
        except (TelegramNetworkError, TelegramServerError) as error:
            raise TransientSendError(str(error), sent=sent) from error
