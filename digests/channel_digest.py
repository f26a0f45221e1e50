"""The public channel's daily digest: the top items of the last 24 hours.

One ChannelDigest row per local day (unique) makes it once a day however often
the beat runs; its send is claimed with a conditional update and resumes after
the messages already posted, so a retry never posts one twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from digests.building import Interests, digest_content_build
from digests.content import DigestContent
from digests.leases import claim_with_lease
from digests.models import ChannelDigest, Digest
from digests.scheduling import local_instant, zone_or_utc
from telegram_bot.sending import (
    PermanentSendError,
    TransientSendError,
    send_messages,
    telegram_configured,
)

logger = logging.getLogger(__name__)

TOP_ITEMS = 20
WINDOW = timedelta(hours=24)
MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=5)
EVERYTHING = Interests(mode="all", company_ids=frozenset(), categories=frozenset(), keywords=())


def _post_time() -> time:
    try:
        return time.fromisoformat(settings.TELEGRAM_CHANNEL_DIGEST_TIME)
    except ValueError:
        return time(9, 0)


def channel_digest_due(*, now: datetime) -> ChannelDigest | None:
    """Today's channel digest once its time has come (created on first call)."""
    if not settings.TELEGRAM_CHANNEL_ID or not telegram_configured():
        return None
    zone = zone_or_utc(settings.TELEGRAM_CHANNEL_TIMEZONE)
    today = now.astimezone(zone).date()
    if now < local_instant(day=today, at=_post_time(), zone=zone):
        return None
    existing = ChannelDigest.objects.filter(day=today).first()
    if existing is not None:
        return existing
    content = digest_content_build(
        interests=EVERYTHING, start=now - WINDOW, end=now, max_entries=TOP_ITEMS
    )
    # Two beats at once: the unique day lets one insert win; the other reads it.
    row, _ = ChannelDigest.objects.get_or_create(
        day=today,
        defaults={
            "channel_id": settings.TELEGRAM_CHANNEL_ID,
            "content": content.to_json(),
            "next_attempt_at": now,
        },
    )
    return row


def _render(row: ChannelDigest) -> list[str]:
    from digests.rendering.telegram import telegram_messages

    # An unsaved digest carries the language, zone and period the renderer needs.
    end = row.created_at
    digest = Digest(
        period_start=end - WINDOW,
        period_end=end,
        format="detailed",
        include_summaries=False,
        language=settings.LANGUAGE_CODE,
        timezone=settings.TELEGRAM_CHANNEL_TIMEZONE,
    )
    return telegram_messages(
        digest=digest, content=DigestContent.from_json(row.content), site_url=settings.SITE_URL
    )


def channel_digest_run(*, now: datetime) -> str:
    """Post today's channel digest if it is due and not posted yet; returns what happened."""
    row = channel_digest_due(now=now)
    if row is None:
        return "not_due"
    if not claim_with_lease(ChannelDigest.objects.all(), pk=row.pk, now=now, lease=LEASE):
        return "not_claimed"
    row.refresh_from_db()
    if not DigestContent.from_json(row.content).groups:
        ChannelDigest.objects.filter(pk=row.pk).update(
            status=ChannelDigest.Status.SENT, claimed_until=None, sent_at=timezone.now()
        )
        return "empty"
    messages = _render(row)[row.messages_sent :]
    try:
        sent = send_messages(chat_id=row.channel_id, messages=messages)
    except TransientSendError as error:
        done = row.attempts >= MAX_ATTEMPTS
        ChannelDigest.objects.filter(pk=row.pk).update(
            status=ChannelDigest.Status.FAILED if done else ChannelDigest.Status.PENDING,
            messages_sent=row.messages_sent + error.sent,
            next_attempt_at=timezone.now()
            + max(timedelta(minutes=2**row.attempts), timedelta(seconds=error.retry_after or 0)),
            claimed_until=None,
            last_error=str(error)[:2000],
        )
        logger.warning("channel digest %s failed, attempt %s: %s", row.day, row.attempts, error)
        return "failed" if done else "retry"
    except PermanentSendError as error:
        ChannelDigest.objects.filter(pk=row.pk).update(
            status=ChannelDigest.Status.FAILED,
            messages_sent=row.messages_sent + error.sent,
            claimed_until=None,
            last_error=str(error)[:2000],
        )
        logger.error("channel digest %s refused: %s", row.day, error)
        return "failed"
    ChannelDigest.objects.filter(pk=row.pk).update(
        status=ChannelDigest.Status.SENT,
        messages_sent=row.messages_sent + sent,
        claimed_until=None,
        sent_at=timezone.now(),
        last_error="",
    )
    return "sent"
