import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from competitors.models import Source
from competitors.selectors import company_find_by_website
from news.analysis import Context, analyse_text
from news.models import PriorityWeights
from news.priority import priority_score

MAX_LINE = 1_000_000


class Command(BaseCommand):
    help = (
        'Read JSON lines {"title", "summary", "url"?} on stdin; write one JSON line each: '
        '{"category", "priority", "companies", "keywords"}. Same code path as ingestion.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="JSON lines (the only format)")
        parser.add_argument(
            "--source-type",
            default=Source.SourceType.NEWS_SITE,
            choices=Source.SourceType.values,
            help="source type to assume (default news_site)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        context = Context.load()
        weights = PriorityWeights.load().as_data()
        now = timezone.now()
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            if len(line) > MAX_LINE:
                raise CommandError(f"line {number}: longer than {MAX_LINE} characters")
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                raise CommandError(f"line {number}: not JSON ({error.msg})") from error
            if not isinstance(data, dict) or not isinstance(data.get("title", ""), str):
                raise CommandError(f'line {number}: expected an object with a "title" string')
            title = str(data.get("title") or "")
            summary = str(data.get("summary") or "")
            url = data.get("url")
            company = company_find_by_website(website=url) if isinstance(url, str) and url else None
            result = analyse_text(
                context=context,
                title=title,
                summary=summary,
                text="",
                source_type=options["source_type"],
                source_company_id=company.pk if company else None,
            )
            companies = sorted(
                {
                    *result.mentions,
                    *([result.primary_company_id] if result.primary_company_id else []),
                },
                key=lambda company_id: (-result.mentions.get(company_id, 0), company_id),
            )
            self.stdout.write(
                json.dumps(
                    {
                        "category": result.category,
                        "priority": round(
                            priority_score(
                                category=result.category,
                                source_type=options["source_type"],
                                coverage=1,
                                published_at=now,
                                now=now,
                                weights=weights,
                            ),
                            4,
                        ),
                        "companies": [
                            context.company_slugs[c]
                            for c in companies
                            if c in context.company_slugs
                        ],
                        "keywords": result.keywords,
                    },
                    ensure_ascii=False,
                )
            )
