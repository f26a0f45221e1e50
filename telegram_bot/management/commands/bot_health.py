"""Exit 0 when the polling bot's heartbeat is fresh, 1 otherwise: a Docker HEALTHCHECK."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from telegram_bot.heartbeat import HEARTBEAT_INTERVAL, heartbeat_age, heartbeat_path

# Three missed beats: one slow long poll is not yet a sick bot.
DEFAULT_MAX_AGE = int(HEARTBEAT_INTERVAL * 3)


class Command(BaseCommand):
    help = "Check that `runbot` reached Telegram recently (its heartbeat file is fresh)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-age",
            type=int,
            default=DEFAULT_MAX_AGE,
            metavar="SECONDS",
            help=f"Oldest heartbeat that counts as healthy (default {DEFAULT_MAX_AGE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = heartbeat_path()
        age = heartbeat_age(path=path, now=timezone.now())
        if age is None:
            raise CommandError(
                f"No heartbeat at {path}: the bot is not polling (or not running).",
                returncode=1,
            )
        seconds = int(age.total_seconds())
        if seconds > options["max_age"]:
            raise CommandError(
                f"Stale heartbeat: the bot last reached Telegram {seconds} s ago "
                f"(more than {options['max_age']} s).",
                returncode=1,
            )
        self.stdout.write(f"Bot healthy: heartbeat {seconds} s old.")
