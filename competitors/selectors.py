"""Reads for companies and sources."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from competitors.models import Company, Source


def company_find(*, name_or_slug: str) -> Company | None:
    value = name_or_slug.strip()
    return (
        Company.objects.filter(Q(slug=value.lower()) | Q(name__iexact=value)).first()
        if value
        else None
    )


def _bare_host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def company_find_by_website(*, website: str) -> Company | None:
    host = _bare_host(website)
    if not host:
        return None
    candidates = Company.objects.filter(website__icontains=host)
    return next((company for company in candidates if _bare_host(company.website) == host), None)


def sources_with_health() -> QuerySet[Source]:
    """Sources annotated with the number of items they brought in the last 7 days."""
    week_ago = timezone.now() - timedelta(days=7)
    return Source.objects.select_related("company").annotate(
        items_last_7_days=Count("items", filter=Q(items__fetched_at__gte=week_ago))
    )
