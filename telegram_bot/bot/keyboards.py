"""Inline keyboards of the account commands and the callback data behind their buttons.

Callback data is at most 64 bytes and comes back from the client unchecked: the
handlers validate it again (CallbackData.filter drops what does not parse; the
services refuse ids and values the bot does not offer).
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from django.utils import translation

from telegram_bot.bot import command_texts as texts
from telegram_bot.bot.command_services import (
    COMMON_TIMEZONES,
    DELIVERY_HOURS,
    FORMATS,
    FREQUENCIES,
    MODES,
    CompanyChoice,
    CompanyPage,
    DigestSettings,
    Setting,
)


class DigestAction(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    LATEST = "latest"
    SETTINGS = "settings"


class DigestMenu(CallbackData, prefix="dmenu"):
    action: DigestAction


class CompanyPageTurn(CallbackData, prefix="cpage"):
    page: int


class CompanyToggle(CallbackData, prefix="cfollow"):
    """A follow button in the /companies list; `page` is the page to redraw."""

    company_id: int
    follow: bool
    page: int


class CompanyPick(CallbackData, prefix="cpick"):
    """A suggestion under /subscribe or /unsubscribe."""

    company_id: int
    follow: bool


class SettingsHome(CallbackData, prefix="shome"):
    pass


class SettingsOpen(CallbackData, prefix="sopen"):
    setting: Setting


class SettingsChoose(CallbackData, prefix="sset"):
    setting: Setting
    value: str


CALLBACK_DATA = (
    DigestMenu,
    CompanyPageTurn,
    CompanyToggle,
    CompanyPick,
    SettingsHome,
    SettingsOpen,
    SettingsChoose,
)
# Data starting with one of these is ours even when it no longer parses.
PREFIXES = tuple(kind.__prefix__ for kind in CALLBACK_DATA)


def digest_menu_keyboard(language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    with translation.override(language):
        builder.button(
            text=texts.daily_button(), callback_data=DigestMenu(action=DigestAction.DAILY)
        )
        builder.button(
            text=texts.weekly_button(), callback_data=DigestMenu(action=DigestAction.WEEKLY)
        )
        builder.button(
            text=texts.latest_button(), callback_data=DigestMenu(action=DigestAction.LATEST)
        )
        builder.button(
            text=texts.settings_button(), callback_data=DigestMenu(action=DigestAction.SETTINGS)
        )
    builder.adjust(2)
    return builder.as_markup()


def digest_quick_keyboard(language: str) -> InlineKeyboardMarkup:
    """The controls that follow a digest in a private chat (the /digest menu), in the
    reader's language; pass it as reply_markup with the digest's last message."""
    return digest_menu_keyboard(language)


def companies_keyboard(page: CompanyPage, *, language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    with translation.override(language):
        for choice in page.companies:
            builder.button(
                text=texts.company_button(choice),
                callback_data=CompanyToggle(
                    company_id=choice.id, follow=not choice.followed, page=page.page
                ),
            )
    builder.adjust(1)
    turns = []
    if page.page > 0:
        turns.append((texts.previous_page_button(), page.page - 1))
    if page.page < page.pages - 1:
        turns.append((texts.next_page_button(), page.page + 1))
    if turns:
        navigation = InlineKeyboardBuilder()
        for text, target in turns:
            navigation.button(text=text, callback_data=CompanyPageTurn(page=target))
        builder.attach(navigation)
    return builder.as_markup()


def suggestions_keyboard(
    choices: list[CompanyChoice], *, following: bool, language: str
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    with translation.override(language):
        for choice in choices:
            builder.button(
                text=texts.suggestion_button(choice, following=following),
                callback_data=CompanyPick(company_id=choice.id, follow=following),
            )
    builder.adjust(1)
    return builder.as_markup()


def settings_keyboard(language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    with translation.override(language):
        for setting in Setting:
            builder.button(
                text=texts.setting_name(setting), callback_data=SettingsOpen(setting=setting)
            )
    builder.adjust(2)
    return builder.as_markup()


def _chosen(setting: Setting, current: DigestSettings) -> str:
    """The current value as its button carries it; a time set on the website
    between the hours offered here has no button."""
    if setting is Setting.TIME:
        return str(current.time.hour) if current.time.minute == 0 else ""
    return texts.current_values(current)[setting]


def _offered(setting: Setting) -> tuple[list[str], int]:
    """The values offered for a setting, and how many buttons go in a row."""
    if setting is Setting.MODE:
        return list(MODES), 1
    if setting is Setting.FREQUENCY:
        return list(FREQUENCIES), 2
    if setting is Setting.FORMAT:
        return list(FORMATS), 1
    if setting is Setting.TIME:
        return [str(hour) for hour in DELIVERY_HOURS], 4
    return list(COMMON_TIMEZONES), 2


def _choice_label(setting: Setting, value: str) -> str:
    if setting is Setting.TIME:
        return f"{int(value):02d}:00"
    if setting is Setting.TIMEZONE:
        return value.replace("_", " ")
    return texts.setting_value(setting, value)


def setting_keyboard(
    setting: Setting, *, current: DigestSettings, language: str
) -> InlineKeyboardMarkup:
    """The values offered for one setting, the current one ticked."""
    chosen = _chosen(setting, current)
    values, per_row = _offered(setting)
    builder = InlineKeyboardBuilder()
    with translation.override(language):
        for value in values:
            label = _choice_label(setting, value)
            if value == chosen:
                label = f"✅ {label}"
            builder.button(text=label, callback_data=SettingsChoose(setting=setting, value=value))
        builder.adjust(per_row)
        back = InlineKeyboardBuilder()
        back.button(text=texts.back_button(), callback_data=SettingsHome())
    builder.attach(back)
    return builder.as_markup()
