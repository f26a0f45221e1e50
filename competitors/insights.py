"""News statistics for the companies pages: daily activity, weekly categories,
category totals and source health.

Each query function runs a single aggregate query whatever the number of items or
companies, so the pages that use them keep a constant query count. Days and weeks
are those of the current time zone (the signed-in user's, activated by middleware),
so "today" and the week boundaries match what the user's calendar says.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from django.db.models import Count
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from competitors.charts import category_key
from competitors.models import Source
from news.models import NewsItem

ACTIVITY_DAYS = 30
CHART_WEEKS = 12
# Failures in a row after which a source counts as broken rather than flaky.
FAILURES_FOR_ERROR = 3

Health = Literal["ok", "warning", "error"]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def activity_days(*, days: int = ACTIVITY_DAYS) -> list[date]:
    """The last ``days`` local dates, oldest first, today included."""
    today = timezone.localdate()
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def companies_daily_activity(
    *, company_ids: Collection[int], days: int = ACTIVITY_DAYS
) -> dict[int, list[int]]:
    """Items published per local day over the last ``days`` days, oldest first, for
    each company id (every id gets a series, zeros included)."""
    series = {company_id: [0] * days for company_id in company_ids}
    if not series:
        return series
    first, last = activity_days(days=days)[0], timezone.localdate()
    rows = (
        NewsItem.objects.filter(
            company_id__in=series.keys(),
            published_at__gte=_start_of(first),
            published_at__lt=_start_of(last + timedelta(days=1)),
        )
        .annotate(day=TruncDate("published_at", tzinfo=timezone.get_current_timezone()))
        .values("company_id", "day")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for row in rows:
        index = (row["day"] - first).days
        if 0 <= index < days:
            series[row["company_id"]][index] = row["count"]
    return series


@dataclass(frozen=True)
class WeeklyCategories:
    weeks: list[date]  # local Mondays, oldest first
    counts: dict[tuple[date, str], int]  # (Monday, category key) -> items


def chart_weeks(*, weeks: int = CHART_WEEKS) -> list[date]:
    today = timezone.localdate()
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=offset) for offset in range(weeks - 1, -1, -1)]


def company_weekly_categories(*, company_id: int, weeks: int = CHART_WEEKS) -> WeeklyCategories:
    """The company's items per local week (Monday to Sunday) and category key, for the
    last ``weeks`` weeks, the current one included."""
    mondays = chart_weeks(weeks=weeks)
    rows = (
        NewsItem.objects.filter(
            company_id=company_id,
            published_at__gte=_start_of(mondays[0]),
            published_at__lt=_start_of(mondays[-1] + timedelta(weeks=1)),
        )
        .annotate(week=TruncWeek("published_at", tzinfo=timezone.get_current_timezone()))
        .values("week", "category")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[date, str], int] = {}
    for row in rows:
        # TruncWeek answers an aware local midnight; its date is the local Monday.
        key = (row["week"].date(), category_key(row["category"]))
        counts[key] = counts.get(key, 0) + row["count"]
    return WeeklyCategories(weeks=mondays, counts=counts)


def company_category_totals(*, company_id: int) -> dict[str, int]:
    """All the company's items by category key."""
    rows = (
        NewsItem.objects.filter(company_id=company_id)
        .values("category")
        .annotate(count=Count("pk"))
        .order_by()
    )
    totals: dict[str, int] = {}
    for row in rows:
        key = category_key(row["category"])
        totals[key] = totals.get(key, 0) + row["count"]
    return totals


def source_health(source: Source) -> Health:
    """ "error" when fetching is broken, "warning" when it is paused, failing now and
    then, or has not succeeded yet, else "ok"."""
    if source.status == Source.Status.ERROR or source.consecutive_failures >= FAILURES_FOR_ERROR:
        return "error"
    if (
        source.status == Source.Status.PAUSED
        or source.consecutive_failures > 0
        or source.last_success_at is None
    ):
        return "warning"
    return "ok"
