"""Digests from schedule to inbox: claim what is due, build it, deliver it once.

The contracts, in the order work flows:

1. digests_claim_due locks due Preferences rows with SKIP LOCKED, inserts one
   pending Digest per user for the latest occurrence at or before `now`
   (ON CONFLICT DO NOTHING on (user, kind, period_end)) and moves
   next_digest_at past `now`, all in one transaction. A second beat skips the
   locked rows or finds them no longer due; a crash rolls everything back and
   the rows stay due. After downtime a user gets one digest, not one per miss.
2. digest_build locks one pending Digest (SKIP LOCKED), fills it and inserts
   its Delivery rows (unique per channel) in one transaction.
3. delivery_send claims a Delivery with a conditional UPDATE (pending and due,
   or sending with an expired lease), sends, and records the outcome.
   Transient errors back off exponentially; permanent ones are kept for the
   user to see. A worker killed mid-send leaves a lease that expires, and the
   sweep hands the delivery to another worker.
4. digests_stale_work finds what a lost task left behind: pending digests
   older than BUILD_GRACE and deliveries due again.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import DigestChannel, Preferences, User
from digests.building import Interests, digest_content_build, interests_of
from digests.content import DigestContent
from digests.leases import claim_with_lease
from digests.models import Delivery, Digest
from digests.scheduling import (
    latest_occurrence,
    next_occurrence,
    on_demand_period,
    previous_occurrence,
    schedule_for,
    zone_or_utc,
)
from telegram_bot.models import TelegramLink
from telegram_bot.sending import (
    PermanentSendError,
    TransientSendError,
    send_messages,
    telegram_configured,
)
from webhooks.services import webhooks_enqueue_digest_built

logger = logging.getLogger(__name__)

CLAIM_BATCH = 200
# A scheduled digest reaches back at most this far, however long ago the last one was.
MAX_PERIOD = timedelta(days=35)
# A pending digest this old has lost its build task.
BUILD_GRACE = timedelta(minutes=2)
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=2)


def delivery_lease() -> timedelta:
    return timedelta(seconds=settings.DIGEST_DELIVERY_LEASE_SECONDS)


def backoff(*, attempts: int, retry_after: float | None = None) -> timedelta:
    """1, 2, 4, 8 … minutes, capped; never sooner than Telegram's retry_after."""
    delay = min(BACKOFF_BASE * (1 << min(max(attempts - 1, 0), 16)), BACKOFF_CAP)
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def digest_language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


# ---------------------------------------------------------------- scheduling


def next_digest_at(
    *, preferences: Preferences, timezone_name: str, now: datetime
) -> datetime | None:
    if not preferences.digest_enabled:
        return None
    schedule = schedule_for(preferences=preferences, timezone_name=timezone_name)
    return next_occurrence(schedule=schedule, after=now)


def preferences_reschedule(*, preferences: Preferences, timezone_name: str, now: datetime) -> None:
    """Recompute next_digest_at after a change of schedule or time zone.

    The next digest still starts where the last one ended (see digests_claim_due),
    so moving the time never loses or repeats items.
    """
    preferences.next_digest_at = next_digest_at(
        preferences=preferences, timezone_name=timezone_name, now=now
    )
    Preferences.objects.filter(pk=preferences.pk).update(next_digest_at=preferences.next_digest_at)


def digests_schedule_missing(*, now: datetime) -> int:
    """Give every account a schedule: users without preferences get the defaults,
    and enabled preferences without a next_digest_at (new, or just migrated) get one."""
    Preferences.objects.bulk_create(
        [
            Preferences(user_id=pk)
            for pk in User.objects.filter(preferences__isnull=True, is_active=True).values_list(
                "pk", flat=True
            )
        ],
        ignore_conflicts=True,
    )
    rows = list(
        Preferences.objects.filter(digest_enabled=True, next_digest_at__isnull=True).select_related(
            "user"
        )
    )
    for preferences in rows:
        preferences.next_digest_at = next_digest_at(
            preferences=preferences, timezone_name=preferences.user.timezone, now=now
        )
    Preferences.objects.bulk_update(rows, ["next_digest_at"], batch_size=500)
    return len(rows)


@dataclass
class Claim:
    due: int = 0
    digest_ids: list[int] = field(default_factory=list)


def _snapshot(*, preferences: Preferences, user: User) -> dict[str, object]:
    return {
        "frequency": preferences.digest_frequency,
        "mode": preferences.digest_mode,
        "format": preferences.digest_format,
        "include_summaries": preferences.digest_include_summaries,
        "language": digest_language(user),
        "timezone": user.timezone,
    }


def digests_claim_due(*, now: datetime, limit: int = CLAIM_BATCH) -> Claim:
    """Create the pending scheduled digests of up to `limit` due users (see the module doc)."""
    claim = Claim()
    with transaction.atomic():
        rows = list(
            Preferences.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(digest_enabled=True, next_digest_at__lte=now, user__is_active=True)
            .select_related("user")
            .order_by("next_digest_at")[:limit]
        )
        claim.due = len(rows)
        if not rows:
            return claim
        last_ends = dict(
            Digest.objects.filter(
                user_id__in=[row.user_id for row in rows], kind=Digest.Kind.SCHEDULED
            )
            .values("user_id")
            .annotate(last=Max("period_end"))
            .values_list("user_id", "last")
        )
        digests = []
        for preferences in rows:
            user = preferences.user
            schedule = schedule_for(preferences=preferences, timezone_name=user.timezone)
            end = latest_occurrence(schedule=schedule, at_or_before=now)
            preferences.next_digest_at = next_occurrence(schedule=schedule, after=now)
            last_end = last_ends.get(user.pk)
            if end is None or (last_end is not None and last_end >= end):
                continue
            if last_end is not None and last_end >= end - MAX_PERIOD:
                start = last_end
            else:
                start = previous_occurrence(schedule=schedule, before=end) or end - timedelta(
                    days=1
                )
            digests.append(
                Digest(
                    user=user,
                    kind=Digest.Kind.SCHEDULED,
                    period_start=start,
                    period_end=end,
                    **_snapshot(preferences=preferences, user=user),
                )
            )
        Digest.objects.bulk_create(digests, ignore_conflicts=True)
        Preferences.objects.bulk_update(rows, ["next_digest_at"])
        if digests:
            pairs = Q()
            for digest in digests:
                pairs |= Q(user_id=digest.user_id, period_end=digest.period_end)
            claim.digest_ids = list(
                Digest.objects.filter(
                    pairs, kind=Digest.Kind.SCHEDULED, status=Digest.Status.PENDING
                )
                .order_by("pk")
                .values_list("pk", flat=True)
            )
    return claim


# ---------------------------------------------------------------- building


# Delivery errors are stored in English and translated when shown (gettext_noop
# marks them for translation); a raw error from a server stays as it came.


def _delivery_rows(
    *, digest: Digest, preferences: Preferences | None, user: User
) -> list[Delivery]:
    if preferences is None or (
        digest.status == Digest.Status.EMPTY and not settings.DIGEST_SEND_EMPTY
    ):
        return []
    rows = []
    channels = [
        value for value in DigestChannel.values if value in (preferences.digest_channels or [])
    ]
    for channel in channels:
        problem = ""
        if channel == DigestChannel.EMAIL and not user.is_verified:
            problem = gettext_noop(
                "Your email address is not confirmed, so digests are not emailed."
            )
        elif channel == DigestChannel.TELEGRAM:
            if not telegram_configured():
                problem = gettext_noop("Telegram is not available on this server.")
            else:
                link = TelegramLink.objects.filter(user=user).first()
                if link is None:
                    problem = gettext_noop("Telegram is not connected to your account.")
                elif link.blocked_at is not None:
                    problem = gettext_noop(
                        "Telegram refused to deliver to your chat (was the bot blocked?). "
                        "Connect Telegram again in Settings."
                    )
        rows.append(
            Delivery(
                digest=digest,
                channel=channel,
                status=Delivery.Status.SKIPPED if problem else Delivery.Status.PENDING,
                last_error=problem,
            )
        )
    return rows


def _fill(digest: Digest, *, interests: Interests, now: datetime) -> None:
    content = digest_content_build(
        interests=interests, start=digest.period_start, end=digest.period_end
    )
    digest.content = content.to_json()
    digest.item_count = content.entry_count
    digest.status = Digest.Status.EMPTY if content.is_empty else Digest.Status.READY
    digest.built_at = now


@dataclass(frozen=True)
class Built:
    status: str  # ready | empty
    delivery_ids: list[int]


def digest_build(*, digest_id: int, now: datetime) -> Built | None:
    """Build one pending digest and create its deliveries; returns its status and
    the deliveries to send, or None when there was nothing to build. Locks the
    digest (SKIP LOCKED): a digest being built or already built is left alone, so
    a redelivered task is harmless."""
    with transaction.atomic():
        digest = (
            Digest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=digest_id, status=Digest.Status.PENDING)
            .first()
        )
        if digest is None:
            return None
        preferences = Preferences.objects.filter(user_id=digest.user_id).first()
        interests = interests_of(preferences=preferences)
        interests = Interests(
            mode=digest.mode or interests.mode,
            company_ids=interests.company_ids,
            categories=interests.categories,
            keywords=interests.keywords,
        )
        _fill(digest, interests=interests, now=now)
        digest.save(update_fields=["content", "item_count", "status", "built_at"])
        Delivery.objects.bulk_create(
            _delivery_rows(digest=digest, preferences=preferences, user=digest.user),
            ignore_conflicts=True,
        )
        delivery_ids = list(
            Delivery.objects.filter(digest=digest, status=Delivery.Status.PENDING).values_list(
                "pk", flat=True
            )
        )
        webhooks_enqueue_digest_built(digest_id=digest.pk)
    return Built(status=digest.status, delivery_ids=delivery_ids)


# ---------------------------------------------------------------- delivering


@dataclass(frozen=True)
class SendOutcome:
    status: str  # sent | retry | failed | not_claimed
    channel: str = ""
    error: str = ""


def _claim_delivery(*, delivery_id: int, now: datetime) -> bool:
    return claim_with_lease(Delivery.objects.all(), pk=delivery_id, now=now, lease=delivery_lease())


class _TransientDeliveryError(Exception):
    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _PermanentDeliveryError(Exception):
    pass


def _send_email(delivery: Delivery, content: DigestContent) -> None:
    from digests.rendering.email import digest_email

    digest = delivery.digest
    message = digest_email(
        digest=digest, content=content, site_url=settings.SITE_URL, to=digest.user.email
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        raise _PermanentDeliveryError(
            gettext_noop("The mail server refused the address.")
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        raise _TransientDeliveryError(f"Mail server unavailable: {error}") from error


def _send_telegram(delivery: Delivery, content: DigestContent) -> None:
    from digests.rendering.common import digest_language as rendering_language
    from digests.rendering.telegram import telegram_messages
    from telegram_bot.bot.keyboards import digest_quick_keyboard

    digest = delivery.digest
    link = TelegramLink.objects.filter(user_id=digest.user_id).first()
    if link is None:
        raise _PermanentDeliveryError(gettext_noop("Telegram is not connected to your account."))
    messages = telegram_messages(digest=digest, content=content, site_url=settings.SITE_URL)
    remaining = messages[delivery.messages_sent :]
    # The quick controls follow the digest (on its last message).
    keyboard = digest_quick_keyboard(rendering_language(digest))
    try:
        sent = send_messages(chat_id=link.chat_id, messages=remaining, reply_markup=keyboard)
    except TransientSendError as error:
        _record_progress(delivery, error.sent)
        raise _TransientDeliveryError(str(error), retry_after=error.retry_after) from error
    except PermanentSendError as error:
        _record_progress(delivery, error.sent)
        raise _PermanentDeliveryError(str(error)) from error
    _record_progress(delivery, sent)


def _record_progress(delivery: Delivery, sent: int) -> None:
    if sent:
        delivery.messages_sent += sent
        Delivery.objects.filter(pk=delivery.pk).update(messages_sent=delivery.messages_sent)


def delivery_send(*, delivery_id: int, now: datetime) -> SendOutcome:
    """Send one delivery if this call wins its claim (see the module doc)."""
    if not _claim_delivery(delivery_id=delivery_id, now=now):
        return SendOutcome(status="not_claimed")
    delivery = Delivery.objects.select_related("digest", "digest__user").get(pk=delivery_id)
    content = DigestContent.from_json(delivery.digest.content)
    sender = _send_email if delivery.channel == Delivery.Channel.EMAIL else _send_telegram
    try:
        sender(delivery, content)
    except _TransientDeliveryError as error:
        done = delivery.attempts >= MAX_ATTEMPTS
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED if done else Delivery.Status.PENDING,
            next_attempt_at=timezone.now()
            + backoff(attempts=delivery.attempts, retry_after=error.retry_after),
            claimed_until=None,
            last_error=str(error)[:2000],
        )
        logger.warning(
            "digest delivery %s (%s) failed, attempt %s: %s",
            delivery.pk,
            delivery.channel,
            delivery.attempts,
            error,
        )
        return SendOutcome(
            status="failed" if done else "retry", channel=delivery.channel, error=str(error)
        )
    except _PermanentDeliveryError as error:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED, claimed_until=None, last_error=str(error)[:2000]
        )
        return SendOutcome(status="failed", channel=delivery.channel, error=str(error))
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
    )
    return SendOutcome(status="sent", channel=delivery.channel)


# ---------------------------------------------------------------- lost work


@dataclass
class StaleWork:
    digest_ids: list[int] = field(default_factory=list)
    delivery_ids: list[int] = field(default_factory=list)


def digests_stale_work(*, now: datetime, limit: int = 5000) -> StaleWork:
    """Work whose task was lost (a killed worker, a broker hiccup): pending digests
    past the build grace, and deliveries due again or with an expired lease."""
    return StaleWork(
        digest_ids=list(
            Digest.objects.filter(status=Digest.Status.PENDING, created_at__lt=now - BUILD_GRACE)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        ),
        delivery_ids=list(
            Delivery.objects.filter(
                Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
                | Q(status=Delivery.Status.SENDING, claimed_until__lt=now)
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        ),
    )


# ---------------------------------------------------------------- on demand


def _next_whole_second(moment: datetime) -> datetime:
    # Whole seconds make a double click one digest; rounding up keeps the items
    # first seen earlier in this second inside the period.
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def digest_send_now(*, user: User, kind: str, now: datetime) -> Digest:
    """ "Today's" (kind "daily") or "this week's" ("weekly") digest, built now and
    sent on the user's channels. Asking twice in the same second gives one digest."""
    from digests.tasks import delivery_send_task

    preferences = Preferences.objects.filter(user=user).first()
    zone = zone_or_utc(user.timezone)
    start, end = on_demand_period(
        kind=kind,
        now=_next_whole_second(now),
        zone=zone,
        week_start=getattr(preferences, "week_start", "monday"),
    )
    snapshot = (
        _snapshot(preferences=preferences, user=user)
        if preferences
        else {"language": digest_language(user), "timezone": user.timezone}
    )
    snapshot["frequency"] = kind
    digest, _ = Digest.objects.get_or_create(
        user=user,
        kind=Digest.Kind.ON_DEMAND,
        frequency=kind,
        period_end=end,
        defaults={"period_start": start, **{k: v for k, v in snapshot.items() if k != "frequency"}},
    )
    with transaction.atomic():
        built = digest_build(digest_id=digest.pk, now=now)
        for delivery_id in built.delivery_ids if built else []:
            # celery-types does not know delay_on_commit (Celery 5.4+).
            delivery_send_task.delay_on_commit(delivery_id)  # type: ignore[attr-defined]
    digest.refresh_from_db()
    return digest


# ---------------------------------------------------------------- operators


@dataclass
class RunReport:
    due: int = 0
    built: int = 0
    empty: int = 0
    delivered: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(DigestChannel.values, 0)
    )
    errors: list[dict[str, object]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "due": self.due,
            "built": self.built,
            "empty": self.empty,
            "delivered": self.delivered,
            "errors": self.errors,
        }


def _deliver_all(report: RunReport, delivery_ids: Sequence[int]) -> None:
    for delivery_id in delivery_ids:
        outcome = delivery_send(delivery_id=delivery_id, now=timezone.now())
        if outcome.status == "sent":
            report.delivered[outcome.channel] = report.delivered.get(outcome.channel, 0) + 1
        elif outcome.status in {"retry", "failed"}:
            report.errors.append(
                {"delivery": delivery_id, "channel": outcome.channel, "error": outcome.error}
            )


def digests_run_due(*, now: datetime) -> RunReport:
    """Everything due at `now`, synchronously: what the beat task and its workers do,
    in one process. Also picks up work a lost task left behind."""
    report = RunReport()
    digests_schedule_missing(now=now)
    while True:
        claim = digests_claim_due(now=now)
        report.due += claim.due
        for digest_id in claim.digest_ids:
            _build_and_count(report, digest_id=digest_id, now=now)
        if claim.due < CLAIM_BATCH:
            break
    stale = digests_stale_work(now=max(now, timezone.now()))
    for digest_id in stale.digest_ids:
        _build_and_count(report, digest_id=digest_id, now=now)
    _deliver_all(report, stale.delivery_ids)
    return report


def _build_and_count(report: RunReport, *, digest_id: int, now: datetime) -> None:
    built = digest_build(digest_id=digest_id, now=now)
    if built is None:
        return
    if built.status == Digest.Status.READY:
        report.built += 1
    else:
        report.empty += 1
    _deliver_all(report, built.delivery_ids)
