from collections.abc import Iterator

import pytest

from telegram_bot.tests.fake_bot_api import FakeBotAPI


@pytest.fixture
def fake_bot_api() -> Iterator[FakeBotAPI]:
    """A fresh fake Bot API on its own loopback port, so parallel tests never share one."""
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def fake_bot_settings(settings, fake_bot_api: FakeBotAPI) -> FakeBotAPI:
    """Points TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE at the fake Bot API."""
    settings.TELEGRAM_BOT_TOKEN = fake_bot_api.token
    settings.TELEGRAM_API_BASE = fake_bot_api.base_url
    return fake_bot_api
