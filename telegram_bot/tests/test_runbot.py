"""`manage.py runbot`: refuses to start without a usable token, answers updates by long
polling, and stops cleanly on SIGINT and SIGTERM."""

import logging
import os
import signal
import threading
from contextlib import suppress

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from telegram_bot.management.commands.runbot import Command
from telegram_bot.tests.fake_bot_api import FakeBotAPI


def test_without_a_token_it_explains_and_exits_non_zero(settings, capsys):
    settings.TELEGRAM_BOT_TOKEN = ""

    with pytest.raises(CommandError, match="TELEGRAM_BOT_TOKEN is not set"):
        call_command("runbot")
    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(["manage.py", "runbot"])

    assert exit_info.value.code != 0
    assert "TELEGRAM_BOT_TOKEN is not set" in capsys.readouterr().err


def test_a_malformed_token_is_refused_without_echoing_it(settings):
    settings.TELEGRAM_BOT_TOKEN = "no-colon-secret"

    with pytest.raises(CommandError, match="malformed") as error:
        call_command("runbot")

    assert "no-colon-secret" not in str(error.value)


def test_a_token_the_api_rejects_is_reported(fake_bot_settings, settings):
    settings.TELEGRAM_BOT_TOKEN = "42:not-the-token"

    with pytest.raises(CommandError, match="rejected TELEGRAM_BOT_TOKEN"):
        call_command("runbot")

    assert fake_bot_settings.calls_to("getUpdates") == []


def test_an_unreachable_api_is_reported(settings, closed_port):
    settings.TELEGRAM_BOT_TOKEN = "42:secret"
    settings.TELEGRAM_API_BASE = f"http://127.0.0.1:{closed_port}"

    with pytest.raises(CommandError, match="Cannot reach the Bot API") as error:
        call_command("runbot")

    assert "42:secret" not in str(error.value)


@pytest.mark.parametrize(
    ("stop_signal", "arguments", "answered_chats", "dropped"),
    [
        pytest.param(signal.SIGINT, ["--drop-pending-updates"], [2], True, id="SIGINT-drop"),
        pytest.param(signal.SIGTERM, [], [1, 2], False, id="SIGTERM-keep"),
    ],
)
def test_it_answers_updates_and_stops_on_a_signal(
    db, fake_bot_settings, caplog, stop_signal, arguments, answered_chats, dropped
):
    fake = fake_bot_settings
    fake.push_update(FakeBotAPI.message_update("/start", chat_id=1))

    def answer_then_signal() -> None:
        try:
            # getUpdates comes after deleteWebhook, so updates pushed from here on are
            # kept, and the polling loop has installed its signal handlers.
            fake.wait_for_call("getUpdates", timeout=10)
        except AssertionError:
            return  # the command failed before polling and has returned already
        fake.push_update(FakeBotAPI.message_update("/start", chat_id=2))
        with suppress(AssertionError):
            fake.wait_for_messages(len(answered_chats))
        # Only a signal ends polling, and polling is running, so the signal reaches
        # aiogram's handler rather than pytest.
        os.kill(os.getpid(), stop_signal)

    caplog.set_level(logging.INFO, logger="telegram_bot")
    helper = threading.Thread(target=answer_then_signal)
    helper.start()
    try:
        call_command("runbot", *arguments)
    finally:
        helper.join(timeout=15)

    assert sorted(reply["chat_id"] for reply in fake.sent_messages) == answered_chats
    assert fake.calls_to("deleteWebhook") == [{"drop_pending_updates": dropped}]
    assert f"@{fake.bot_user['username']} (id {fake.bot_user['id']}) starts" in caplog.text
    assert f"@{fake.bot_user['username']} stopped" in caplog.text
