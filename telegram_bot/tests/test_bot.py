"""The bot driven end to end: updates go out through getUpdates on the fake Bot API,
replies come back through sendMessage."""

import asyncio
from contextlib import suppress
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from telegram_bot.bot import texts
from telegram_bot.bot.factory import build_bot, build_dispatcher
from telegram_bot.tests.fake_bot_api import FakeBotAPI

# /start looks up whether the chat is linked.
pytestmark = pytest.mark.django_db

GREETING = "Hello! I am the AI Competitor Insight Hub bot."
LINKING = (
    "Link your account on the Settings page of the website, and I will send "
    "your AI competitor digests and alerts to this chat."
)


def converse(fake: FakeBotAPI, *updates: dict[str, Any]) -> list[dict[str, Any]]:
    """Poll until the bot has answered every update, then stop polling the way runbot's
    signal handler does."""

    async def scenario() -> None:
        bot = build_bot(token=fake.token, api_base=fake.base_url)
        dispatcher = build_dispatcher()
        polling = asyncio.create_task(
            dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1)
        )
        for update in updates:
            fake.push_update(update)
        try:
            await asyncio.to_thread(fake.wait_for_messages, len(updates))
        except BaseException:
            polling.cancel()
            with suppress(asyncio.CancelledError):
                await polling
            raise
        await dispatcher.stop_polling()
        await polling

    asyncio.run(scenario())
    return fake.sent_messages


def rendered(text: Any, language: str) -> str:
    with translation.override(language):
        return str(text())


def test_start_welcomes_in_english(fake_bot_api):
    [reply] = converse(fake_bot_api, FakeBotAPI.message_update("/start", chat_id=4242))

    assert reply["chat_id"] == 4242
    assert reply["text"].startswith(rendered(texts.welcome_text, "en"))
    assert reply["text"].endswith("/settings/#telegram")
    assert reply["text"].startswith(GREETING)
    assert LINKING in reply["text"]
    assert "/help" in reply["text"]


def test_start_welcomes_russian_clients_in_russian(fake_bot_api):
    [reply] = converse(fake_bot_api, FakeBotAPI.message_update("/start", language_code="ru"))

    with translation.override("ru"):
        greeting, linking = gettext(GREETING), gettext(LINKING)
    # A msgid missing from the compiled catalogue would come back untranslated.
    assert greeting != GREETING
    assert linking != LINKING
    assert reply["text"].startswith(rendered(texts.welcome_text, "ru"))
    assert reply["text"].startswith(greeting)
    assert linking in reply["text"]
    assert reply["text"] != rendered(texts.welcome_text, "en")


# Telegram client language -> the language the bot answers in.
LANGUAGES = {
    "en": "en",
    "en-GB": "en",
    "ru": "ru",
    "ru-RU": "ru",
    "RU": "ru",
    None: "en",
    "de": "en",
    "uk": "en",
    "pt-br": "en",
}


def test_each_sender_gets_the_reply_in_their_chat_and_language(fake_bot_api):
    chats = dict(enumerate(LANGUAGES, start=100))
    updates = [
        FakeBotAPI.message_update("/start", chat_id=chat_id, language_code=code)
        for chat_id, code in chats.items()
    ]

    replies = converse(fake_bot_api, *updates)

    welcomes = {reply["chat_id"]: reply["text"] for reply in replies}
    assert welcomes.keys() == chats.keys()
    for chat_id, code in chats.items():
        assert welcomes[chat_id].startswith(rendered(texts.welcome_text, LANGUAGES[code]))


def test_help_lists_the_commands(fake_bot_api):
    replies = converse(
        fake_bot_api,
        FakeBotAPI.message_update("/help", chat_id=7, language_code="en"),
        FakeBotAPI.message_update("/help", chat_id=8, language_code="ru"),
    )

    by_chat = {reply["chat_id"]: reply["text"] for reply in replies}
    assert by_chat == {7: rendered(texts.help_text, "en"), 8: rendered(texts.help_text, "ru")}
    for text in by_chat.values():
        listed = [line.split()[0] for line in text.splitlines()[1:]]
        assert listed == [f"/{name}" for name, _ in texts.COMMANDS]
        assert "/subscribe" in listed
        assert "/stop" in listed


def test_commands_addressed_to_this_bot_by_name_are_answered(fake_bot_api):
    username = fake_bot_api.bot_user["username"]
    [reply] = converse(fake_bot_api, FakeBotAPI.message_update(f"/help@{username}"))

    assert reply["text"] == rendered(texts.help_text, "en")


def test_every_bot_string_is_translated_to_russian():
    english = [rendered(texts.welcome_text, "en"), rendered(texts.help_text, "en")]
    russian = [rendered(texts.welcome_text, "ru"), rendered(texts.help_text, "ru")]

    for en_text, ru_text in zip(english, russian, strict=True):
        en_lines = [line for line in en_text.splitlines() if line]
        ru_lines = [line for line in ru_text.splitlines() if line]
        assert len(en_lines) == len(ru_lines)
        for en_line, ru_line in zip(en_lines, ru_lines, strict=True):
            assert en_line != ru_line, f"untranslated: {en_line!r}"
