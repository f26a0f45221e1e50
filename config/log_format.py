"""JSON log lines for production: one object per line with a fixed set of keys."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter


class JsonFormatter(_BaseJsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", False)
        super().__init__(*args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["timestamp"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat()
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["request_id"] = getattr(record, "request_id", "-")
        log_data.pop("levelname", None)
        log_data.pop("name", None)
