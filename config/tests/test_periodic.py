import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.periodic import MANAGED_MARKER, periodic_tasks_sync

pytestmark = pytest.mark.django_db

DECLARED = {
    "demo: tick": {"task": "config.tasks.beat_heartbeat", "every_seconds": 60, "queue": "default"},
}


def test_sync_is_idempotent():
    periodic_tasks_sync(declared=DECLARED)
    report = periodic_tasks_sync(declared=DECLARED)
    assert (report.created, report.updated, report.disabled) == ([], [], [])
    assert PeriodicTask.objects.filter(name="demo: tick").count() == 1


def test_sync_keeps_operator_choices_but_follows_code_for_the_task_path():
    periodic_tasks_sync(declared=DECLARED)
    task = PeriodicTask.objects.get(name="demo: tick")
    slower, _ = IntervalSchedule.objects.get_or_create(every=600, period=IntervalSchedule.SECONDS)
    task.enabled = False
    task.interval = slower
    task.save()

    renamed = {"demo: tick": {**DECLARED["demo: tick"], "task": "config.tasks.renamed"}}
    report = periodic_tasks_sync(declared=renamed)
    task.refresh_from_db()
    assert report.updated == ["demo: tick"]
    assert task.task == "config.tasks.renamed"
    assert task.enabled is False
    assert task.interval == slower


def test_entries_dropped_from_code_are_disabled_not_deleted():
    periodic_tasks_sync(declared=DECLARED)
    report = periodic_tasks_sync(declared={})
    assert "demo: tick" in report.disabled
    task = PeriodicTask.objects.get(name="demo: tick")
    assert task.enabled is False
    assert task.description == MANAGED_MARKER


def test_migrate_syncs_the_declared_schedule(settings):
    from django.core.management import call_command

    PeriodicTask.objects.all().delete()
    call_command("migrate", verbosity=0)
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert set(settings.PERIODIC_TASKS) <= names
