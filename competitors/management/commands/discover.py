import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from competitors.discovery import (
    DiscoveredSource,
    DiscoveryError,
    DiscoveryPreview,
    competitor_create_from_preview,
    competitor_discover,
    homepage_url,
)
from news.classification import category_of


class Command(BaseCommand):
    help = (
        "Discover a competitor from its website: name, description, logo, social profiles, "
        "feeds, news pages and the latest items. With --save, create the company and its "
        "sources (or add them to the company that already has this website)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="the company's website, e.g. https://acme.com")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--save", action="store_true", help="create or merge the company")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            homepage_url(options["url"])
        except DiscoveryError as error:
            raise CommandError(str(error)) from error
        try:
            preview = competitor_discover(url=options["url"], categorize=category_of)
        except DiscoveryError as error:
            raise CommandError(f"Discovery failed: {error}") from error
        result = preview.to_dict()
        if options["save"]:
            company, created = competitor_create_from_preview(preview=preview)
            result["saved"] = {
                "company_id": company.pk,
                "slug": company.slug,
                "sources_created": [source.url for source in created],
            }
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(_readable(preview))
        if saved := result.get("saved"):
            self.stdout.write(
                f"Saved company {saved['company_id']} ({saved['slug']}): "
                f"{len(saved['sources_created'])} new source(s)."
            )


def _readable(preview: DiscoveryPreview) -> str:
    lines = [f"{preview.name} <{preview.website}>"]
    if preview.existing_company_id is not None:
        lines.append(f"  already tracked as company {preview.existing_company_id}")
    details = (
        ("Description", preview.description),
        ("Segment", preview.segment),
        ("Logo", preview.logo_url),
        ("X/Twitter", preview.twitter_handle and f"@{preview.twitter_handle}"),
        ("GitHub", preview.github_org),
        ("LinkedIn", preview.linkedin_url),
        ("Instagram", preview.instagram_handle and f"@{preview.instagram_handle}"),
    )
    lines += [f"  {label}: {value}" for label, value in details if value]
    for heading, sources in (
        ("Feeds", preview.feeds),
        ("News pages", preview.pages),
        ("GitHub releases", preview.github_releases),
    ):
        lines.append(f"{heading}:" if sources else f"{heading}: none found")
        lines += [_source_line(source) for source in sources]
    lines.append("Latest items:" if preview.sample else "Latest items: none found")
    for item in preview.sample:
        date = item.published_at.date().isoformat() if item.published_at else "undated"
        category = f" [{item.category}]" if item.category else ""
        lines.append(f"  {date}  {item.title}{category}\n              {item.url}")
    return "\n".join(lines)


def _source_line(source: DiscoveredSource) -> str:
    name = f" ({source.name})" if source.name else ""
    return f"  - {source.url}{name} [{source.source_type}]"
