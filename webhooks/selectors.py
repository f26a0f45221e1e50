"""Reads for webhooks: one user's endpoints and delivery logs, and the sweep's due work.

Every read of an endpoint takes its owner and filters by it, so an id from a
URL never reaches someone else's endpoint.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from accounts.models import User
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

RECENT_DELIVERIES = 10


def webhook_endpoints_of_user(*, user: User) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=user).order_by("-created_at", "-pk")


def webhook_endpoint_of_user(*, user: User, endpoint_id: int) -> WebhookEndpoint | None:
    """The endpoint if it belongs to ``user``; None for anyone else's (callers answer 404)."""
    return WebhookEndpoint.objects.filter(owner=user, pk=endpoint_id).first()


def webhook_deliveries_of_endpoint(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's delivery log, newest first."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")


def webhook_recent_deliveries(
    *, endpoint_ids: Iterable[int], per_endpoint: int = RECENT_DELIVERIES
) -> dict[int, list[WebhookDelivery]]:
    """The newest ``per_endpoint`` deliveries of each endpoint, in one query."""
    ids = list(endpoint_ids)
    if not ids:
        return {}
    rows = (
        WebhookDelivery.objects.filter(endpoint_id__in=ids)
        .defer("payload")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("endpoint_id")],
                order_by=[F("created_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=per_endpoint)
        .order_by("endpoint_id", "rank")
    )
    recent: dict[int, list[WebhookDelivery]] = defaultdict(list)
    for delivery in rows:
        recent[delivery.endpoint_id].append(delivery)
    return dict(recent)


def webhook_deliveries_due(*, now: datetime, limit: int) -> list[int]:
    """Open deliveries whose next attempt has come and that no live lease holds, for
    endpoints that receive now (pings go out regardless), oldest first."""
    receiving = Q(endpoint__is_active=True, endpoint__disabled_at__isnull=True)
    return list(
        WebhookDelivery.objects.filter(
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
            next_attempt_at__lte=now,
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(receiving | Q(event=WebhookEvent.PING))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
