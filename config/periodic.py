"""Sync of the periodic schedule declared in settings.PERIODIC_TASKS into
django_celery_beat's tables, which beat's DatabaseScheduler reads.

Contract: the sync is idempotent. It creates missing entries and keeps the task
path and queue in line with the code, but never touches an existing entry's
schedule or enabled flag: those belong to operators, who change them in admin.
Entries the code no longer declares are disabled, not deleted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

MANAGED_MARKER = "Declared in code (settings.PERIODIC_TASKS)."


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)


@transaction.atomic
def periodic_tasks_sync(*, declared: Mapping[str, Mapping[str, Any]] | None = None) -> SyncReport:
    declared = settings.PERIODIC_TASKS if declared is None else declared
    report = SyncReport()
    for name, spec in declared.items():
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=int(str(spec["every_seconds"])), period=IntervalSchedule.SECONDS
        )
        options = {"queue": spec.get("queue", "default")}
        task = PeriodicTask.objects.select_for_update().filter(name=name).first()
        if task is None:
            PeriodicTask.objects.create(
                name=name,
                task=spec["task"],
                interval=interval,
                queue=options["queue"],
                kwargs=json.dumps(spec.get("kwargs", {})),
                description=MANAGED_MARKER,
                enabled=True,
            )
            report.created.append(name)
            continue
        if task.task != spec["task"] or task.queue != options["queue"]:
            task.task = spec["task"]
            task.queue = options["queue"]
            task.save(update_fields=["task", "queue"])
            report.updated.append(name)
    stale = PeriodicTask.objects.filter(description=MANAGED_MARKER, enabled=True).exclude(
        name__in=list(declared)
    )
    for task in stale:
        task.enabled = False
        task.save(update_fields=["enabled"])
        report.disabled.append(task.name)
    return report


def sync_after_migrate(*, using: str = "default", **kwargs: Any) -> None:
    # Runs in the migrate job and `make run`, so beat always sees the declared schedule.
    # A partial migrate may not have created beat's tables yet.
    if PeriodicTask._meta.db_table in connections[using].introspection.table_names():
        periodic_tasks_sync()
