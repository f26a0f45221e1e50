"""JSON log lines for production: one object per line with a fixed set of keys."""

from __future__ import annotations

import logging
import re
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
        if record.exc_text:
            # The traceback as the masking filter left it, not formatted afresh.
            log_data["exc_info"] = record.exc_text
        log_data.pop("levelname", None)
        log_data.pop("name", None)


# A value that looks like a credential is replaced, whatever logged it: third-party
# libraries log request lines and URLs we do not control (the Bot API puts the bot
# token in every URL). Keys keep their name so the line still says what was there.
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [redacted]"),
    (
        re.compile(
            r"(?i)\b(authorization|cookie|x-telegram-bot-api-secret-token|password\d?|passwd"
            r"|secret|secret_key|token|api_key|csrfmiddlewaretoken)(['\"]?\s*[:=]\s*['\"]?)"
            r"(?!\[redacted\])[^\s&,'\"}]+"
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"\b(aih_|whsec_)[A-Za-z0-9_-]{8,}"), r"\1[redacted]"),
    (re.compile(r"\bbot\d{3,}:[A-Za-z0-9_-]{20,}"), "bot[redacted]"),
    (re.compile(r"(/start[ =]+|[?&]start=)[A-Za-z0-9_-]{16,}"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


_STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _without_task_arguments(data: dict[Any, Any]) -> dict[Any, Any]:
    return {
        key: "[hidden]"
        if key in ("args", "kwargs")
        else redact(value)
        if isinstance(value, str)
        else value
        for key, value in data.items()
    }


class SecretRedactionFilter(logging.Filter):
    """Rewrites a record's message with credentials masked, before any handler formats it.

    The arguments are merged into the message and dropped, and task arguments in
    extra fields are hidden: Celery's task-result records carry the task's full
    arguments (an email body with its one-time links) beside a message that shows
    none of them, and JSON lines would print them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            return True
        record.msg = redact(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key in _STANDARD_ATTRIBUTES:
                continue
            if isinstance(value, str):
                setattr(record, key, redact(value))
            elif isinstance(value, dict):
                setattr(record, key, _without_task_arguments(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # Formatters print exc_text when it is set; exc_info stays for other handlers.
            record.exc_text = redact(record.exc_text)
        return True
