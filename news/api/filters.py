"""The news list's query parameters: validation, and the items they select.

The filters the web list also has (companies, categories, source types, tracked
companies) go through the same selector as the web list (news.listing), and the
full-text search through news.selectors, so both answer the same question the
same way. The API adds exact time bounds and a minimum priority score.

Unlike the web form, which drops what it cannot read, the API rejects it: a
client with a typo should hear about it, not get an unfiltered list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from accounts.selectors import tracked_company_ids
from competitors.models import Company, Source
from news.categories import OTHER_LABEL, Category
from news.forms import EARLIEST_DATE, LATEST_DATE, MAX_QUERY_LENGTH
from news.listing import OTHER_CATEGORY, NewsFilters, news_items_filtered
from news.models import NewsItem
from news.selectors import news_items_search

MAX_COMPANIES = 100
CATEGORY_FILTER_CHOICES = [*Category.choices, (OTHER_CATEGORY, OTHER_LABEL)]
# "+01:00" arrives as " 01:00" when a client forgets to encode the plus sign.
_UNENCODED_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


@extend_schema_field(OpenApiTypes.STR)
class DayOrMomentField(serializers.Field):  # type: ignore[type-arg]
    """An ISO 8601 date ("2026-03-01", a whole UTC day) or date-time
    ("2026-03-01T09:30:00Z"; without an offset, UTC)."""

    default_error_messages = {
        "invalid": _("Enter an ISO 8601 date (YYYY-MM-DD) or date-time."),
        "out_of_range": _("Enter a date between 1990 and 2200."),
    }

    def to_internal_value(self, data: Any) -> date | datetime:
        text = _UNENCODED_OFFSET.sub(r"+\1", str(data).strip())
        value: date | datetime
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            self.fail("invalid")
        day = value.date() if isinstance(value, datetime) else value
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            self.fail("out_of_range")
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def to_representation(self, value: date | datetime) -> str:
        return value.isoformat()


class NewsFilterSerializer(serializers.Serializer[dict[str, Any]]):
    company = serializers.ListField(
        child=serializers.SlugField(max_length=120),
        required=False,
        max_length=MAX_COMPANIES,
        help_text=_(
            "A company slug; repeat for several (any of them). An unknown slug is a 400 "
            "error on this field, not an empty list."
        ),
    )
    category = serializers.ListField(
        child=serializers.ChoiceField(choices=CATEGORY_FILTER_CHOICES),
        required=False,
        help_text=_('A category value; repeat for several. "other" selects uncategorised items.'),
    )
    source_type = serializers.ListField(
        child=serializers.ChoiceField(choices=Source.SourceType.choices),
        required=False,
        help_text=_("A source type; repeat for several."),
    )
    min_priority = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=1.0,
        help_text=_("Only items whose priority score is at least this (0 to 1; high is 0.8)."),
    )
    since = DayOrMomentField(
        required=False,
        help_text=_(
            "Published at or after this: an ISO 8601 date-time, or a date for the start "
            "of that UTC day."
        ),
    )
    until = DayOrMomentField(
        required=False,
        help_text=_(
            "Published at or before this: an ISO 8601 date-time, or a date for the whole "
            "of that UTC day."
        ),
    )
    tracked_only = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Only items of the companies the requesting user tracks."),
    )
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY_LENGTH,
        help_text=_(
            'Full-text search ("quoted phrase", -exclusion, OR). Matches among the newest '
            "1,000 hits, listed newest first like every other page."
        ),
    )

    def validate_company(self, slugs: list[str]) -> list[int]:
        """The companies' ids: the list filters on them rather than joining on slugs,
        which lets PostgreSQL read one company's newest items straight from its index."""
        slugs = list(dict.fromkeys(slugs))
        known = dict(Company.objects.order_by().filter(slug__in=slugs).values_list("slug", "pk"))
        unknown = [slug for slug in slugs if slug not in known]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown company: %(slugs)s.") % {"slugs": ", ".join(unknown)}
            )
        return [known[slug] for slug in slugs]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = _lower_bound(attrs.get("since")), _upper_bound(attrs.get("until"))
        if since is not None and until is not None and since >= until:
            raise serializers.ValidationError({"until": [_("Must be after since.")]})
        return attrs

    def news_query(self) -> NewsQuery:
        data = self.validated_data
        return NewsQuery(
            filters=NewsFilters(
                categories=tuple(dict.fromkeys(data.get("category") or ())),
                source_types=tuple(dict.fromkeys(data.get("source_type") or ())),
            ),
            company_ids=tuple(data["company"]) if data.get("company") else None,
            tracked=bool(data.get("tracked_only")),
            min_priority=data.get("min_priority"),
            since=_lower_bound(data.get("since")),
            until=_upper_bound(data.get("until")),
            q=" ".join(str(data.get("q") or "").split()),
        )


def _lower_bound(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


def _upper_bound(value: date | datetime | None) -> datetime | None:
    """The exclusive upper bound: the next day's start for a date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    return datetime.combine(value + timedelta(days=1), time.min, tzinfo=UTC)


@dataclass(frozen=True)
class NewsQuery:
    # What the web list can also filter on; dates there are whole local days, here
    # unused. Companies are the fields below.
    filters: NewsFilters
    # Any of these companies (the `company` slugs' ids); None for no such filter.
    company_ids: tuple[int, ...] | None = None
    # Only the requesting user's tracked companies.
    tracked: bool = False
    min_priority: float | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    q: str = ""


def news_items_for_query(*, query: NewsQuery, user: User) -> QuerySet[NewsItem]:
    """The items `query` selects, unordered (the paginator orders them)."""
    items = NewsItem.objects.all()
    if query.min_priority is not None:
        items = items.filter(priority_score__gte=query.min_priority)
    if query.since is not None:
        items = items.filter(published_at__gte=query.since)
    if query.until is not None:
        items = items.filter(published_at__lt=query.until)
    company_ids = None if query.company_ids is None else set(query.company_ids)
    if query.tracked:
        tracked = tracked_company_ids(user=user)
        company_ids = tracked if company_ids is None else company_ids & tracked
    if company_ids is not None:
        # The ids themselves, not a subquery of them: with one company, PostgreSQL
        # then reads its newest items in order from newsitem_company_cover_idx.
        items = items.filter(company_id__in=sorted(company_ids))
    items = news_items_filtered(filters=query.filters, user=user, tz=UTC, queryset=items)
    if query.q:
        # Only the matching ids: the search's rank and headline are per-row work
        # that a newest-first page does not show.
        items = NewsItem.objects.filter(
            pk__in=news_items_search(query=query.q, queryset=items).values("pk")
        )
    return items
