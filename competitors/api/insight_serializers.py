"""Serializers of the insights API: comparing companies, shared and unique themes,
one company's activity, similar companies and saved comparisons.

Periods are whole UTC days, both ends included, like every time in the API. A
category is its value, or null for items of no category ("other"), as in the
news API.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date
from typing import Any

from django.core.validators import slug_re
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from competitors import selectors
from competitors.activity import (
    DEFAULT_PERIOD_DAYS,
    MAX_COMPARE,
    MAX_PERIOD_DAYS,
    MIN_COMPARE,
    CompanyActivity,
    Period,
    TopItem,
    period_errors,
    period_last_days,
)
from competitors.models import Company, SavedComparison
from competitors.similarity import SimilarCompany
from competitors.themes import Theme, Themes
from news.api.serializers import CompanyRefSerializer
from news.categories import Category

CATEGORY_VALUES = frozenset(Category.values)
MAX_SIMILAR = 20
DEFAULT_SIMILAR = 5
RATIO_DECIMALS = 4


def category_value(key: str) -> str | None:
    """A category key of the insights modules as the API shows it: null for "other"."""
    return key if key in CATEGORY_VALUES else None


def _category_field(**kwargs: Any) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=Category.choices, allow_null=True, **kwargs)


class RatioField(serializers.FloatField):
    """A ratio from 0 to 1, to 4 decimal places: 0.9999999999999998 is 1."""

    def to_representation(self, value: Any) -> Any:
        return round(float(value), RATIO_DECIMALS)


def _utc_datetime(**kwargs: Any) -> serializers.DateTimeField:
    return serializers.DateTimeField(default_timezone=UTC, **kwargs)


def _date_field(**kwargs: Any) -> serializers.DateField:
    return serializers.DateField(input_formats=["%Y-%m-%d"], **kwargs)


# ---------------------------------------------------------------- request validation


class CompanySlugsField(serializers.ListField):
    """Slugs of listed companies, turned into the companies in the order given.

    Every problem is a message on the field itself (not per index), naming the slug.
    """

    child = serializers.CharField(allow_blank=True, trim_whitespace=False)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("From 2 to 5 distinct slugs of listed companies."))
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[Company]:
        slugs: list[str] = super().to_internal_value(data)
        repeated = sorted(slug for slug, count in Counter(slugs).items() if count > 1)
        if repeated:
            raise serializers.ValidationError(
                gettext("Each company may be given only once: %(slugs)s.")
                % {"slugs": ", ".join(repeated)},
                code="duplicate",
            )
        if not MIN_COMPARE <= len(slugs) <= MAX_COMPARE:
            raise serializers.ValidationError(
                gettext("Give from %(min)d to %(max)d companies, not %(count)d.")
                % {"min": MIN_COMPARE, "max": MAX_COMPARE, "count": len(slugs)},
                code="count",
            )
        # Anything no slug can be (a NUL byte, say) is unknown without a query.
        valid = [slug for slug in slugs if slug_re.fullmatch(slug)]
        found = {
            company.slug: company for company in selectors.companies_active().filter(slug__in=valid)
        }
        unknown = [slug for slug in slugs if slug not in found]
        if unknown:
            raise serializers.ValidationError(
                [
                    gettext("No listed company has the slug “%(slug)s”.") % {"slug": slug}
                    for slug in unknown
                ],
                code="unknown",
            )
        return [found[slug] for slug in slugs]


def fixed_period(
    *, date_from: date | None, date_to: date | None, errors: dict[str, list[str]]
) -> Period | None:
    """The UTC period of a date range, or None with its problems added to ``errors``.
    The rules, the years a date may take included, are activity.period_errors."""
    for field, messages in period_errors(days=None, date_from=date_from, date_to=date_to).items():
        errors[field] = [str(message) for message in messages]
    if errors or date_from is None or date_to is None:
        return None
    return Period(date_from=date_from, date_to=date_to, tz=UTC)


class CompaniesPeriodSerializer(serializers.Serializer[dict[str, Any]]):
    """2 to 5 companies and a period of UTC days."""

    # Once valid, validated_data holds `companies` (Company objects, in the order
    # given) and `period`.

    companies = CompanySlugsField()
    date_from = _date_field(
        required=False,
        help_text=_("First day (UTC), YYYY-MM-DD. Without both dates: the last 30 days."),
    )
    date_to = _date_field(
        required=False,
        help_text=_("Last day (UTC), included. At most 366 days after date_from."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        date_from, date_to = attrs.pop("date_from", None), attrs.pop("date_to", None)
        if date_from is None and date_to is None:
            attrs["period"] = period_last_days(days=DEFAULT_PERIOD_DAYS, tz=UTC)
            return attrs
        errors: dict[str, list[str]] = {}
        period = fixed_period(date_from=date_from, date_to=date_to, errors=errors)
        if period is None:
            raise serializers.ValidationError(errors)
        attrs["period"] = period
        return attrs


class ActivityQuerySerializer(serializers.Serializer[dict[str, Any]]):
    days = serializers.IntegerField(
        required=False,
        default=DEFAULT_PERIOD_DAYS,
        min_value=1,
        max_value=MAX_PERIOD_DAYS,
        help_text=_("The last N UTC days, today included."),
    )


class SimilarQuerySerializer(serializers.Serializer[dict[str, Any]]):
    limit = serializers.IntegerField(
        required=False, default=DEFAULT_SIMILAR, min_value=1, max_value=MAX_SIMILAR
    )


# ---------------------------------------------------------------- activity


class PeriodSerializer(serializers.Serializer[Period]):
    date_from = serializers.DateField(help_text=_("First UTC day."))
    date_to = serializers.DateField(help_text=_("Last UTC day, included."))
    days = serializers.IntegerField()


class ActivityScoreSerializer(serializers.Serializer[Any]):
    score = serializers.IntegerField(help_text=_("0 to 100."))
    volume = RatioField(help_text=_("0 to 1: items per 30 days, on a log scale."))
    diversity = RatioField(help_text=_("0 to 1: how evenly the items spread over the categories."))
    recency = RatioField(help_text=_("0 to 1: how late in the period the items are."))
    priority = RatioField(help_text=_("0 to 1: the items' mean priority."))


class CategoryShareSerializer(serializers.Serializer[Any]):
    category = _category_field(help_text=_("Null for items of no category."))
    count = serializers.IntegerField()
    share = RatioField(help_text=_("count / total; 0 when there are no items."))


class DayCountSerializer(serializers.Serializer[Any]):
    date = serializers.DateField()
    count = serializers.IntegerField()


class WeekCountSerializer(serializers.Serializer[Any]):
    week_start = serializers.DateField(help_text=_("The week's Monday (may precede the period)."))
    count = serializers.IntegerField(help_text=_("Items of that week inside the period."))


class TopItemSerializer(serializers.Serializer[TopItem]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.URLField()
    published_at = _utc_datetime()
    category = serializers.SerializerMethodField()
    priority = serializers.FloatField(help_text=_("From 0 to 1."))

    @extend_schema_field(_category_field(help_text=_("Null for items of no category.")))
    def get_category(self, item: TopItem) -> str | None:
        return category_value(item.category)


class CompanyActivitySerializer(serializers.Serializer[CompanyActivity]):
    slug = serializers.SlugField(source="company.slug")
    name = serializers.CharField(source="company.name")
    total = serializers.IntegerField(help_text=_("Items published in the period."))
    score = ActivityScoreSerializer()
    categories = serializers.SerializerMethodField(
        help_text=_("Every category in display order, then null (no category); zeros included.")
    )
    daily = serializers.SerializerMethodField(help_text=_("Every day of the period, oldest first."))
    weekly = serializers.SerializerMethodField(
        help_text=_("Every week (Monday to Sunday) touching the period, oldest first.")
    )
    top_items = TopItemSerializer(
        many=True, help_text=_("Up to 5: highest priority first, then newest.")
    )

    @extend_schema_field(CategoryShareSerializer(many=True))
    def get_categories(self, activity: CompanyActivity) -> list[dict[str, Any]]:
        return [
            {
                "category": category_value(key),
                "count": count,
                "share": round(activity.shares.get(key, 0.0), RATIO_DECIMALS),
            }
            for key, count in activity.categories.items()
        ]

    @extend_schema_field(DayCountSerializer(many=True))
    def get_daily(self, activity: CompanyActivity) -> list[dict[str, Any]]:
        return [{"date": day.isoformat(), "count": count} for day, count in activity.daily]

    @extend_schema_field(WeekCountSerializer(many=True))
    def get_weekly(self, activity: CompanyActivity) -> list[dict[str, Any]]:
        return [
            {"week_start": monday.isoformat(), "count": count} for monday, count in activity.weekly
        ]


class CompanyActivityReportSerializer(CompanyActivitySerializer):
    """One company's activity over its period."""

    period = PeriodSerializer()


class ComparisonSerializer(serializers.Serializer[Any]):
    period = PeriodSerializer()
    companies = CompanyActivitySerializer(
        many=True, source="activities", help_text=_("In the order they were asked for.")
    )


# ---------------------------------------------------------------- themes


class ThemeExampleSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.URLField()
    company = serializers.SlugField(source="company_slug")
    published_at = _utc_datetime()


class ThemeCompanyCountSerializer(serializers.Serializer[Any]):
    company = serializers.SlugField()
    count = serializers.IntegerField()


class ThemeSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text=_("The normalised term."))
    label = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.label
        help_text=_("The term as shown.")
    )
    companies = serializers.ListField(
        child=serializers.SlugField(), help_text=_("Slugs, most items first.")
    )
    counts = serializers.SerializerMethodField()
    items = serializers.IntegerField(help_text=_("Items with the theme, all companies together."))
    examples = ThemeExampleSerializer(
        many=True, help_text=_("Up to 3: highest priority first, then newest.")
    )

    @extend_schema_field(ThemeCompanyCountSerializer(many=True))
    def get_counts(self, theme: Theme) -> list[dict[str, Any]]:
        return [{"company": slug, "count": count} for slug, count in theme.counts.items()]


class UniqueThemesSerializer(serializers.Serializer[Any]):
    company = serializers.SlugField()
    themes = ThemeSerializer(many=True)


class ThemesSerializer(serializers.Serializer[Themes]):
    period = PeriodSerializer()
    shared = ThemeSerializer(many=True, help_text=_("Themes of at least two of the companies."))
    unique = serializers.SerializerMethodField(
        help_text=_(
            "Per company, in the order asked for: themes (of at least 2 items) only it has."
        )
    )

    @extend_schema_field(UniqueThemesSerializer(many=True))
    def get_unique(self, themes: Themes) -> list[dict[str, Any]]:
        companies: Sequence[Company] = self.context["companies"]
        return [
            {
                "company": company.slug,
                "themes": ThemeSerializer(themes.unique.get(company.slug, []), many=True).data,
            }
            for company in companies
        ]


# ---------------------------------------------------------------- similarity


class SimilarityComponentsSerializer(serializers.Serializer[Any]):
    category = RatioField(help_text=_("0 to 1: alike category mix."))
    # The stubs type Field.source (where a field reads from); a field may still be named so.
    source = RatioField(  # type: ignore[assignment]
        help_text=_("0 to 1: alike kinds of sources.")
    )
    activity = RatioField(help_text=_("0 to 1: alike volume of news."))
    segment = RatioField(help_text=_("1 for the same segment, else 0."))


class SimilarCompanySerializer(serializers.Serializer[Any]):
    company = CompanyRefSerializer()
    similarity = RatioField(help_text=_("0 to 1."))
    components = SimilarityComponentsSerializer()
    shared_categories = serializers.SerializerMethodField(
        help_text=_("Categories both focus on (up to 2).")
    )
    reason = serializers.CharField(help_text=_("One line, in the language of the request."))

    @extend_schema_field(serializers.ListField(child=_category_field()))
    def get_shared_categories(self, similar: SimilarCompany) -> list[str | None]:
        return [category_value(key) for key in similar.shared_categories]


# ---------------------------------------------------------------- saved comparisons


class SavedComparisonSerializer(serializers.ModelSerializer[SavedComparison]):
    companies: serializers.SlugRelatedField[Company] = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    days = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=_("A rolling period: the last N UTC days; else null."),
    )
    date_from = serializers.DateField(
        read_only=True, allow_null=True, help_text=_("A fixed range; else null.")
    )
    date_to = serializers.DateField(read_only=True, allow_null=True)
    created_at = _utc_datetime(read_only=True)
    updated_at = _utc_datetime(read_only=True)

    class Meta:
        model = SavedComparison
        fields = (
            "id", "name", "companies", "days", "date_from", "date_to", "created_at", "updated_at"
        )  # fmt: skip
        read_only_fields = fields


class SavedComparisonWriteSerializer(serializers.Serializer[dict[str, Any]]):
    """Either `days` or both dates; with neither, the last 30 days. A PATCH keeps
    what it does not send, and either kind of period replaces the other."""

    # Needs context["comparison"] (None when creating). Once valid, validated_data
    # holds every field the service takes: name, companies, days, date_from, date_to.

    name = serializers.CharField(max_length=120)
    companies = CompanySlugsField()
    days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_PERIOD_DAYS,
        help_text=_("A rolling period: the last N UTC days, today included."),
    )
    date_from = _date_field(
        required=False, allow_null=True, help_text=_("A fixed range: its first day.")
    )
    date_to = _date_field(
        required=False, allow_null=True, help_text=_("A fixed range: its last day, included.")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current: SavedComparison | None = self.context.get("comparison")
        days = attrs.get("days")
        date_from, date_to = attrs.get("date_from"), attrs.get("date_to")
        errors: dict[str, list[str]] = {}
        if days is not None and (date_from is not None or date_to is not None):
            errors["days"] = [gettext("Give either a number of days or a date range, not both.")]
        elif date_from is not None or date_to is not None:
            if self.partial and current is not None and current.days is None:
                # One end of a fixed range may change alone.
                date_from = date_from or current.date_from
                date_to = date_to or current.date_to
            fixed_period(date_from=date_from, date_to=date_to, errors=errors)
            days = None
        elif days is None and self.partial and current is not None:
            days, date_from, date_to = current.days, current.date_from, current.date_to
        elif days is None:
            days = DEFAULT_PERIOD_DAYS
        if errors:
            raise serializers.ValidationError(errors)
        name = attrs.get("name", current.name if current else "")
        companies = attrs.get("companies")
        if companies is None and current is not None:
            companies = list(current.companies.all())
        return {
            "name": name,
            "companies": companies,
            "days": days,
            "date_from": date_from,
            "date_to": date_to,
        }
