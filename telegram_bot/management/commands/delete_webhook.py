"""Stops webhook delivery, so updates wait for `runbot` (long polling) instead."""

import asyncio
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from telegram_bot.management.commands.set_webhook import bot_from_settings


class Command(BaseCommand):
    help = "Remove the webhook; updates then wait for `runbot`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--drop-pending-updates",
            action="store_true",
            help="Discard the updates Telegram has queued.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bot = bot_from_settings()
        asyncio.run(_delete(bot, drop_pending_updates=options["drop_pending_updates"]))
        self.stdout.write("Webhook removed.")


async def _delete(bot: Bot, *, drop_pending_updates: bool) -> None:
    try:
        await bot.delete_webhook(drop_pending_updates=drop_pending_updates)
    except TelegramAPIError as error:
        raise CommandError(f"deleteWebhook failed: {error}") from error
    finally:
        await bot.session.close()
