"""Runs updates through the real dispatcher with a Bot pointed at the fake Bot API."""

from __future__ import annotations

import itertools
from typing import Any

from aiogram.types import Update
from asgiref.sync import async_to_sync

from telegram_bot.bot.factory import build_bot, build_dispatcher
from telegram_bot.tests.fake_bot_api import FakeBotAPI

_update_ids = itertools.count(1)


def feed(fake: FakeBotAPI, *updates: dict[str, Any]) -> list[dict[str, Any]]:
    """Handle `updates` in order and return every message sent so far.

    async_to_sync runs the handlers' ORM calls in this thread, inside the test's
    transaction, so they see the test's rows.
    """

    async def handle_all() -> None:
        bot = build_bot(token=fake.token, api_base=fake.base_url)
        dispatcher = build_dispatcher()
        try:
            for update in updates:
                payload = {"update_id": next(_update_ids), **update}
                await dispatcher.feed_update(
                    bot, Update.model_validate(payload, context={"bot": bot})
                )
        finally:
            await bot.session.close()

    async_to_sync(handle_all)()
    return fake.sent_messages


def reply_to(fake: FakeBotAPI, text: str, **sender: Any) -> str:
    """Send one private message and return the bot's single answer to it."""
    before = len(fake.sent_messages)
    sent = feed(fake, FakeBotAPI.message_update(text, **sender))
    [answer] = sent[before:]
    return str(answer["text"])
