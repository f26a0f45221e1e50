"""Outbound webhooks: the endpoints users register and the deliveries sent to them.

Exactly-once queueing lives in the constraint on (endpoint, event_id): an event
is queued for an endpoint with ON CONFLICT DO NOTHING, so a re-run task queues
nothing twice. Sending is claimed with a conditional UPDATE (see
webhooks.services), so two workers never send one delivery at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as django_timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    NEWS_MATCHED = "news.matched", _("A new item matches my alert rules")
    DIGEST_BUILT = "digest.built", _("A digest was built for me")
    NEWS_CREATED = "news.created", _("Any new analysed item (staff only)")
    PING = "ping", _("Test delivery")


# What an endpoint may subscribe to; "ping" is only ever sent on request.
SUBSCRIBABLE_EVENTS = (
    WebhookEvent.NEWS_MATCHED,
    WebhookEvent.DIGEST_BUILT,
    WebhookEvent.NEWS_CREATED,
)
STAFF_ONLY_EVENTS = frozenset({WebhookEvent.NEWS_CREATED})


class WebhookEndpoint(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("owner"),
    )
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Signs every delivery; the owner sees it to verify signatures, so it is
    # stored as is (a hash could not sign).
    secret = models.CharField(_("signing secret"), max_length=100)
    events = models.JSONField(_("events"), default=list)
    # The owner's switch. disabled_at is the system's: set after repeated failures.
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("deliveries given up in a row"), default=0)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=django_timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.url

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    @property
    def receives(self) -> bool:
        """Whether deliveries are sent to it now."""
        return self.is_active and self.disabled_at is None


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed, will retry")
        GIVEN_UP = "given_up", _("Given up")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    # "<event>:<object>", e.g. "news.matched:42"; sent as X-Webhook-Id, so
    # receivers can drop a delivery they already handled.
    event_id = models.CharField(_("event id"), max_length=100)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=django_timezone.now)
    # A worker sending the delivery holds it until then; one that dies mid-send
    # leaves it to be claimed again once the lease has run out.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=django_timezone.now, editable=False)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhooks_delivery_event_once"
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_log"),
            # The sweep reads only work still to do, the purge only finished work.
            models.Index(
                fields=["next_attempt_at"],
                name="webhooks_delivery_due",
                condition=Q(status__in=["pending", "failed"]),
            ),
            models.Index(
                fields=["created_at"],
                name="webhooks_delivery_done",
                condition=Q(status__in=["succeeded", "given_up"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.FAILED)
