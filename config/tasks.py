"""Platform tasks. Beat's heartbeat lets operators and probes see that beat is alive."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

BEAT_HEARTBEAT_KEY = "platform:beat:last_dispatch"


# Idempotent (it only overwrites one key), so a redelivery after a crash is harmless.
@shared_task(
    name="config.tasks.beat_heartbeat",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def beat_heartbeat() -> str:
    now = timezone.now().isoformat()
    cache.set(BEAT_HEARTBEAT_KEY, now, timeout=None)
    return now
