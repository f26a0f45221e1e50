"""The polling bot's heartbeat: a small file holding the time of a recent successful
getUpdates, which `manage.py bot_health` reads for a container healthcheck.

A file, not the cache or the database, because the check must say whether this
process, in this container, still talks to Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from django.conf import settings
from django.utils import timezone

# getUpdates returns at least every polling timeout (10 s) while idle, so a write
# at most this often keeps the file fresh without writing on every poll.
HEARTBEAT_INTERVAL = 30.0


def heartbeat_path() -> Path:
    default = Path(settings.BASE_DIR) / "var" / "bot-heartbeat"
    return Path(getattr(settings, "TELEGRAM_HEARTBEAT_FILE", default))


def heartbeat_write(*, path: Path, now: datetime) -> None:
    """Replace the file atomically, so a reader never sees it half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(now.isoformat())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def heartbeat_read(*, path: Path) -> datetime | None:
    """The recorded time, or None when the file is missing or holds no aware time."""
    try:
        text = path.read_text(encoding="ascii").strip()
        recorded = datetime.fromisoformat(text)
    except (OSError, ValueError):
        return None
    return recorded if timezone.is_aware(recorded) else None


def heartbeat_age(*, path: Path, now: datetime) -> timedelta | None:
    recorded = heartbeat_read(path=path)
    if recorded is None:
        return None
    return max(now - recorded, timedelta(0))


def heartbeat_clear(*, path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


class HeartbeatMiddleware(BaseRequestMiddleware):
    """Records a heartbeat after getUpdates succeeds, at most every `interval` seconds.

    Attached to the polling bot's session: a failing getUpdates raises before the
    write, so the heartbeat goes stale when the bot can no longer reach Telegram.
    """

    def __init__(self, *, path: Path, interval: float = HEARTBEAT_INTERVAL) -> None:
        self.path = path
        self.interval = interval
        self._last: float | None = None

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        if isinstance(method, GetUpdates):
            beat = time.monotonic()
            if self._last is None or beat - self._last >= self.interval:
                await asyncio.to_thread(heartbeat_write, path=self.path, now=timezone.now())
                self._last = beat
        return response
