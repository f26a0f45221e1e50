"""Runs the Telegram bot with long polling, in one process, until SIGINT or SIGTERM."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import TelegramObject
from aiogram.utils.token import TokenValidationError
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from telegram_bot.bot.factory import build_bot, build_dispatcher
from telegram_bot.heartbeat import HeartbeatMiddleware, heartbeat_clear, heartbeat_path

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the Telegram bot with long polling until SIGINT or SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--drop-pending-updates",
            action="store_true",
            help="Discard the updates Telegram queued while the bot was not running.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        token: str = settings.TELEGRAM_BOT_TOKEN
        if not token:
            raise CommandError(
                "TELEGRAM_BOT_TOKEN is not set: put the token @BotFather gave you in the "
                "environment."
            )
        api_base: str = settings.TELEGRAM_API_BASE
        try:
            bot = build_bot(token=token, api_base=api_base)
        except TokenValidationError as error:
            # The message leaves the token out: command errors end up in logs.
            raise CommandError(
                "TELEGRAM_BOT_TOKEN is malformed: expected <digits>:<secret>, as @BotFather "
                "issues it."
            ) from error
        asyncio.run(
            _poll(bot, api_base=api_base, drop_pending_updates=options["drop_pending_updates"])
        )


async def _poll(bot: Bot, *, api_base: str, drop_pending_updates: bool) -> None:
    dispatcher = build_dispatcher()
    dispatcher.update.outer_middleware(_fresh_database_connection)
    heartbeat = heartbeat_path()
    bot.session.middleware(HeartbeatMiddleware(path=heartbeat))
    try:
        try:
            # bot.me() caches the answer, so the dispatcher does not ask getMe again.
            me = await bot.me()
        except TelegramUnauthorizedError as error:
            raise CommandError("The Bot API rejected TELEGRAM_BOT_TOKEN (Unauthorized).") from error
        except TelegramNetworkError as error:
            raise CommandError(f"Cannot reach the Bot API at {api_base}: {error}") from error
        logger.info("Telegram bot @%s (id %s) starts long polling", me.username, me.id)
        # getUpdates answers 409 Conflict while a webhook is set, so polling removes it.
        await bot.delete_webhook(drop_pending_updates=drop_pending_updates)
        # start_polling turns SIGINT and SIGTERM into a graceful stop and returns normally.
        await dispatcher.start_polling(bot)
    finally:
        # A stopped bot is not a healthy one, whatever the file's age.
        heartbeat_clear(path=heartbeat)
        await bot.session.close()
    logger.info("Telegram bot @%s stopped", me.username)


async def _fresh_database_connection(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    # Outside a request nothing retires a database connection that broke or outlived
    # CONN_MAX_AGE; without this, one database restart would fail every later update.
    # The handlers' ORM calls run in sync_to_async's single thread, and so does this.
    await sync_to_async(close_old_connections)()
    return await handler(event, data)
