"""Outbound webhooks: endpoints, and queueing events for them.

Queueing makes one WebhookDelivery per event and subscribed endpoint, keyed by
(endpoint, event_id) with event_id "<event>:<object id>". Rows are inserted with
ON CONFLICT DO NOTHING, so a re-run task queues nothing twice, and each queueing
function reads in a constant number of queries per batch. The hooks that
digests calls only enqueue a task after commit: no query of their own.
Sending, retries and disabling are in webhooks.sending.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from accounts.models import User
from digests.models import Digest, Notification
from news.models import NewsItem
from news.priority import priority_level
from webhooks.models import (
    STAFF_ONLY_EVENTS,
    SUBSCRIBABLE_EVENTS,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker, not a secret
MAX_ENDPOINTS_PER_USER = 10


class TooManyEndpointsError(Exception):
    """The account already has MAX_ENDPOINTS_PER_USER endpoints."""


class EventNotAllowedError(Exception):
    """An event the owner may not subscribe to (news.created without staff)."""


# ---------------------------------------------------------------- endpoints


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def allowed_events(*, user: User) -> list[str]:
    return [
        str(event)
        for event in SUBSCRIBABLE_EVENTS
        if event not in STAFF_ONLY_EVENTS or user.is_staff
    ]


def _clean_events(*, owner: User, events: Iterable[str]) -> list[str]:
    wanted = set(events)
    allowed = allowed_events(user=owner)
    if not wanted or not wanted <= set(allowed):
        raise EventNotAllowedError(sorted(wanted - set(allowed)))
    return [event for event in allowed if event in wanted]


@transaction.atomic
def webhook_endpoint_create(
    *, owner: User, url: str, events: Iterable[str], description: str = ""
) -> WebhookEndpoint:
    """Register an endpoint with a fresh secret. The URL must already have passed
    webhooks.forms.validate_target_url. Locks the owner's row so the cap
    holds under concurrent requests."""
    User.objects.select_for_update().filter(pk=owner.pk).first()
    if WebhookEndpoint.objects.filter(owner=owner).count() >= MAX_ENDPOINTS_PER_USER:
        raise TooManyEndpointsError
    return WebhookEndpoint.objects.create(
        owner=owner,
        url=url,
        events=_clean_events(owner=owner, events=events),
        description=description.strip(),
        secret=new_secret(),
    )


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what the owner may change; a new URL must have passed validation."""
    fields: list[str] = []
    if url is not None:
        endpoint.url = url
        fields.append("url")
    if events is not None:
        endpoint.events = _clean_events(owner=endpoint.owner, events=events)
        fields.append("events")
    if description is not None:
        endpoint.description = description.strip()
        fields.append("description")
    if is_active is not None:
        endpoint.is_active = is_active
        fields.append("is_active")
    if fields:
        endpoint.save(update_fields=fields)
    return endpoint


def webhook_endpoint_delete(*, owner: User, endpoint_id: int) -> bool:
    """Delete one of the owner's endpoints and its log; False when there is none."""
    deleted, _ = WebhookEndpoint.objects.filter(owner=owner, pk=endpoint_id).delete()
    return deleted > 0


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret from now on; deliveries already queued are signed with it too,
    since signing happens at send time."""
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    return endpoint


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Turn an endpoint back on after the system disabled it (or its owner paused it),
    with a clean failure count."""
    endpoint.is_active = True
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.consecutive_failures = 0
    endpoint.save(
        update_fields=["is_active", "disabled_at", "disabled_reason", "consecutive_failures"]
    )
    return endpoint


def webhook_ping_queue(*, endpoint: WebhookEndpoint, now: datetime) -> WebhookDelivery:
    """Queue a "ping" to the endpoint and send it after commit. A ping goes out
    even to a paused or disabled endpoint, so its owner can test a fix first."""
    event_id = f"{WebhookEvent.PING}:{uuid.uuid4().hex}"
    data = {
        "endpoint_id": endpoint.pk,
        "message": "A test delivery from AI Competitor Insight Hub.",
    }
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=WebhookEvent.PING,
        event_id=event_id,
        payload=_envelope(event=WebhookEvent.PING, event_id=event_id, now=now, data=data),
        next_attempt_at=now,
    )
    from webhooks.tasks import deliver

    deliver.delay_on_commit(delivery.pk)  # type: ignore[attr-defined]
    return delivery


# ---------------------------------------------------------------- queueing events


def _envelope(*, event: str, event_id: str, now: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "event": event, "created_at": now.isoformat(), "data": data}


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _receiving(event: str) -> Q:
    return Q(
        is_active=True,
        disabled_at__isnull=True,
        owner__is_active=True,
        events__contains=[event],
    )


def _items_data(item_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """One query: the analysed items among ``item_ids`` as payload data."""
    items = (
        NewsItem.objects.filter(pk__in=list(item_ids), analysed_at__isnull=False)
        .select_related("company")
        .only(
            "id",
            "title",
            "url",
            "summary",
            "category",
            "priority_score",
            "source_type",
            "published_at",
            "company__slug",
            "company__name",
        )
    )
    return {
        item.pk: {
            "id": item.pk,
            "title": item.title,
            "url": item.url,
            "web_url": _absolute(reverse("news:detail", args=[item.pk])),
            "summary": item.summary,
            "category": item.category or None,
            "priority": priority_level(item.priority_score or 0.0),
            "priority_score": item.priority_score,
            "source_type": item.source_type,
            "published_at": item.published_at.isoformat(),
            "company": (
                {"slug": item.company.slug, "name": item.company.name} if item.company else None
            ),
        }
        for item in items
    }


def _insert(rows: Sequence[WebhookDelivery]) -> int:
    """ON CONFLICT DO NOTHING on (endpoint, event_id), then a sweep after commit.
    Returns how many rows were offered, inserted or not."""
    if not rows:
        return 0
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    from webhooks.tasks import deliver_due

    deliver_due.delay_on_commit()  # type: ignore[attr-defined]
    return len(rows)


def _delivery(
    *, endpoint_id: int, event: str, object_id: int, data: dict[str, Any], now: datetime
) -> WebhookDelivery:
    event_id = f"{event}:{object_id}"
    return WebhookDelivery(
        endpoint_id=endpoint_id,
        event=event,
        event_id=event_id,
        payload=_envelope(event=event, event_id=event_id, now=now, data=data),
        next_attempt_at=now,
    )


def webhook_deliveries_queue_news_created(*, item_ids: Sequence[int], now: datetime) -> int:
    """news.created for every analysed item, to staff endpoints subscribed to it.
    Idempotent (see the module docstring). Three queries, or one when no
    endpoint listens."""
    endpoint_ids = list(
        WebhookEndpoint.objects.filter(
            _receiving(WebhookEvent.NEWS_CREATED), owner__is_staff=True
        ).values_list("pk", flat=True)
    )
    if not endpoint_ids or not item_ids:
        return 0
    items = _items_data(item_ids)
    return _insert(
        [
            _delivery(
                endpoint_id=endpoint_id,
                event=WebhookEvent.NEWS_CREATED,
                object_id=item_id,
                data={"item": item},
                now=now,
            )
            for endpoint_id in endpoint_ids
            for item_id, item in items.items()
        ]
    )


def webhook_deliveries_queue_news_matched(*, item_ids: Sequence[int], now: datetime) -> int:
    """news.matched for each item that gave an endpoint's owner an alert (the
    owner's alert rules decided; digests.notifications wrote the alerts).
    Idempotent. Four queries, or one when no endpoint listens."""
    if not item_ids:
        return 0
    alerted = Notification.objects.filter(item_id__in=list(item_ids)).values("user_id")
    endpoints = list(
        WebhookEndpoint.objects.filter(
            _receiving(WebhookEvent.NEWS_MATCHED), owner_id__in=alerted
        ).values_list("pk", "owner_id")
    )
    if not endpoints:
        return 0
    matches = list(
        Notification.objects.filter(
            item_id__in=list(item_ids), user_id__in={owner_id for _, owner_id in endpoints}
        )
        .order_by("pk")
        .values_list("user_id", "item_id", "type")
    )
    items = _items_data({item_id for _, item_id, _ in matches})
    # One delivery per endpoint and item, with the first alert's type if there were two.
    rows: dict[tuple[int, int], WebhookDelivery] = {}
    for endpoint_id, owner_id in endpoints:
        for user_id, item_id, alert_type in matches:
            if user_id != owner_id or item_id not in items or (endpoint_id, item_id) in rows:
                continue
            rows[endpoint_id, item_id] = _delivery(
                endpoint_id=endpoint_id,
                event=WebhookEvent.NEWS_MATCHED,
                object_id=item_id,
                data={"item": items[item_id], "alert_type": alert_type},
                now=now,
            )
    return _insert(list(rows.values()))


def webhook_deliveries_queue_digest_built(*, digest_id: int, now: datetime) -> int:
    """digest.built for the digest's owner's subscribed endpoints, once it is built
    (ready or empty). Idempotent. Three queries, or two when no endpoint listens."""
    digest = (
        Digest.objects.filter(pk=digest_id, built_at__isnull=False)
        .exclude(status=Digest.Status.PENDING)
        .first()
    )
    if digest is None:
        return 0
    endpoint_ids = list(
        WebhookEndpoint.objects.filter(
            _receiving(WebhookEvent.DIGEST_BUILT), owner_id=digest.user_id
        ).values_list("pk", flat=True)
    )
    data = {
        "digest": {
            "id": digest.pk,
            "kind": digest.kind,
            "status": digest.status,
            "period_start": digest.period_start.isoformat(),
            "period_end": digest.period_end.isoformat(),
            "item_count": digest.item_count,
            "built_at": digest.built_at.isoformat() if digest.built_at else None,
            "web_url": _absolute(reverse("digests:detail", args=[digest.pk])),
        }
    }
    return _insert(
        [
            _delivery(
                endpoint_id=endpoint_id,
                event=WebhookEvent.DIGEST_BUILT,
                object_id=digest.pk,
                data=data,
                now=now,
            )
            for endpoint_id in endpoint_ids
        ]
    )


# The hooks other apps call. They only enqueue a task after commit, so the
# caller's queries and transactions are untouched.


def webhooks_enqueue_news_created(*, item_ids: Sequence[int]) -> None:
    from webhooks.tasks import queue_news_created

    queue_news_created.delay_on_commit(list(item_ids))  # type: ignore[attr-defined]


def webhooks_enqueue_news_matched(*, item_ids: Sequence[int]) -> None:
    from webhooks.tasks import queue_news_matched

    queue_news_matched.delay_on_commit(list(item_ids))  # type: ignore[attr-defined]


def webhooks_enqueue_digest_built(*, digest_id: int) -> None:
    from webhooks.tasks import queue_digest_built

    queue_digest_built.delay_on_commit(digest_id)  # type: ignore[attr-defined]
