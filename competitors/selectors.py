"""Reads for companies and sources."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Lower
from django.utils import timezone

from competitors.models import Company, SavedComparison, Source
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


# ---------------------------------------------------------------- REST API

RECENT_ITEMS_DAYS = 30


def _with_tracked(companies: QuerySet[Company], *, user: User | AnonymousUser) -> QuerySet[Company]:
    # One EXISTS per row inside the same query, so a page of companies costs one query.
    if not user.is_authenticated:
        return companies.annotate(tracked=Value(False))
    followed = Company.objects.filter(pk=OuterRef("pk"), followers__user_id=user.pk)
    return companies.annotate(tracked=Exists(followed))


def company_search(
    *,
    user: User | AnonymousUser,
    query: str = "",
    segment: str = "",
    tracked: bool | None = None,
) -> QuerySet[Company]:
    """Active companies by name, each annotated with ``tracked`` (whether ``user``
    follows it). ``query`` matches the name, an alias, the website or a segment, as
    on the companies page plus the website; ``segment`` and ``tracked`` narrow it."""
    companies = _with_tracked(companies_active().order_by(Lower("name"), "pk"), user=user)
    if segment:
        companies = companies.filter(segment=segment)
    if tracked is not None:
        companies = companies.filter(Q(tracked=tracked))
    query = query.strip()
    if query:
        companies = companies.annotate(aliases_text=Cast("aliases", TextField())).filter(
            Q(name__icontains=query)
            | Q(aliases_text__icontains=query)
            | Q(website__icontains=query)
            | Q(segment__in=_segments_matching(query))
        )
    return companies


def company_detail_get(
    *, user: User | AnonymousUser, slug: str, active_only: bool = True
) -> Company | None:
    """A company by slug with ``tracked``, ``recent_items`` (items published in the
    last RECENT_ITEMS_DAYS days) and its sources prefetched; only a listed (active)
    one unless ``active_only`` is False."""
    since = timezone.now() - timedelta(days=RECENT_ITEMS_DAYS)
    companies = companies_active() if active_only else Company.objects.all()
    companies = _with_tracked(companies.filter(slug=slug), user=user)
    recent = (
        NewsItem.objects.filter(company_id=OuterRef("pk"), published_at__gte=since)
        .order_by()
        .values("company_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        companies.annotate(recent_items=Coalesce(Subquery(recent), 0))
        .prefetch_related(
            Prefetch("sources", queryset=Source.objects.order_by("status", "name", "url"))
        )
        .first()
    )


def sources_visible(
    *,
    user: User | AnonymousUser,
    company_slug: str = "",
    status: str = "",
    source_type: str = "",
    kind: str = "",
) -> QuerySet[Source]:
    """Sources with their health (see sources_with_health), filtered. Staff see every
    source; everyone else those of active companies, as on the companies pages."""
    sources = sources_with_health().order_by(Lower("company__name"), "url", "pk")
    if not user.is_staff:
        sources = sources.filter(company__active=True)
    if company_slug:
        sources = sources.filter(company__slug=company_slug)
    if status:
        sources = sources.filter(status=status)
    if source_type:
        sources = sources.filter(source_type=source_type)
    if kind:
        sources = sources.filter(kind=kind)
    return sources


# ---------------------------------------------------------------- saved comparisons


def saved_comparisons_for(*, user: User | AnonymousUser) -> QuerySet[SavedComparison]:
    """The user's saved comparisons, newest first, with their companies (by name)."""
    if not user.is_authenticated:
        return SavedComparison.objects.none()
    return (
        SavedComparison.objects.filter(user=user)
        .prefetch_related(Prefetch("companies", queryset=Company.objects.order_by("name")))
        .order_by("-created_at", "-id")
    )


def saved_comparison_get(*, user: User | AnonymousUser, pk: int) -> SavedComparison | None:
    """One of the user's saved comparisons; None when it is missing or someone else's."""
    return saved_comparisons_for(user=user).filter(pk=pk).first()
