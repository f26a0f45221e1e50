from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from competitors.selectors import company_find
from competitors.services import source_upsert
from competitors.source_detection import SourceDetectionError, source_detect
from news.canonical_urls import canonical_url
from news.fetching import FetchError
from news.parsing import FeedParseError

KINDS = ("auto", "feed", "html", "github_releases")


class Command(BaseCommand):
    help = "Add a source by URL; with --kind auto its kind is detected (feeds are discovered)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url")
        parser.add_argument("--company", help="company name or slug")
        parser.add_argument("--kind", choices=KINDS, default="auto")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            url = canonical_url(options["url"])
        except ValueError as error:
            raise CommandError(f"not an http(s) URL: {options['url']}") from error
        company = None
        if options["company"]:
            company = company_find(name_or_slug=options["company"])
            if company is None:
                raise CommandError(f"no company named {options['company']!r}")
        try:
            detected = source_detect(url=url, kind=options["kind"], has_company=company is not None)
        except (FetchError, FeedParseError, SourceDetectionError) as error:
            raise CommandError(f"cannot add {url}: {error}") from error
        with transaction.atomic():
            source, created = source_upsert(
                url=detected.url,
                company=company,
                kind=detected.kind,
                source_type=detected.source_type,
                name=detected.name,
            )
        if not created:
            self.stderr.write(f"{detected.url} is already a source (id {source.pk}).")
        else:
            self.stderr.write(f"Added {detected.kind} source {detected.url}.")
        self.stdout.write(str(source.pk))
