"""Celery signal handlers feeding the Redis counters: task runtimes and failures,
worker liveness and beat's last dispatch. Imported by config/celery_app.py."""

from __future__ import annotations

import time
from typing import Any

from celery.signals import (
    beat_init,
    before_task_publish,
    heartbeat_sent,
    task_failure,
    task_postrun,
    task_prerun,
    worker_ready,
)

from config.metrics import events

# A worker sends its Celery heartbeat every 2 s; Redis hears about it this often.
WORKER_SEEN_EVERY_SECONDS = 15.0

_started: dict[str, float] = {}
_worker_seen_at = 0.0
_in_beat = False


@task_prerun.connect
def _task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_finished(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    started = _started.pop(task_id, None) if task_id else None
    if task is None or started is None:
        return
    events.task_recorded(task=task.name, seconds=time.perf_counter() - started, failed=False)


@task_failure.connect
def _task_failed(sender: Any = None, **_: Any) -> None:
    # task_postrun follows and records the run; this only counts the failure.
    name = getattr(sender, "name", None) or "unknown"
    events.task_recorded(task=name, seconds=None, failed=True)


def _worker_seen(hostname: str, *, force: bool) -> None:
    global _worker_seen_at
    now = time.monotonic()
    if not force and now - _worker_seen_at < WORKER_SEEN_EVERY_SECONDS:
        return
    _worker_seen_at = now
    events.timestamp_recorded(events.WORKER_SEEN, labels=[hostname])


@worker_ready.connect
def _worker_ready(sender: Any = None, **_: Any) -> None:
    _worker_seen(str(getattr(sender, "hostname", "") or "unknown"), force=True)


@heartbeat_sent.connect
def _worker_heartbeat(sender: Any = None, **_: Any) -> None:
    eventer = getattr(sender, "eventer", None)
    _worker_seen(str(getattr(eventer, "hostname", "") or "unknown"), force=False)


@beat_init.connect
def _beat_started(**_: Any) -> None:
    global _in_beat
    _in_beat = True


@before_task_publish.connect
def _beat_dispatched(**_: Any) -> None:
    # Only the beat process counts: web and workers publish tasks too.
    if _in_beat:
        events.timestamp_recorded(events.BEAT_DISPATCH)
