from typing import Any

from django.core.management.base import BaseCommand

from config.periodic import periodic_tasks_sync


class Command(BaseCommand):
    help = "Create or update the periodic tasks declared in settings.PERIODIC_TASKS."

    def handle(self, *args: Any, **options: Any) -> None:
        report = periodic_tasks_sync()
        self.stdout.write(
            f"periodic tasks: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.disabled)} disabled"
        )
