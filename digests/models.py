"""Digests, their deliveries, the channel digest and notifications.

Exactly-once lives in the constraints: one Digest per (user, kind, period_end),
one Delivery per (digest, channel), one ChannelDigest per day, one Notification
per (user, dedupe_key). Services create rows with ON CONFLICT DO NOTHING and
claim work with conditional updates, so a duplicate beat or a re-run is harmless.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as django_timezone
from django.utils.translation import gettext_lazy as _


class Digest(models.Model):
    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        ON_DEMAND = "on_demand", _("On request")

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        EMPTY = "empty", _("Nothing new")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="digests",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SCHEDULED)
    # The digest covers [period_start, period_end).
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("until"))
    # The settings the digest was built with, kept so that every channel and a
    # later look at the history render it the same way.
    frequency = models.CharField(_("frequency"), max_length=8, blank=True)
    mode = models.CharField(_("covers"), max_length=8, blank=True)
    format = models.CharField(_("format"), max_length=8, blank=True)
    include_summaries = models.BooleanField(_("include summaries"), default=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    item_count = models.PositiveIntegerField(_("items"), default=0)
    # The built digest (digests.building.DigestContent as JSON): ids, titles and
    # links as they were when it was built.
    content = models.JSONField(_("content"), default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=django_timezone.now)
    built_at = models.DateTimeField(_("built"), null=True, blank=True)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        ordering = ["-period_end", "-pk"]
        constraints = [
            # One scheduled digest per user and period, whatever the schedule says.
            models.UniqueConstraint(
                fields=["user", "period_end"],
                condition=Q(kind="scheduled"),
                name="digests_digest_user_period_unique",
            ),
            # On request: today's and this week's asked in the same second are two.
            models.UniqueConstraint(
                fields=["user", "frequency", "period_end"],
                condition=Q(kind="on_demand"),
                name="digests_digest_on_demand_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-period_end"], name="digests_digest_user_recent"),
            models.Index(
                fields=["created_at"],
                name="digests_digest_pending",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.period_end:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        TELEGRAM = "telegram", _("Telegram")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent")

    digest = models.ForeignKey(
        Digest, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("digest")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # A pending delivery is not tried before this instant (backoff after errors).
    next_attempt_at = models.DateTimeField(_("next attempt"), default=django_timezone.now)
    # A delivery being sent belongs to one worker until then; a worker that dies
    # mid-send leaves it to be claimed again once the lease has run out.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    # Telegram: messages of this digest already in the chat; a retry resumes after them.
    messages_sent = models.PositiveSmallIntegerField(_("messages sent"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=django_timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "channel"], name="digests_delivery_digest_channel_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="digests_delivery_open",
                condition=Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.digest} · {self.channel}"


class ChannelDigest(models.Model):
    """The daily digest of the public Telegram channel: one per day."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    day = models.DateField(_("day"), unique=True)
    channel_id = models.CharField(_("channel"), max_length=64)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    # The built top items (digests.content.DigestContent as JSON), kept so a retry
    # posts exactly what the first attempt began to post.
    content = models.JSONField(_("content"), default=dict, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=django_timezone.now)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    messages_sent = models.PositiveSmallIntegerField(_("messages sent"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=django_timezone.now)

    class Meta:
        verbose_name = _("channel digest")
        verbose_name_plural = _("channel digests")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.channel_id} · {self.day}"


class Notification(models.Model):
    class Type(models.TextChoices):
        NEW_NEWS = "new_news", _("New news")
        COMPANY_ACTIVE = "company_active", _("Busy company")
        PRICING_CHANGE = "pricing_change", _("Pricing change")
        FUNDING_ANNOUNCEMENT = "funding_announcement", _("Funding")
        PRODUCT_LAUNCH = "product_launch", _("Product launch")
        CATEGORY_TREND = "category_trend", _("Category trend")
        KEYWORD_MATCH = "keyword_match", _("Keyword match")
        COMPETITOR_MILESTONE = "competitor_milestone", _("Milestone")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    type = models.CharField(_("type"), max_length=24, choices=Type.choices)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.MEDIUM
    )
    title = models.CharField(_("title"), max_length=500)
    body = models.TextField(_("text"), blank=True)
    item = models.ForeignKey(
        "news.NewsItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("news item"),
    )
    company = models.ForeignKey(
        "competitors.Company",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("company"),
    )
    category = models.CharField(_("category"), max_length=32, blank=True)
    # What makes two notifications the same one: "item:<id>:<type>" for an item,
    # "trend:<category>:<day>" or "active:<company id>:<day>" for scheduled checks.
    dedupe_key = models.CharField(_("key"), max_length=200, editable=False)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Set once the alert went out to Telegram (realtime users only).
    pushed_at = models.DateTimeField(_("sent to Telegram"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=django_timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], name="digests_notification_user_key_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "item", "type"],
                condition=Q(item__isnull=False),
                name="digests_notification_user_item_type_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="digests_notif_user_recent"),
            models.Index(
                fields=["user"], name="digests_notif_user_unread", condition=Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title
