"""Per-company activity over a period of local days: volume, category mix, daily and
weekly series, the top items and an activity score (formula in docs/insights.md).

A period is a range of *local* dates in one zone, so "a day" is the user's calendar
day, DST days included (23 or 25 hours long). ``companies_activity`` answers for up to
``MAX_COMPARE`` companies with at most two queries whatever the number of companies or
days: one aggregate grouped by (company, local day, category), and one for the top items.
Item rows other than the top ones are never loaded.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db import connection
from django.db.models import Count, F, Max, Q, Sum, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from competitors.charts import CATEGORY_KEYS, category_key
from competitors.models import Company
from news.forms import EARLIEST_DATE, LATEST_DATE
from news.models import NewsItem

MAX_COMPARE = 5
MIN_COMPARE = 2
MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30

# Activity score: weights of the components (they sum to 1) and the volume that
# saturates the volume component, in items per 30 days.
VOLUME_WEIGHT = 0.40
DIVERSITY_WEIGHT = 0.20
RECENCY_WEIGHT = 0.20
PRIORITY_WEIGHT = 0.20
VOLUME_SATURATION_PER_30_DAYS = 60


@dataclass(frozen=True)
class Period:
    """Local dates ``date_from``..``date_to`` (both included) in the zone ``tz``."""

    date_from: date
    date_to: date
    tz: tzinfo

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def start(self) -> datetime:
        """The local midnight starting ``date_from`` (inclusive)."""
        return _local_midnight(self.date_from, self.tz)

    @property
    def end(self) -> datetime:
        """The local midnight after ``date_to`` (exclusive)."""
        return _local_midnight(self.date_to + timedelta(days=1), self.tz)

    def dates(self) -> list[date]:
        """Every local date of the period, oldest first."""
        return [self.date_from + timedelta(days=offset) for offset in range(self.days)]


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    # zoneinfo resolves a midnight skipped by DST to the first instant of the day.
    return datetime.combine(day, time.min, tzinfo=tz)


def period_last_days(*, days: int, tz: tzinfo | None = None, today: date | None = None) -> Period:
    """The ``days`` local days ending ``today`` (included; default: today in ``tz``).

    ``tz`` defaults to the current zone. Raises ValueError unless 1 <= days <= 366.
    """
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise ValueError(f"days must be from 1 to {MAX_PERIOD_DAYS}, not {days}.")
    zone = tz or timezone.get_current_timezone()
    last = today or timezone.localdate(timezone=zone)
    return Period(date_from=last - timedelta(days=days - 1), date_to=last, tz=zone)


def period_errors(
    *, days: int | None, date_from: date | None, date_to: date | None
) -> dict[str, list[StrOrPromise]]:
    """Field errors of a period given as either ``days`` (1..366) or a range
    ``date_from`` <= ``date_to`` of at most 366 days; empty when it is valid."""
    if days is not None:
        if date_from is not None or date_to is not None:
            return {"days": [_("Give either a number of days or a date range, not both.")]}
        if not 1 <= days <= MAX_PERIOD_DAYS:
            return {
                "days": [_("Give a number of days from 1 to %(max)d.") % {"max": MAX_PERIOD_DAYS}]
            }
        return {}
    if date_from is None and date_to is None:
        return {"days": [_("Give a number of days or a date range.")]}
    errors: dict[str, list[StrOrPromise]] = {}
    if date_from is None:
        errors["date_from"] = [_("Give the first day of the range.")]
    if date_to is None:
        errors["date_to"] = [_("Give the last day of the range.")]
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        # Far-off years are typos, and the day after 9999-12-31 cannot be built.
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            errors[name] = [_("Enter a date between 1990 and 2200.")]
    if errors:
        return errors
    if date_from is not None and date_to is not None:
        if date_from > date_to:
            errors["date_to"] = [_("The last day must not be before the first.")]
        elif (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
            errors["date_to"] = [
                _("A range can span at most %(max)d days.") % {"max": MAX_PERIOD_DAYS}
            ]
    return errors


@dataclass(frozen=True)
class TopItem:
    id: int
    title: str
    url: str
    published_at: datetime
    category: str  # a key of CATEGORY_KEYS ("other" when uncategorised)
    priority: float


@dataclass(frozen=True)
class ActivityScore:
    score: int  # 0..100
    volume: float  # components, each 0..1
    diversity: float
    recency: float
    priority: float


@dataclass(frozen=True)
class CompanyActivity:
    company: Company
    period: Period
    total: int
    categories: dict[str, int]  # every key of CATEGORY_KEYS, in that order
    shares: dict[str, float]  # same keys, count / total (0.0 when total is 0)
    daily: list[tuple[date, int]]  # every local day of the period, oldest first
    weekly: list[tuple[date, int]]  # (local Monday, items of the week inside the period)
    top_items: list[TopItem]  # priority desc, then newest
    score: ActivityScore


@dataclass
class _Tally:
    """One company's aggregate rows, folded."""

    total: int = 0
    priority_sum: float = 0.0
    by_category: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_day: defaultdict[date, int] = field(default_factory=lambda: defaultdict(int))
    group_maxima: list[float] = field(default_factory=list)


def activity_score(
    *,
    total: int,
    period_days: int,
    categories: dict[str, int],
    daily: list[tuple[date, int]],
    priority_sum: float,
) -> ActivityScore:
    """The documented score (docs/insights.md) from the aggregates alone.

    ``daily`` must cover the period oldest first, so its last date is ``date_to``.
    """
    if total <= 0 or period_days <= 0:
        return ActivityScore(score=0, volume=0.0, diversity=0.0, recency=0.0, priority=0.0)
    per_30_days = total * 30 / period_days
    volume = min(1.0, math.log1p(per_30_days) / math.log1p(VOLUME_SATURATION_PER_30_DAYS))
    entropy = -sum(
        (count / total) * math.log(count / total) for count in categories.values() if count > 0
    )
    diversity = min(1.0, entropy / math.log(len(CATEGORY_KEYS)))
    last = daily[-1][0]
    weighted = sum(count * (1 - (last - day).days / period_days) for day, count in daily)
    recency = weighted / total
    priority = min(1.0, max(0.0, priority_sum / total))
    weighted_sum = (
        VOLUME_WEIGHT * volume
        + DIVERSITY_WEIGHT * diversity
        + RECENCY_WEIGHT * recency
        + PRIORITY_WEIGHT * priority
    )
    # Half up, not Python's half-to-even, so the documented rounding holds.
    score = min(100, max(0, math.floor(100 * weighted_sum + 0.5)))
    return ActivityScore(
        score=score, volume=volume, diversity=diversity, recency=recency, priority=priority
    )


def _weekly(daily: list[tuple[date, int]]) -> list[tuple[date, int]]:
    weeks: dict[date, int] = {}
    for day, count in daily:
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + count
    return list(weeks.items())


def _tallies(*, company_ids: list[int], period: Period) -> dict[int, _Tally]:
    if connection.vendor == "postgresql":
        return _tallies_grouping_sets(company_ids=company_ids, period=period)
    rows = (
        NewsItem.objects.filter(
            company_id__in=company_ids,
            published_at__gte=period.start,
            published_at__lt=period.end,
        )
        .annotate(day=TruncDate("published_at", tzinfo=period.tz))
        .values("company_id", "day", "category")
        .annotate(
            count=Count("pk"),
            priority_sum=Sum("priority_score"),
            priority_max=Max("priority_score"),
        )
        .values_list("company_id", "day", "category", "count", "priority_sum", "priority_max")
        .order_by()
    )
    tallies = {company_id: _Tally() for company_id in company_ids}
    # Thousands of rows: fold stored values first, map them to chart keys once.
    by_value: dict[tuple[int, str], int] = defaultdict(int)
    for company_id, day, category, count, priority_sum, priority_max in rows:
        tally = tallies[company_id]
        tally.total += count
        tally.priority_sum += priority_sum or 0.0
        tally.group_maxima.append(priority_max or 0.0)
        tally.by_day[day] += count
        by_value[company_id, category or ""] += count
    for (company_id, category), count in by_value.items():
        tallies[company_id].by_category[category_key(category)] += count
    return tallies


# Per (company, local day) and per (company, category) in one scan: a busy period has
# thousands of (company, day, category) groups, whose rows cost more to read and fold
# in Python than the database spends counting. GROUPING(category) tells the two apart
# (a category may itself be NULL).
_TALLIES_SQL = """
SELECT company_id, (published_at AT TIME ZONE %s)::date AS day, category,
       GROUPING(category), COUNT(*), SUM(priority_score), MAX(priority_score)
FROM {items}
WHERE company_id = ANY(%s) AND published_at >= %s AND published_at < %s
GROUP BY GROUPING SETS ((company_id, day), (company_id, category))
"""


def _zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or tz.tzname(None) or "UTC"


def _tallies_grouping_sets(*, company_ids: list[int], period: Period) -> dict[int, _Tally]:
    """_tallies on PostgreSQL, with the same results (a test holds the two together)."""
    tallies = {company_id: _Tally() for company_id in company_ids}
    sql = _TALLIES_SQL.format(items=NewsItem._meta.db_table)
    params: list[Any] = [_zone_name(period.tz), company_ids, period.start, period.end]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for company_id, day, category, per_day, count, priority_sum, priority_max in rows:
        tally = tallies[company_id]
        if per_day:
            # Each day's maximum is a different item: what _top_threshold relies on.
            tally.total += count
            tally.priority_sum += priority_sum or 0.0
            tally.group_maxima.append(priority_max or 0.0)
            tally.by_day[day] += count
        else:
            tally.by_category[category_key(category)] += count
    return tallies


def _top_threshold(tally: _Tally, *, top: int) -> float | None:
    """A priority that each of the ``top`` best items reaches, or None when unknown.

    Every group's maximum is a distinct item, so the ``top``-th best item is at least
    the ``top``-th best group maximum.
    """
    if len(tally.group_maxima) < top:
        return None
    return sorted(tally.group_maxima, reverse=True)[top - 1]


def _top_items(*, tallies: dict[int, _Tally], period: Period, top: int) -> dict[int, list[TopItem]]:
    result: dict[int, list[TopItem]] = {company_id: [] for company_id in tallies}
    if top <= 0:
        return result
    # Ranking every item of a busy period sorted ~100k rows (spilling to disk); the
    # thresholds from the aggregate leave the window only a handful to rank.
    candidates = Q()
    for company_id, tally in tallies.items():
        if tally.total == 0:
            continue
        threshold = _top_threshold(tally, top=top)
        condition = Q(company_id=company_id)
        if threshold is not None:
            condition &= Q(priority_score__gte=threshold)
        candidates |= condition
    if not candidates:
        return result
    rows = (
        NewsItem.objects.filter(
            candidates,
            published_at__gte=period.start,
            published_at__lt=period.end,
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("company_id")],
                order_by=[F("priority_score").desc(), F("published_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=top)
        .values("pk", "company_id", "title", "url", "published_at", "category", "priority_score")
        .order_by("company_id", "rank")
    )
    for row in rows:
        result[row["company_id"]].append(
            TopItem(
                id=row["pk"],
                title=row["title"],
                url=row["url"],
                published_at=row["published_at"],
                category=category_key(row["category"]),
                priority=row["priority_score"],
            )
        )
    return result


def companies_activity(
    *, companies: Sequence[Company], period: Period, top: int = 5
) -> list[CompanyActivity]:
    """The activity of each company over ``period``, in the order given.

    At most two queries whatever the number of companies or days: one aggregate, and
    one for the top items (skipped when ``top`` is 0 or no company has items).
    """
    company_ids = list(dict.fromkeys(company.pk for company in companies))
    if not company_ids:
        return []
    tallies = _tallies(company_ids=company_ids, period=period)
    top_items = _top_items(tallies=tallies, period=period, top=top)
    dates = period.dates()
    activities = []
    for company in companies:
        tally = tallies[company.pk]
        categories = {key: tally.by_category.get(key, 0) for key in CATEGORY_KEYS}
        shares = {
            key: (count / tally.total if tally.total else 0.0) for key, count in categories.items()
        }
        daily = [(day, tally.by_day.get(day, 0)) for day in dates]
        activities.append(
            CompanyActivity(
                company=company,
                period=period,
                total=tally.total,
                categories=categories,
                shares=shares,
                daily=daily,
                weekly=_weekly(daily),
                top_items=top_items[company.pk],
                score=activity_score(
                    total=tally.total,
                    period_days=period.days,
                    categories=categories,
                    daily=daily,
                    priority_sum=tally.priority_sum,
                ),
            )
        )
    return activities


def company_activity(*, company: Company, period: Period, top: int = 5) -> CompanyActivity:
    return companies_activity(companies=[company], period=period, top=top)[0]


@dataclass(frozen=True)
class Comparison:
    period: Period
    activities: list[CompanyActivity]  # in the order the companies were given


def comparison_build(*, companies: Sequence[Company], period: Period) -> Comparison:
    """The activities of 2..5 distinct companies side by side; ValueError otherwise."""
    distinct = {company.pk for company in companies}
    if len(distinct) != len(companies):
        raise ValueError("Each company can be compared only once.")
    if not MIN_COMPARE <= len(companies) <= MAX_COMPARE:
        raise ValueError(f"Compare from {MIN_COMPARE} to {MAX_COMPARE} companies.")
    return Comparison(
        period=period, activities=companies_activity(companies=companies, period=period)
    )
