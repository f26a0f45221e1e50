"""Commands that work without a linked account: /start and /help.

Handlers run on the event loop, so they stay clear of the ORM; commands that need the
database arrive with account linking.
"""

from collections.abc import Callable

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message, User
from django.conf import settings
from django.utils import translation

from telegram_bot.bot import texts


def build_router() -> Router:
    # An aiogram Router can be attached to only one parent, so every dispatcher
    # (one per process, several in tests) gets a router of its own.
    router = Router(name="basics")
    router.message.register(send_welcome, CommandStart())
    router.message.register(send_help, Command("help"))
    return router


async def send_welcome(message: Message) -> None:
    await message.answer(_render(texts.welcome_text, message.from_user))


async def send_help(message: Message) -> None:
    await message.answer(_render(texts.help_text, message.from_user))


def language_for(user: User | None) -> str:
    """The site language closest to the Telegram client's, or the default one.

    Telegram sends IETF tags such as "ru" or "en-GB"; Django maps them onto LANGUAGES,
    so "ru-RU" answers in Russian and "de" falls back to LANGUAGE_CODE.
    """
    code = user.language_code if user else None
    if code:
        try:
            return translation.get_supported_language_variant(code.lower())
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


def _render(text: Callable[[], str], user: User | None) -> str:
    with translation.override(language_for(user)):
        return text()
