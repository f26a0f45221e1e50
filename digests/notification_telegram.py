"""Alerts as Telegram HTML messages.

Pure: callers pass plain values and send the result with
telegram_bot.sending.send_messages. Every message stays within Telegram's limit
of 4096 characters and is split only between alerts, and each message says which
notifications it carries, so a caller marks as sent exactly those that went out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.text import Truncator

MESSAGE_LIMIT = 4096
TITLE_MAX = 300
BODY_MAX = 400
# An alert never fills a message alone: whatever its text, it is cut down to this.
BLOCK_MAX = 3000

PRIORITY_MARKS = {"high": "🔴", "medium": "🟠", "low": "⚪"}


@dataclass(frozen=True)
class AlertLine:
    """One notification as a message shows it; `url` is absolute or empty."""

    notification_id: int
    title: str
    body: str
    priority: str
    type_label: str
    url: str = ""
    link_label: str = ""


@dataclass(frozen=True)
class AlertMessage:
    text: str
    notification_ids: tuple[int, ...]


def telegram_length(text: str) -> int:
    """The length Telegram counts: UTF-16 code units, which is never less than len()."""
    return len(text.encode("utf-16-le")) // 2


def alert_block(alert: AlertLine) -> str:
    """One alert: mark, bold title, type and text, and a link when there is one."""
    mark = PRIORITY_MARKS.get(alert.priority, PRIORITY_MARKS["low"])
    title = escape(Truncator(alert.title).chars(TITLE_MAX), quote=False)
    head = f"{mark} <b>{title}</b>"
    meta = escape(alert.type_label, quote=False)
    body = escape(Truncator(alert.body).chars(BODY_MAX), quote=False) if alert.body else ""
    link = ""
    if alert.url:
        label = escape(alert.link_label or alert.url, quote=False)
        link = f'<a href="{escape(alert.url, quote=True)}">{label}</a>'
    # Escaping can grow a text several times over (a URL full of "&"), so the
    # parts are dropped, least useful first, until the block fits.
    for parts in (
        (head, _joined(meta, body), link),
        (head, meta, link),
        (head, meta),
    ):
        block = "\n".join(part for part in parts if part)
        if telegram_length(block) <= BLOCK_MAX:
            return block
    return head


def _joined(meta: str, body: str) -> str:
    return f"<i>{meta}</i> · {body}" if body else f"<i>{meta}</i>"


def render_alert_messages(
    *, heading: str, alerts: Sequence[AlertLine], footer: str = ""
) -> list[AlertMessage]:
    """As few messages as fit `alerts`, in order; `heading` opens the first one.

    `heading` and `footer` are Telegram HTML already (the caller escapes them);
    the footer closes the last message, or gets a message of its own.
    """
    if not alerts:
        return []
    messages: list[AlertMessage] = []
    parts: list[str] = [heading] if heading else []
    ids: list[int] = []
    for alert in alerts:
        block = alert_block(alert)
        candidate = "\n\n".join([*parts, block])
        if ids and telegram_length(candidate) > MESSAGE_LIMIT:
            messages.append(AlertMessage("\n\n".join(parts), tuple(ids)))
            parts, ids = [block], [alert.notification_id]
        else:
            parts.append(block)
            ids.append(alert.notification_id)
    if footer and telegram_length("\n\n".join([*parts, footer])) > MESSAGE_LIMIT:
        messages.append(AlertMessage("\n\n".join(parts), tuple(ids)))
        parts, ids = [], []
    if footer:
        parts.append(footer)
    messages.append(AlertMessage("\n\n".join(parts), tuple(ids)))
    return messages
