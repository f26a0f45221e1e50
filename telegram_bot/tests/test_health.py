"""The polling bot's heartbeat and `manage.py bot_health`, the container healthcheck."""

import asyncio
import os
import re
import signal
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from telegram_bot.bot.factory import build_bot
from telegram_bot.heartbeat import HeartbeatMiddleware, heartbeat_read, heartbeat_write
from telegram_bot.management.commands.bot_health import Command as BotHealth


@pytest.fixture
def heartbeat_file(settings, tmp_path):
    settings.TELEGRAM_HEARTBEAT_FILE = tmp_path / "run" / "bot-heartbeat"
    return settings.TELEGRAM_HEARTBEAT_FILE


def exit_code(*arguments: str) -> int:
    """What Docker sees: the exit status of `manage.py bot_health ...`."""
    try:
        BotHealth().run_from_argv(["manage.py", "bot_health", *arguments])
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


def test_a_fresh_heartbeat_is_healthy(heartbeat_file, capsys):
    heartbeat_write(path=heartbeat_file, now=timezone.now() - timedelta(seconds=20))

    assert exit_code() == 0
    assert re.match(r"Bot healthy: heartbeat 2\d s old\.", capsys.readouterr().out)


def test_a_stale_heartbeat_is_unhealthy(heartbeat_file, capsys):
    heartbeat_write(path=heartbeat_file, now=timezone.now() - timedelta(minutes=5))

    assert exit_code() == 1
    assert "Stale heartbeat" in capsys.readouterr().err
    with pytest.raises(CommandError, match=r"3\d\d s ago \(more than 90 s\)"):
        call_command("bot_health")


def test_max_age_sets_what_counts_as_fresh(heartbeat_file):
    heartbeat_write(path=heartbeat_file, now=timezone.now() - timedelta(seconds=45))

    assert exit_code("--max-age", "60") == 0
    assert exit_code("--max-age", "30") == 1


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("yesterday", id="garbage"),
        pytest.param("2026-01-01T10:00:00", id="naive-time"),
    ],
)
def test_a_missing_or_unreadable_heartbeat_is_unhealthy(heartbeat_file, capsys, content):
    if content is not None:
        heartbeat_file.parent.mkdir(parents=True)
        heartbeat_file.write_text(content)

    assert exit_code() == 1
    assert f"No heartbeat at {heartbeat_file}" in capsys.readouterr().err


def test_the_heartbeat_is_replaced_whole(heartbeat_file):
    first, second = timezone.now() - timedelta(minutes=1), timezone.now()

    heartbeat_write(path=heartbeat_file, now=first)
    heartbeat_write(path=heartbeat_file, now=second)

    assert heartbeat_read(path=heartbeat_file) == second
    # The temporary files it writes through are renamed, never left behind.
    assert [path.name for path in heartbeat_file.parent.iterdir()] == [heartbeat_file.name]


def test_only_successful_polls_beat(fake_bot_api, tmp_path):
    path = tmp_path / "bot-heartbeat"

    async def poll_twice() -> None:
        bot = build_bot(token=fake_bot_api.token, api_base=fake_bot_api.base_url)
        bot.session.middleware(HeartbeatMiddleware(path=path, interval=0))
        try:
            await bot.get_me()
            assert not path.exists()  # other methods say nothing about polling
            fake_bot_api.fail_next("getUpdates", 502, "Bad Gateway")
            with pytest.raises(Exception, match="Bad Gateway"):
                await bot.get_updates(timeout=0)
            assert not path.exists()
            await bot.get_updates(timeout=0)
        finally:
            await bot.session.close()

    asyncio.run(poll_twice())

    recorded = heartbeat_read(path=path)
    assert recorded is not None
    assert timezone.now() - recorded < timedelta(seconds=5)


def test_beats_are_spaced_by_the_interval(fake_bot_api, tmp_path):
    path = tmp_path / "bot-heartbeat"

    async def poll_three_times() -> list[float]:
        bot = build_bot(token=fake_bot_api.token, api_base=fake_bot_api.base_url)
        bot.session.middleware(HeartbeatMiddleware(path=path, interval=3600))
        writes = []
        try:
            for _ in range(3):
                await bot.get_updates(timeout=0)
                writes.append(path.stat().st_mtime_ns)
        finally:
            await bot.session.close()
        return writes

    writes = asyncio.run(poll_three_times())

    assert len(set(writes)) == 1


def test_runbot_beats_while_polling_and_clears_the_beat_when_it_stops(
    fake_bot_settings, heartbeat_file
):
    healthy_while_running: list[int] = []

    def check_then_stop() -> None:
        try:
            fake_bot_settings.wait_for_call("getUpdates", timeout=10)
        except AssertionError:
            return  # runbot failed before polling and has returned already
        # The first successful getUpdates writes the heartbeat.
        for _ in range(100):
            if heartbeat_file.exists():
                break
            threading.Event().wait(0.05)
        healthy_while_running.append(exit_code())
        # Polling is running, so the signal reaches aiogram's handler rather than pytest.
        os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=check_then_stop)
    helper.start()
    try:
        call_command("runbot")
    finally:
        helper.join(timeout=15)

    assert healthy_while_running == [0]
    assert not heartbeat_file.exists()
    assert exit_code() == 1
