import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from competitors.models import Source
from news import services
from news.canonical_urls import canonical_url


class Command(BaseCommand):
    help = (
        "Fetch sources now, synchronously. Exits 0 even when some sources fail "
        "(their errors are reported); non-zero only for usage errors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--all", action="store_true", help="every active source")
        target.add_argument("--source", type=int, metavar="ID", help="one saved source")
        target.add_argument("--url", help="a URL that is not saved as a source")
        parser.add_argument("--json", action="store_true", help="print one JSON summary")
        parser.add_argument("--workers", type=int, default=8, help="concurrent fetches")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if options["url"]:
            try:
                url = canonical_url(options["url"])
            except ValueError as error:
                raise CommandError(f"not an http(s) URL: {options['url']}") from error
            outcomes = [services.url_ingest(url=url)]
        else:
            if options["source"] is not None:
                if not Source.objects.filter(pk=options["source"]).exists():
                    raise CommandError(f"no source with id {options['source']}")
                ids = [options["source"]]
            else:
                ids = list(
                    Source.objects.filter(status=Source.Status.ACTIVE).values_list("id", flat=True)
                )
            show_bar = not options["json"] and sys.stderr.isatty()
            with tqdm(total=len(ids), disable=not show_bar, unit="source") as bar:

                def advance(_outcome: services.RefreshOutcome) -> None:
                    bar.update()

                outcomes = services.sources_refresh_many(
                    source_ids=ids, workers=options["workers"], on_done=advance
                )
        errors = [
            {"source": o.source_id, "url": o.url, "error": o.error} for o in outcomes if o.error
        ]
        summary: dict[str, object] = {
            "sources": len(outcomes),
            "fetched": sum(o.fetched and not o.not_modified and not o.error for o in outcomes),
            "not_modified": sum(o.not_modified for o in outcomes),
            "new_items": sum(o.new_items for o in outcomes),
            "duplicates": sum(o.duplicates for o in outcomes),
            "errors": errors,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            f"{summary['sources']} source(s): {summary['fetched']} fetched, "
            f"{summary['not_modified']} not modified, {summary['new_items']} new item(s), "
            f"{summary['duplicates']} already stored, {len(errors)} error(s)"
        )
        for problem in errors:
            self.stdout.write(f"  ! {problem['url']}: {problem['error']}")
