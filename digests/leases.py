"""Claiming a unit of sending work for one worker, with a lease.

Deliveries and channel digests share the shape: status pending or sending,
next_attempt_at, claimed_until, attempts. A conditional UPDATE that changes
exactly one row is the claim: pending work that is due, or work whose sender's
lease ran out (that worker died). Two workers can never both win.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, Model, Q, QuerySet


def claim_with_lease(rows: QuerySet[Model], *, pk: int, now: datetime, lease: timedelta) -> bool:
    return (
        rows.filter(pk=pk)
        .filter(
            Q(status="pending", next_attempt_at__lte=now)
            | Q(status="sending", claimed_until__lt=now)
        )
        .update(status="sending", claimed_until=now + lease, attempts=F("attempts") + 1)
        == 1
    )
