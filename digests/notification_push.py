"""Alerts sent to Telegram: realtime batches and daily or weekly summaries."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from accounts.models import NotificationFrequency
from digests.models import Notification
from digests.notification_telegram import AlertLine, AlertMessage, render_alert_messages
from digests.notifications import (
    PUSH_BATCH,
    PUSH_PAUSE,
    REALTIME_PUSH_WINDOW,
    SUMMARY_LOCK_LIMIT,
    SUMMARY_PERIODS,
    SUMMARY_SHOWN,
    alert_language,
    priority_rank,
)
from telegram_bot.models import TelegramLink
from telegram_bot.sending import (
    PermanentSendError,
    SendError,
    TransientSendError,
    send_messages,
    telegram_configured,
)

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- Telegram


@dataclass(frozen=True)
class _PushTarget:
    user_id: int
    chat_id: int
    language: str
    frequency: str
    never_pushed: bool

    def window_start(self, now: datetime) -> datetime:
        """The oldest alert worth sending now. A summary reaches back two periods
        once the user has had one, so a late run misses nothing since the last;
        the very first reaches back one, leaving older alerts to the web."""
        if self.frequency not in SUMMARY_PERIODS:
            return now - REALTIME_PUSH_WINDOW
        period = SUMMARY_PERIODS[self.frequency]
        return now - period if self.never_pushed else now - 2 * period


def push_pause_cache_key(user_id: int) -> str:
    return f"notifications:push-paused:{user_id}"


def _unsent_since(since: datetime) -> Exists:
    return Exists(
        Notification.objects.filter(
            user_id=OuterRef("user_id"),
            pushed_at__isnull=True,
            read_at__isnull=True,
            created_at__gte=since,
        )
    )


def _push_targets(*, now: datetime) -> list[_PushTarget]:
    """One query: linked users with alerts due in Telegram now. Realtime users'
    are due at once; daily and weekly users' once their last push is a period old."""
    last_push = Subquery(
        Notification.objects.filter(user_id=OuterRef("user_id"), pushed_at__isnull=False)
        .order_by("-pushed_at")
        .values("pushed_at")[:1]
    )
    frequency = "user__preferences__notification_frequency"
    due = Q(**{frequency: NotificationFrequency.REALTIME}) & Q(
        _unsent_since(now - REALTIME_PUSH_WINDOW)
    )
    for name, period in SUMMARY_PERIODS.items():
        first = Q(last_push__isnull=True) & Q(_unsent_since(now - period))
        again = Q(last_push__lte=now - period) & Q(_unsent_since(now - 2 * period))
        due |= Q(**{frequency: name}) & (first | again)
    rows = (
        TelegramLink.objects.filter(user__is_active=True, user__preferences__notify_enabled=True)
        .annotate(last_push=last_push)
        .filter(due)
        .order_by("user_id")
        .values_list("user_id", "chat_id", "user__language", frequency, "last_push")
    )
    targets = [
        _PushTarget(user_id, chat_id, alert_language(language), kind, never_pushed=last is None)
        for user_id, chat_id, language, kind, last in rows
    ]
    paused = cache.get_many([push_pause_cache_key(t.user_id) for t in targets])
    return [t for t in targets if push_pause_cache_key(t.user_id) not in paused]


def notifications_push(*, now: datetime) -> int:
    """Send due alerts to linked Telegram chats; returns how many alerts went out.

    Realtime users get up to PUSH_BATCH alerts per run, daily and weekly users
    one summary per period. Each user's alerts are claimed with SELECT … FOR
    UPDATE SKIP LOCKED and held while they are sent, so two runs never send one
    alert twice; pushed_at is set for exactly the alerts in messages Telegram
    accepted. A worker killed mid-send rolls back its claim, so the alert in
    flight may go out again: Telegram gives no way to make a send and a commit
    one step. One user's failure never stops the others; flood control stops
    the run, since it applies to the whole bot.
    """
    if not telegram_configured():
        return 0
    pushed = 0
    for target in _push_targets(now=now):
        try:
            sent, error = _push_to(target, now=now)
        except Exception:  # one user's bad data must not cost everyone else their alerts
            logger.exception("alerts for user %s failed", target.user_id)
            continue
        pushed += sent
        if isinstance(error, PermanentSendError):
            logger.warning("alerts for user %s cannot be sent: %s", target.user_id, error)
            cache.set(push_pause_cache_key(target.user_id), True, int(PUSH_PAUSE.total_seconds()))
        elif isinstance(error, TransientSendError):
            logger.warning("alerts for user %s not sent yet: %s", target.user_id, error)
            if error.retry_after is not None:
                break
    return pushed


def _push_to(target: _PushTarget, *, now: datetime) -> tuple[int, SendError | None]:
    """Claim, send and record one user's due alerts: (how many went out, the error)."""
    summary = target.frequency in SUMMARY_PERIODS
    with transaction.atomic():
        claimed = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                user_id=target.user_id,
                pushed_at__isnull=True,
                read_at__isnull=True,
                created_at__gte=target.window_start(now),
            )
            .select_related("item", "company")
            .order_by("created_at", "pk")[: SUMMARY_LOCK_LIMIT if summary else PUSH_BATCH]
        )
        if not claimed:
            return 0, None
        with translation.override(target.language):
            messages = (
                _summary_messages(claimed, frequency=target.frequency)
                if summary
                else _realtime_messages(claimed)
            )
        try:
            send_messages(chat_id=target.chat_id, messages=[m.text for m in messages])
        except SendError as error:
            # What went out before the error is recorded, in this transaction;
            # the rest is left to a later run.
            sent = [pk for message in messages[: error.sent] for pk in message.notification_ids]
            return _mark_pushed(sent, now), error
        # A summary names its first alerts and counts the rest: once it is out,
        # every claimed alert has been told about.
        return _mark_pushed([n.pk for n in claimed], now), None


def _mark_pushed(notification_ids: Sequence[int], now: datetime) -> int:
    if not notification_ids:
        return 0
    return Notification.objects.filter(pk__in=notification_ids).update(pushed_at=now)


def _alert_line(notification: Notification) -> AlertLine:
    url, link_label = _alert_link(notification)
    return AlertLine(
        notification_id=notification.pk,
        title=notification.title,
        body=notification.body,
        priority=notification.priority,
        type_label=str(notification.get_type_display()),
        url=url,
        link_label=link_label,
    )


def _alert_link(notification: Notification) -> tuple[str, str]:
    if notification.item is not None:
        return notification.item.url, gettext("Read the article")
    if notification.company is not None:
        path = reverse("competitors:detail", args=[notification.company.slug])
        return settings.SITE_URL + path, gettext("Open the company page")
    if notification.category:
        path = reverse("news:category", args=[notification.category])
        return settings.SITE_URL + path, gettext("Open the category")
    return "", ""


def _realtime_messages(claimed: Sequence[Notification]) -> list[AlertMessage]:
    count = len(claimed)
    heading = ngettext("%(count)d new alert", "%(count)d new alerts", count) % {"count": count}
    return render_alert_messages(
        heading=f"🔔 <b>{escape(heading)}</b>", alerts=[_alert_line(n) for n in claimed]
    )


def _summary_messages(claimed: Sequence[Notification], *, frequency: str) -> list[AlertMessage]:
    count = len(claimed)
    if frequency == NotificationFrequency.WEEKLY:
        heading = ngettext("%(count)d alert this week", "%(count)d alerts this week", count) % {
            "count": count
        }
    else:
        heading = ngettext("%(count)d alert today", "%(count)d alerts today", count) % {
            "count": count
        }
    shown = sorted(
        claimed, key=lambda n: (-priority_rank(n.priority), -n.created_at.timestamp(), -n.pk)
    )
    shown = shown[:SUMMARY_SHOWN]
    url = escape(settings.SITE_URL + reverse("notifications:list"), quote=True)
    rest = count - len(shown)
    if rest:
        more = ngettext("…and %(count)d more", "…and %(count)d more", rest) % {"count": rest}
        footer = f'{escape(more)} <a href="{url}">{escape(gettext("See them all"))}</a>'
    else:
        footer = f'<a href="{url}">{escape(gettext("Open your notifications"))}</a>'
    return render_alert_messages(
        heading=f"🔔 <b>{escape(heading)}</b>",
        alerts=[_alert_line(n) for n in shown],
        footer=footer,
    )
