"""Points Telegram at this site's webhook: `manage.py set_webhook https://host/telegram/webhook/`."""

import asyncio
import re
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.token import TokenValidationError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from telegram_bot.bot.factory import build_bot, build_dispatcher
from telegram_bot.webhook import webhook_secret

# What Telegram accepts as secret_token.
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Command(BaseCommand):
    help = (
        "Tell Telegram to POST updates to URL, authenticated with TELEGRAM_WEBHOOK_SECRET. "
        "Stop `runbot` first: it removes the webhook when it starts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="The public HTTPS address of /telegram/webhook/.")
        parser.add_argument(
            "--drop-pending-updates",
            action="store_true",
            help="Discard the updates Telegram queued before the webhook was set.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url: str = options["url"]
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise CommandError(f"Telegram delivers webhooks over HTTPS only; got {url!r}.")
        secret = webhook_secret()
        if not secret:
            raise CommandError(
                "TELEGRAM_WEBHOOK_SECRET is not set: without it the webhook endpoint is "
                "disabled and would refuse every update."
            )
        if not SECRET_TOKEN.fullmatch(secret):
            raise CommandError(
                "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -."
            )
        bot = bot_from_settings()
        asyncio.run(
            _set(bot, url=url, secret=secret, drop_pending_updates=options["drop_pending_updates"])
        )
        self.stdout.write(f"Telegram now sends updates to {url}")


async def _set(bot: Bot, *, url: str, secret: str, drop_pending_updates: bool) -> None:
    try:
        await bot.set_webhook(
            url=url,
            secret_token=secret,
            # The update types the handlers use, as polling asks for.
            allowed_updates=build_dispatcher().resolve_used_update_types(),
            drop_pending_updates=drop_pending_updates,
        )
    except TelegramAPIError as error:
        raise CommandError(f"setWebhook failed: {error}") from error
    finally:
        await bot.session.close()


def bot_from_settings() -> Bot:
    token: str = settings.TELEGRAM_BOT_TOKEN
    if not token:
        raise CommandError("TELEGRAM_BOT_TOKEN is not set.")
    try:
        return build_bot(token=token, api_base=settings.TELEGRAM_API_BASE)
    except TokenValidationError as error:
        # The message leaves the token out: command errors end up in logs.
        raise CommandError("TELEGRAM_BOT_TOKEN is malformed.") from error
