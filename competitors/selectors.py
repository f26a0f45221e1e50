"""Reads for companies and sources."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast, Lower
from django.utils import timezone

from competitors.models import Company, Source
from news.models import NewsItem

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


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


# ---------------------------------------------------------------- companies pages


def companies_active() -> QuerySet[Company]:
    return Company.objects.filter(active=True)


def company_active_by_id(*, pk: int | None) -> Company | None:
    return companies_active().filter(pk=pk).first() if pk is not None else None


def _segments_matching(query: str) -> list[str]:
    """Segment values whose value or (translated) label contains the query."""
    needle = query.casefold()
    return [
        value
        for value, label in Company.Segment.choices
        if needle in value.casefold() or needle in str(label).casefold()
    ]


def company_list(*, query: str = "") -> QuerySet[Company]:
    """Active companies by name; ``query`` matches the name, an alias or a segment."""
    # Case-insensitive: the database collation may sort "Zeta" before "alpha".
    companies = companies_active().order_by(Lower("name"), "pk")
    query = query.strip()
    if not query:
        return companies
    # aliases is a JSON list: searching its text form finds a query inside any alias.
    companies = companies.annotate(aliases_text=Cast("aliases", TextField()))
    return companies.filter(
        Q(name__icontains=query)
        | Q(aliases_text__icontains=query)
        | Q(segment__in=_segments_matching(query))
    )


def company_followed_ids(*, user: User | AnonymousUser) -> set[int]:
    """Ids of the companies the user follows (one query; empty for visitors)."""
    if not user.is_authenticated:
        return set()
    return set(Company.objects.filter(followers__user_id=user.pk).values_list("pk", flat=True))


def company_is_followed(*, user: User | AnonymousUser, company: Company) -> bool:
    if not user.is_authenticated:
        return False
    return company.followers.filter(user_id=user.pk).exists()


def company_sources(*, company: Company) -> list[Source]:
    return list(company.sources.order_by("status", "name", "url"))


def company_latest_items(*, company: Company, limit: int = 30) -> list[NewsItem]:
    return list(
        NewsItem.objects.filter(company=company)
        .only("pk", "title", "url", "published_at", "category", "source_type", "company_id")
        .order_by("-published_at", "-pk")[:limit]
    )
