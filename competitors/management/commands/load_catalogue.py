from typing import Any

from django.core.management.base import BaseCommand

from competitors.services import catalogue_load


class Command(BaseCommand):
    help = "Load the built-in catalogue of AI companies and their official sources (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = catalogue_load()
        self.stdout.write(
            f"companies: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged; sources: {report.sources_created} created"
        )
