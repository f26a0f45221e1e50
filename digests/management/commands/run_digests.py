import json
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from digests import services


def _instant(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--at is not an ISO 8601 date and time: {value!r}") from error
    # A time without an offset is read as UTC, the zone everything is stored in.
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Build and deliver every digest due at the given instant (default now), "
        "synchronously, exactly as the scheduled task does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", metavar="ISO8601", help="the instant to run at (default now)")
        parser.add_argument("--json", action="store_true", help="print one JSON summary")

    def handle(self, *args: Any, **options: Any) -> None:
        now = _instant(options["at"]) if options["at"] else timezone.now()
        report = services.digests_run_due(now=now)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json()))
            return
        delivered = ", ".join(f"{channel} {count}" for channel, count in report.delivered.items())
        self.stdout.write(
            f"due {report.due}, built {report.built}, empty {report.empty}, "
            f"delivered: {delivered}, errors {len(report.errors)}"
        )
        for error in report.errors:
            self.stderr.write(f"  {error}")
