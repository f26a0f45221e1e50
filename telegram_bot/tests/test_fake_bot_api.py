"""The fake Bot API answers aiogram the way Telegram does, failures included, so later
delivery code can rely on it."""

import asyncio
import time

import httpx
import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
)

from telegram_bot.bot.factory import build_bot
from telegram_bot.tests.fake_bot_api import BLOCKED_BY_USER, TOKEN, FakeBotAPI


def with_bot(fake, scenario):
    async def run():
        bot = build_bot(token=TOKEN, api_base=fake.base_url)
        try:
            return await scenario(bot)
        finally:
            await bot.session.close()

    return asyncio.run(run())


def test_send_message_is_recorded_and_answered_with_a_message(fake_bot_api):
    async def scenario(bot):
        return await bot.send_message(chat_id=42, text="hello")

    message = with_bot(fake_bot_api, scenario)

    assert message.chat.id == 42
    assert message.text == "hello"
    assert message.from_user.username == fake_bot_api.bot_user["username"]
    assert fake_bot_api.sent_messages == [{"chat_id": 42, "text": "hello"}]


def test_programmed_failures_answer_like_telegram(fake_bot_api):
    fake_bot_api.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3, times=2
    )
    fake_bot_api.fail_next("sendmessage", 403, BLOCKED_BY_USER)

    async def scenario(bot):
        outcomes = []
        for _ in range(4):
            try:
                await bot.send_message(chat_id=42, text="digest")
                outcomes.append("sent")
            except TelegramRetryAfter as error:
                outcomes.append(error.retry_after)
            except TelegramForbiddenError as error:
                outcomes.append(error.message)
        return outcomes

    assert with_bot(fake_bot_api, scenario) == [3, 3, BLOCKED_BY_USER, "sent"]
    assert fake_bot_api.sent_messages == [{"chat_id": 42, "text": "digest"}]
    assert len(fake_bot_api.calls_to("sendMessage")) == 4


def test_get_updates_honours_offset(fake_bot_api):
    first = fake_bot_api.push_update(FakeBotAPI.message_update("one"))
    second = fake_bot_api.push_update(FakeBotAPI.message_update("two"))

    async def scenario(bot):
        everything = await bot.get_updates()
        after_first = await bot.get_updates(offset=first["update_id"] + 1)
        # Telegram forgets what an offset confirmed.
        again = await bot.get_updates()
        return everything, after_first, again

    everything, after_first, again = with_bot(fake_bot_api, scenario)

    assert [u.update_id for u in everything] == [first["update_id"], second["update_id"]]
    assert [u.message.text for u in after_first] == ["two"]
    assert [u.update_id for u in again] == [second["update_id"]]


def test_long_poll_waits_briefly_and_wakes_on_a_new_update():
    with FakeBotAPI(long_poll_cap=0.2) as fake:

        async def scenario(bot):
            started = time.monotonic()
            empty = await bot.get_updates(timeout=30)
            waited = time.monotonic() - started
            poll = asyncio.create_task(bot.get_updates(timeout=30))
            await asyncio.sleep(0.05)
            fake.push_update(FakeBotAPI.message_update("late"))
            return empty, waited, await poll

        empty, waited, woken = with_bot(fake, scenario)

    assert empty == []
    assert 0.15 < waited < 2
    assert [u.message.text for u in woken] == ["late"]


def test_webhook_lifecycle_and_the_getupdates_conflict(fake_bot_api):
    fake_bot_api.push_update(FakeBotAPI.message_update("pending"))

    async def scenario(bot):
        await bot.set_webhook(url="https://hub.example.com/telegram/webhook/")
        info = await bot.get_webhook_info()
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()
        await bot.delete_webhook(drop_pending_updates=True)
        return info, await bot.get_webhook_info(), await bot.get_updates()

    info, cleared, updates = with_bot(fake_bot_api, scenario)

    assert info.url == "https://hub.example.com/telegram/webhook/"
    assert info.pending_update_count == 1
    assert cleared.url == ""
    assert updates == []
    assert fake_bot_api.calls_to("deleteWebhook") == [{"drop_pending_updates": True}]


def test_edit_message_text_and_answer_callback_query(fake_bot_api):
    async def scenario(bot):
        sent = await bot.send_message(chat_id=5, text="first")
        edited = await bot.edit_message_text(chat_id=5, message_id=sent.message_id, text="second")
        with pytest.raises(TelegramBadRequest, match="not modified"):
            await bot.edit_message_text(chat_id=5, message_id=sent.message_id, text="second")
        with pytest.raises(TelegramBadRequest, match="not found"):
            await bot.edit_message_text(chat_id=5, message_id=999, text="third")
        answered = await bot.answer_callback_query(callback_query_id="cb-1", text="ok")
        return edited, answered

    edited, answered = with_bot(fake_bot_api, scenario)

    assert edited.text == "second"
    assert answered is True


def test_json_and_query_string_clients_and_bad_requests(fake_bot_api):
    base = f"{fake_bot_api.base_url}/bot{fake_bot_api.token}"

    by_json = httpx.post(f"{base}/sendMessage", json={"chat_id": 9, "text": "json"})
    by_query = httpx.get(f"{base}/sendMessage", params={"chat_id": "-100", "text": "query"})
    unknown = httpx.post(f"{base}/noSuchMethod")
    wrong_token = httpx.post(f"{fake_bot_api.base_url}/bot42:not-the-token/getMe")

    assert by_json.json()["result"]["chat"]["id"] == 9
    assert by_query.json()["result"]["chat"]["type"] == "group"
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert wrong_token.status_code == 401
    assert [m["chat_id"] for m in fake_bot_api.sent_messages] == [9, -100]
