"""Linking a chat to an account: /start with a token from the settings page, a plain
/start that says whether the chat is linked, and /stop.

Only private chats link: the ids bound to the account are the sender's and the
chat's from the update, never anything typed. Each handler does its database work
and renders its reply in one sync function run through sync_to_async, so the ORM
stays off the event loop.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message, User
from asgiref.sync import sync_to_async
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from telegram_bot import selectors, services
from telegram_bot.bot import texts
from telegram_bot.bot.handlers import language_for
from telegram_bot.services import LinkOutcome


def build_linking_router() -> Router:
    # Included before the basic commands: this router owns /start in private chats.
    router = Router(name="linking")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(link_chat, CommandStart(deep_link=True))
    router.message.register(welcome, CommandStart())
    router.message.register(unlink_chat, Command("stop"))
    return router


async def link_chat(message: Message, command: CommandObject) -> None:
    if message.from_user is None:
        return
    reply = await sync_to_async(_link)(
        sender=message.from_user, chat_id=message.chat.id, token=command.args or ""
    )
    await message.answer(reply)


async def welcome(message: Message) -> None:
    if message.from_user is None:
        return
    await message.answer(await sync_to_async(_welcome)(sender=message.from_user))


async def unlink_chat(message: Message) -> None:
    if message.from_user is None:
        return
    await message.answer(await sync_to_async(_unlink)(sender=message.from_user))


def settings_url(section: str = "telegram") -> str:
    return f"{settings.SITE_URL}{reverse('settings:index')}#{section}"


def _link(*, sender: User, chat_id: int, token: str) -> str:
    result = services.telegram_link_consume_token(
        token=token.strip(),
        telegram_user_id=sender.id,
        chat_id=chat_id,
        username=sender.username or "",
        language_code=sender.language_code or "",
        now=timezone.now(),
    )
    # Only a successful link names an account, so only then is its language used:
    # a failed attempt must not reveal anything about whose token it was.
    account_language = result.link.user.language if result.link is not None else ""
    with translation.override(account_language or language_for(sender)):
        return _link_reply(result.outcome)


def _link_reply(outcome: LinkOutcome) -> str:
    params = {"url": settings_url()}
    if outcome is LinkOutcome.LINKED:
        return "\n\n".join(
            (
                gettext("Done! This chat is now connected to your account."),
                gettext(
                    "Digests and alerts you choose to get in Telegram will arrive here. "
                    "Choose Telegram in your digest settings: %(url)s"
                )
                % {"url": settings_url("digests")},
                gettext("Send /stop to disconnect this chat."),
            )
        )
    if outcome is LinkOutcome.EXPIRED:
        return (
            gettext(
                "This link has expired: a link works for 10 minutes. "
                "Make a new one on the settings page: %(url)s"
            )
            % params
        )
    if outcome is LinkOutcome.ALREADY_USED:
        return (
            gettext(
                "This link has already been used: each link works only once. "
                "To connect this chat, make a new one on the settings page: %(url)s"
            )
            % params
        )
    return (
        gettext(
            "This link is not valid. Open the whole link from the settings page, "
            "or make a new one there: %(url)s"
        )
        % params
    )


def _welcome(*, sender: User) -> str:
    link = selectors.telegram_link_for_telegram_user(telegram_user_id=sender.id)
    account_language = link.user.language if link is not None else ""
    with translation.override(account_language or language_for(sender)):
        if link is None:
            status = gettext(
                "To connect your account, open this page and press “Connect Telegram”: %(url)s"
            ) % {"url": settings_url()}
        else:
            status = gettext("This chat is connected to your account.")
        return f"{texts.welcome_text()}\n\n{status}"


def _unlink(*, sender: User) -> str:
    removed = services.telegram_link_delete_for_telegram_user(telegram_user_id=sender.id)
    if removed is None:
        with translation.override(language_for(sender)):
            return gettext(
                "This chat is not connected to an account, so there is nothing to disconnect."
            )
    with translation.override(removed.user.language or language_for(sender)):
        return gettext(
            "This chat is disconnected from your account: I will not send you digests "
            "or alerts any more. To connect again, use the settings page: %(url)s"
        ) % {"url": settings_url()}
