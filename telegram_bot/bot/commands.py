"""Commands and buttons for linked accounts: digests, latest news, companies, settings.

Handlers stay on the event loop and reach the database only through
command_services, via sync_to_async. They answer in private chats only: a digest or
a list of followed companies is nobody else's business.

Every command and button needs a linked account; LinkedAccount looks it up after a
handler's filters matched (so updates meant for other routers, such as /start with
a link token, pass by untouched) and gives the handler `account`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape
from typing import Any, ParamSpec, TypeVar

from aiogram import Bot, F, Router
from aiogram.enums import ChatType, ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    TelegramObject,
)
from aiogram.types import User as TelegramUser
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone, translation

from accounts.models import User
from telegram_bot.bot import command_services as services
from telegram_bot.bot import command_texts as texts
from telegram_bot.bot.handlers import language_for
from telegram_bot.bot.keyboards import (
    PREFIXES,
    CompanyPageTurn,
    CompanyPick,
    CompanyToggle,
    DigestAction,
    DigestMenu,
    SettingsChoose,
    SettingsHome,
    SettingsOpen,
    companies_keyboard,
    digest_menu_keyboard,
    digest_quick_keyboard,
    setting_keyboard,
    settings_keyboard,
    suggestions_keyboard,
)

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# A query echoed back in a reply is cut here.
QUERY_SHOWN = 100


@dataclass(frozen=True)
class Account:
    user: User
    language: str


def build_commands_router() -> Router:
    # One router per dispatcher: an aiogram Router attaches to a single parent.
    router = Router(name="commands")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.middleware(LinkedAccount())
    router.callback_query.middleware(LinkedAccount())

    router.message.register(open_digest_menu, Command("digest"))
    router.message.register(send_digest_now, Command("daily", "weekly"))
    router.message.register(send_latest, Command("latest"))
    router.message.register(list_companies, Command("companies"))
    router.message.register(subscribe, Command("subscribe"))
    router.message.register(unsubscribe, Command("unsubscribe"))
    router.message.register(open_settings, Command("settings"))

    router.callback_query.register(choose_from_menu, DigestMenu.filter())
    router.callback_query.register(turn_company_page, CompanyPageTurn.filter())
    router.callback_query.register(toggle_company, CompanyToggle.filter())
    router.callback_query.register(pick_company, CompanyPick.filter())
    router.callback_query.register(show_settings, SettingsHome.filter())
    router.callback_query.register(open_setting, SettingsOpen.filter())
    router.callback_query.register(choose_setting, SettingsChoose.filter())
    # Last: our prefix with data none of the filters above could read (a button
    # from an older version of the bot, or forged data).
    router.callback_query.register(refuse_stale_button, F.data.func(_is_ours))
    return router


def _is_ours(data: str | None) -> bool:
    return data is not None and data.split(":", 1)[0] in PREFIXES


# ---------------------------------------------------------------- plumbing


async def _db(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `func` in the thread Django's ORM is used from, with a usable connection:
    the bot runs for days, so a connection the database dropped is replaced first,
    as Django does at the start and end of each request."""

    def call() -> T:
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return await sync_to_async(call, thread_sensitive=True)()


def _render(language: str, render: Callable[P, str], /, *args: P.args, **kwargs: P.kwargs) -> str:
    with translation.override(language):
        return render(*args, **kwargs)


async def _say(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    await bot.send_message(
        chat_id=chat_id,
        text=text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        link_preview_options=NO_PREVIEW,
    )


def _chat_id(query: CallbackQuery) -> int:
    return query.message.chat.id if query.message else query.from_user.id


async def _redraw(
    query: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the message under the button; one Telegram no longer lets us edit (too
    old, or deleted) is replaced by a new message."""
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
            return
        except TelegramBadRequest as error:
            # A second tap on the same button, or a value chosen again.
            if "message is not modified" in error.message:
                return
            logger.info("cannot edit message, sending a new one: %s", error.message)
    await _say(bot, _chat_id(query), text, markup)


class LinkedAccount:
    """Middleware: the handler runs with the sender's account, or the sender is told
    how to link one and the handler does not run."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        user = await _db(services.linked_user, telegram_user_id=sender.id) if sender else None
        if user is None:
            await _offer_linking(event, data["bot"], language=language_for(sender))
            return None
        data["account"] = Account(user=user, language=user.language or language_for(sender))
        return await handler(event, data)


async def _offer_linking(event: TelegramObject, bot: Bot, *, language: str) -> None:
    text = _render(language, texts.connect_text, site_url=settings.SITE_URL)
    if isinstance(event, Message):
        await _say(bot, event.chat.id, text)
    elif isinstance(event, CallbackQuery):
        await event.answer()
        await _say(bot, _chat_id(event), text)


# ---------------------------------------------------------------- digests


async def open_digest_menu(message: Message, account: Account) -> None:
    await message.answer(
        _render(account.language, texts.digest_menu_text),
        parse_mode=ParseMode.HTML,
        reply_markup=digest_menu_keyboard(account.language),
    )


async def send_digest_now(
    message: Message, command: CommandObject, account: Account, bot: Bot
) -> None:
    await _send_digest(bot, message.chat.id, account, command.command)


async def send_latest(message: Message, account: Account, bot: Bot) -> None:
    await _send_latest(bot, message.chat.id, account)


async def choose_from_menu(
    query: CallbackQuery, callback_data: DigestMenu, account: Account, bot: Bot
) -> None:
    # The menu may sit under a digest, which must stay: every choice answers with
    # a new message instead of editing this one.
    await query.answer()
    chat_id = _chat_id(query)
    action = callback_data.action
    if action in (DigestAction.DAILY, DigestAction.WEEKLY):
        await _send_digest(bot, chat_id, account, action.value)
    elif action is DigestAction.LATEST:
        await _send_latest(bot, chat_id, account)
    else:
        await _send_settings(bot, chat_id, account)


async def _send_digest(bot: Bot, chat_id: int, account: Account, kind: str) -> None:
    reply = await _db(services.digest_now, user=account.user, kind=kind, now=timezone.now())
    if reply.empty:
        await _say(bot, chat_id, _render(account.language, texts.digest_empty_text, kind))
        return
    # When Telegram is one of the user's digest channels, the delivery just queued
    # brings the digest here; answering as well would send it twice.
    for index, text in enumerate(reply.messages):
        last = index == len(reply.messages) - 1
        await _say(bot, chat_id, text, digest_quick_keyboard(account.language) if last else None)


async def _send_latest(bot: Bot, chat_id: int, account: Account) -> None:
    latest = await _db(services.latest_items, user=account.user, now=timezone.now())
    await _say(
        bot,
        chat_id,
        _render(account.language, texts.latest_text, latest=latest, site_url=settings.SITE_URL),
        digest_quick_keyboard(account.language),
    )


# ---------------------------------------------------------------- companies


async def list_companies(message: Message, account: Account) -> None:
    page = await _db(services.company_page, user=account.user, page=0)
    await message.answer(
        _render(account.language, texts.companies_text, page),
        parse_mode=ParseMode.HTML,
        reply_markup=companies_keyboard(page, language=account.language),
    )


async def _redraw_companies(
    query: CallbackQuery, bot: Bot, account: Account, *, page_number: int
) -> None:
    page = await _db(services.company_page, user=account.user, page=page_number)
    await _redraw(
        query,
        bot,
        _render(account.language, texts.companies_text, page),
        companies_keyboard(page, language=account.language),
    )


async def turn_company_page(
    query: CallbackQuery, callback_data: CompanyPageTurn, account: Account, bot: Bot
) -> None:
    await _redraw_companies(query, bot, account, page_number=callback_data.page)
    await query.answer()


async def toggle_company(
    query: CallbackQuery, callback_data: CompanyToggle, account: Account, bot: Bot
) -> None:
    outcome = await _db(
        services.company_follow,
        user=account.user,
        company_id=callback_data.company_id,
        following=callback_data.follow,
    )
    await _redraw_companies(query, bot, account, page_number=callback_data.page)
    if outcome is None:
        await query.answer(_render(account.language, texts.company_gone_text), show_alert=True)
        return
    await query.answer(
        _render(
            account.language,
            texts.follow_done_text,
            name=outcome.name,
            following=outcome.following,
            changed=outcome.changed,
        )
    )


async def subscribe(message: Message, command: CommandObject, account: Account) -> None:
    await _follow_by_name(message, command, account, following=True)


async def unsubscribe(message: Message, command: CommandObject, account: Account) -> None:
    await _follow_by_name(message, command, account, following=False)


async def _follow_by_name(
    message: Message, command: CommandObject, account: Account, *, following: bool
) -> None:
    language = account.language
    query = " ".join((command.args or "").split())
    if not query:
        usage = texts.subscribe_usage_text if following else texts.unsubscribe_usage_text
        await message.answer(_render(language, usage), parse_mode=ParseMode.HTML)
        return
    found = await _db(services.company_match, user=account.user, query=query, following=following)
    shown = query[:QUERY_SHOWN]
    markup = None
    if found.match is not None:
        outcome = await _db(
            services.company_follow,
            user=account.user,
            company_id=found.match.id,
            following=following,
        )
        text = escape(
            _render(
                language,
                texts.follow_done_text,
                name=outcome.name,
                following=outcome.following,
                changed=outcome.changed,
            )
            if outcome
            else _render(language, texts.company_gone_text)
        )
    elif not following and not found.searched:
        text = _render(language, texts.nothing_to_unfollow_text)
    elif found.suggestions:
        text = _render(language, texts.suggestions_text, query=shown)
        markup = suggestions_keyboard(found.suggestions, following=following, language=language)
    else:
        text = _render(language, texts.no_match_text, query=shown)
    await message.answer(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def pick_company(
    query: CallbackQuery, callback_data: CompanyPick, account: Account, bot: Bot
) -> None:
    outcome = await _db(
        services.company_follow,
        user=account.user,
        company_id=callback_data.company_id,
        following=callback_data.follow,
    )
    if outcome is None:
        await query.answer(_render(account.language, texts.company_gone_text), show_alert=True)
        return
    done = _render(
        account.language,
        texts.follow_done_text,
        name=outcome.name,
        following=outcome.following,
        changed=outcome.changed,
    )
    await _redraw(query, bot, escape(done), None)
    await query.answer()


# ---------------------------------------------------------------- settings


async def open_settings(message: Message, account: Account, bot: Bot) -> None:
    await _send_settings(bot, message.chat.id, account)


async def _send_settings(bot: Bot, chat_id: int, account: Account) -> None:
    current = await _db(services.digest_settings_get, user=account.user)
    await _say(
        bot,
        chat_id,
        _render(account.language, texts.settings_text, current=current, site_url=settings.SITE_URL),
        settings_keyboard(account.language),
    )


async def show_settings(query: CallbackQuery, account: Account, bot: Bot) -> None:
    current = await _db(services.digest_settings_get, user=account.user)
    await _redraw(
        query,
        bot,
        _render(account.language, texts.settings_text, current=current, site_url=settings.SITE_URL),
        settings_keyboard(account.language),
    )
    await query.answer()


async def open_setting(
    query: CallbackQuery, callback_data: SettingsOpen, account: Account, bot: Bot
) -> None:
    current = await _db(services.digest_settings_get, user=account.user)
    await _show_setting(query, bot, account, callback_data.setting, current)
    await query.answer()


async def choose_setting(
    query: CallbackQuery, callback_data: SettingsChoose, account: Account, bot: Bot
) -> None:
    try:
        current = await _db(
            services.digest_setting_change,
            user=account.user,
            setting=callback_data.setting,
            value=callback_data.value,
        )
    except services.UnofferedSettingError:
        await query.answer(_render(account.language, texts.stale_button_text), show_alert=True)
        return
    await _show_setting(query, bot, account, callback_data.setting, current)
    await query.answer(_render(account.language, texts.saved_text))


async def _show_setting(
    query: CallbackQuery,
    bot: Bot,
    account: Account,
    setting: services.Setting,
    current: services.DigestSettings,
) -> None:
    await _redraw(
        query,
        bot,
        _render(
            account.language,
            texts.setting_prompt,
            setting=setting,
            current=current,
            site_url=settings.SITE_URL,
        ),
        setting_keyboard(setting, current=current, language=account.language),
    )


async def refuse_stale_button(query: CallbackQuery, account: Account) -> None:
    logger.info("stale or malformed callback data %r", query.data)
    await query.answer(_render(account.language, texts.stale_button_text), show_alert=True)
