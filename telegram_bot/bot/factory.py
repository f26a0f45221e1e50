"""Builds the aiogram objects from values the caller passes in.

Nothing here reads django.conf: the management command passes the settings, and
tests pass the address of a local fake Bot API.
"""

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from telegram_bot.bot.commands import build_commands_router
from telegram_bot.bot.handlers import build_router
from telegram_bot.bot.linking import build_linking_router
from telegram_bot.bot.request_ids import UpdateRequestIdMiddleware


def build_bot(*, token: str, api_base: str) -> Bot:
    """A Bot whose every request goes to `api_base` (for example https://api.telegram.org).

    Raises aiogram's TokenValidationError when the token is not shaped like "<digits>:<secret>".
    """
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    return Bot(token=token, session=session)


def build_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()
    dispatcher.update.outer_middleware(UpdateRequestIdMiddleware())
    dispatcher.include_router(build_linking_router())
    dispatcher.include_router(build_router())
    dispatcher.include_router(build_commands_router())
    return dispatcher
