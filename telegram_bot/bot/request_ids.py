"""A request id per Telegram update, so every log line a handler writes (and every
task it enqueues) can be traced to the update, as web requests are."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from config.request_id import current_request_id


def update_request_id(update_id: int) -> str:
    return f"tg-{update_id}"


class UpdateRequestIdMiddleware(BaseMiddleware):
    """Outer middleware on updates: it runs before any filter or handler."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        token = current_request_id.set(update_request_id(event.update_id))
        try:
            return await handler(event, data)
        finally:
            current_request_id.reset(token)
