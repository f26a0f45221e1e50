"""Sending prepared HTML messages to one Telegram chat, with typed errors.

No ORM in the sending itself: callers (digest deliveries, alerts, the channel
digest) record progress and decide on retries. A chat gets its messages in
order; when one fails, the error says how many went out before it, so a retry
resumes after them instead of repeating them. A message counts as sent only
once Telegram has accepted it.

Every message waits for its turn with the shared rate limiter first
(telegram_rate_limits), so all workers together stay within Telegram's limits.
What Telegram answers besides success:

- 429 flood control: a short wait is waited out and the message sent again; a
  long one, or a second one, goes back to the caller with its retry_after;
- 403 (the user blocked the bot or was deactivated, the bot left the group):
  PermanentSendError, and the chat's link is marked blocked, so nothing more is
  sent to it until its user links again;
- 400 "can't parse entities": the message goes out again as plain text, its
  links written out in parentheses.

Flood waits, plain-text fallbacks and refusals are recorded as TelegramEvents
once the messages are sent, in the caller's thread (and transaction).

The sending itself runs on one event loop per process, in a background thread,
with one Bot whose connections to Telegram are kept alive and shared by every
thread that sends: a Bot per call would cost an SSL context and a new
connection per message, and aiogram waits a quarter second when closing one.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
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
from django.utils import timezone

from config.metrics.events import telegram_sends_recorded
from telegram_bot.bot.factory import build_bot
from telegram_bot.models import TelegramEvent
from telegram_bot.rate_limits import (
    RateLimiterUnavailableError,
    TelegramRateLimiter,
    telegram_rate_limiter,
)

# A flood wait up to this long is waited out in place; a longer one goes back to
# the caller's retry schedule so a worker is not held for minutes.
MAX_INLINE_RETRY_AFTER = 10.0
# Telegram's limit on a message's text after entity parsing, in UTF-16 code units.
MESSAGE_LIMIT = 4096
_PARSE_ERROR = "can't parse entities"

_T = TypeVar("_T")


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


@dataclass
class _Incidents:
    """What happened during a send that operators should see, recorded afterwards."""

    events: list[tuple[TelegramEvent.Kind, str]] = field(default_factory=list)
    # Telegram's description when it refused the chat (403).
    refused: str | None = None
    sent: int = 0


def send_messages(
    *,
    chat_id: int | str,
    messages: Sequence[str],
    reply_markup: Any = None,
) -> int:
    """Send `messages` (Telegram HTML) to `chat_id` in order; returns how many were sent.

    `reply_markup` goes with the last message only. Raises TransientSendError or
    PermanentSendError carrying the number sent before the failure. Must not be
    called from a running event loop.
    """
    if not telegram_configured():
        raise PermanentSendError("Telegram is not configured (TELEGRAM_BOT_TOKEN).", sent=0)
    incidents = _Incidents()
    try:
        return _BOT_LOOP.run(
            _send_all(
                token=settings.TELEGRAM_BOT_TOKEN,
                api_base=settings.TELEGRAM_API_BASE,
                chat_id=chat_id,
                messages=messages,
                reply_markup=reply_markup,
                limiter=telegram_rate_limiter(),
                incidents=incidents,
            )
        )
    finally:
        _record(chat_id=chat_id, incidents=incidents)


def _record(*, chat_id: int | str, incidents: _Incidents) -> None:
    from telegram_bot.services import telegram_event_record, telegram_link_block

    now = timezone.now()
    telegram_sends_recorded(
        sent=incidents.sent,
        rate_limited=sum(kind == TelegramEvent.Kind.RETRY_AFTER for kind, _ in incidents.events),
    )
    for kind, detail in incidents.events:
        telegram_event_record(kind=kind, chat_id=chat_id, detail=detail, now=now)
    if incidents.refused is not None:
        telegram_link_block(chat_id=chat_id, reason=incidents.refused, now=now)


class _BotLoop:
    """The process's sending loop and its Bot, started on first use.

    The Bot is touched only from the loop, so it needs no lock; a new token or
    API address (tests) replaces it. A forked child (a Celery prefork worker)
    starts a loop of its own: the parent's thread does not survive the fork.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._bot: Bot | None = None
        self._bot_key: tuple[str, str] = ("", "")

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running_loop())
        try:
            return future.result()
        except BaseException:
            # A task's time limit or a shutdown interrupts the wait: stop the
            # sending too, so it cannot go on behind the caller's back.
            future.cancel()
            raise

    async def bot(self, *, token: str, api_base: str) -> Bot:
        if self._bot is not None and self._bot_key != (token, api_base):
            # Replaced before the await, so a concurrent send cannot close it twice
            # or lose the new one.
            old, self._bot = self._bot, None
            await old.session.close()
        if self._bot is None:
            self._bot = build_bot(token=token, api_base=api_base)
            self._bot_key = (token, api_base)
        return self._bot

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="telegram-sending", daemon=True
                ).start()
                self._loop, self._pid, self._bot = loop, os.getpid(), None
            return self._loop

    def close(self) -> None:
        with self._lock:
            loop, bot = self._loop, self._bot
            if loop is None or bot is None or self._pid != os.getpid():
                return
            self._bot = None
        asyncio.run_coroutine_threadsafe(bot.session.close(), loop).result(timeout=5)


_BOT_LOOP = _BotLoop()
atexit.register(_BOT_LOOP.close)


async def _send_all(
    *,
    token: str,
    api_base: str,
    chat_id: int | str,
    messages: Sequence[str],
    reply_markup: Any,
    limiter: TelegramRateLimiter,
    incidents: _Incidents,
) -> int:
    bot = await _BOT_LOOP.bot(token=token, api_base=api_base)
    sent = 0
    for index, text in enumerate(messages):
        await _send_one(
            bot,
            limiter,
            chat_id=chat_id,
            text=text,
            reply_markup=reply_markup if index == len(messages) - 1 else None,
            sent=sent,
            incidents=incidents,
        )
        sent += 1
        incidents.sent = sent
    return sent


async def _send_one(
    bot: Bot,
    limiter: TelegramRateLimiter,
    *,
    chat_id: int | str,
    text: str,
    reply_markup: Any,
    sent: int,
    incidents: _Incidents,
) -> None:
    parse_mode: ParseMode | None = ParseMode.HTML
    waited = False
    while True:
        try:
            await limiter.wait_turn(chat_id)
        except RateLimiterUnavailableError as error:
            raise TransientSendError(str(error), sent=sent) from error
        try:
            await bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=parse_mode,
                reply_markup=reply_markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            return
        except TelegramRetryAfter as error:
            incidents.events.append(
                (TelegramEvent.Kind.RETRY_AFTER, f"retry after {error.retry_after} s")
            )
            if waited or error.retry_after > MAX_INLINE_RETRY_AFTER:
                raise TransientSendError(
                    f"Flood control: retry after {error.retry_after} s",
                    sent=sent,
                    retry_after=float(error.retry_after),
                ) from error
            waited = True
            await asyncio.sleep(error.retry_after)
        except TelegramForbiddenError as error:
            incidents.refused = error.message
            raise PermanentSendError(error.message, sent=sent) from error
        except (TelegramNotFound, TelegramUnauthorizedError) as error:
            raise PermanentSendError(error.message, sent=sent) from error
        except TelegramBadRequest as error:
            if parse_mode is None or _PARSE_ERROR not in error.message.lower():
                raise PermanentSendError(error.message, sent=sent) from error
            incidents.events.append((TelegramEvent.Kind.PLAIN_TEXT_FALLBACK, error.message))
            text, parse_mode = plain_text_fallback(text), None
        except (TelegramNetworkError, TelegramServerError) as error:
            raise TransientSendError(str(error), sent=sent) from error
        except TelegramAPIError as error:
            # An answer this code does not know (a migrated group, a new error):
            # the caller's bounded retries decide, rather than an unhandled crash
            # that would lose the count of messages already sent.
            raise TransientSendError(error.message, sent=sent) from error


# ---------------------------------------------------------------- plain text


class _PlainText(HTMLParser):
    def __init__(self, *, with_links: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.with_links = with_links
        self.parts: list[str] = []
        self._open_links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open_links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag != "a" or not self._open_links:
            return
        href, start = self._open_links.pop()
        label = "".join(self.parts[start:]).strip()
        if self.with_links and href and href != label:
            self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str, *, with_links: bool = True) -> str:
    """The text of Telegram HTML without its markup, entities decoded, and each
    link's address in parentheses after its text."""
    parser = _PlainText(with_links=with_links)
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def plain_text_fallback(html: str) -> str:
    """What goes out when Telegram cannot parse `html`: its plain text, within the
    message limit. Link addresses are the first thing dropped when it would not fit;
    the text itself was within the limit as HTML, so it fits without them."""
    with_links = plain_text(html)
    if _telegram_length(with_links) <= MESSAGE_LIMIT:
        return with_links
    return _truncated(plain_text(html, with_links=False), MESSAGE_LIMIT)


def _telegram_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _truncated(text: str, limit: int) -> str:
    if _telegram_length(text) <= limit:
        return text
    kept, used = [], 0
    for character in text:
        used += 2 if ord(character) > 0xFFFF else 1
        if used > limit - 1:
            break
        kept.append(character)
    return "".join(kept) + "…"
