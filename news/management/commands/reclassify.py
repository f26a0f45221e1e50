from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from news.reclassification import news_items_reclassify


class Command(BaseCommand):
    help = "Apply the current classification rules and priority weights to stored items."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since-days", type=int, help="only items published this recently")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1 or (options["since_days"] or 0) < 0:
            raise CommandError("--batch-size must be positive and --since-days not negative")
        changed = news_items_reclassify(
            since_days=options["since_days"], batch_size=options["batch_size"]
        )
        self.stdout.write(f"{changed} item(s) changed category or priority")
