"""The competitive landscape: how many items each company published in each news
category over the last 7, 30 or 90 local days, as a company-by-category matrix.

Intensity levels run from 0 to 5 and are relative to the busiest cell of the matrix
(``peak``): a cell with no items is level 0, any other cell is
``ceil(5 * count / peak)``, so the peak is always level 5 and a single item next to a
busy cell still shows as level 1 rather than vanishing. The page colours the levels
with the ``landscape-level-<n>`` classes of static/css/landscape.css.

Counts cost one grouped query whatever the number of companies (plus the one that
reads the companies): items are counted per (company, category) in the database,
uncategorised or unknown categories under "other".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from competitors.activity import Period, period_last_days
from competitors.charts import CATEGORY_KEYS, intensity_level
from competitors.models import Company
from news.categories import category_slug
from news.models import NewsItem

LANDSCAPE_DAYS: tuple[int, ...] = (7, 30, 90)
MAX_LEVEL = 5


@dataclass(frozen=True)
class LandscapeCell:
    key: str  # a key of CATEGORY_KEYS
    count: int
    level: int  # 0..MAX_LEVEL intensity (0 = none)


@dataclass(frozen=True)
class LandscapeRow:
    company: Company
    cells: list[LandscapeCell]  # one per category, in CATEGORY_KEYS order
    total: int


@dataclass(frozen=True)
class Landscape:
    period: Period
    categories: tuple[str, ...]
    rows: list[LandscapeRow]  # total desc, then name
    peak: int  # the largest cell count, 0 when there are no items


def _category_counts(*, company_ids: list[int], period: Period) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CATEGORY_KEYS, 0))
    if not company_ids:
        return counts
    grouped = (
        NewsItem.objects.filter(
            company_id__in=company_ids,
            published_at__gte=period.start,
            published_at__lt=period.end,
        )
        .order_by()
        .values_list("company_id", "category")
        .annotate(count=Count("pk"))
    )
    for company_id, category, count in grouped:
        # Several stored values (blank, retired ones) fold into "other": add, not set.
        counts[company_id][category_slug(category)] += count
    return counts


def landscape_build(*, companies: QuerySet[Company], days: int) -> Landscape:
    """The matrix of ``companies`` over the last ``days`` local days (today included)
    in the current time zone; ``days`` must be one of LANDSCAPE_DAYS."""
    if days not in LANDSCAPE_DAYS:
        raise ValueError(f"days must be one of {LANDSCAPE_DAYS}, not {days!r}")
    period = period_last_days(days=days)
    company_list = list(companies)
    counts = _category_counts(company_ids=[company.pk for company in company_list], period=period)
    peak = max((n for row in counts.values() for n in row.values()), default=0)
    rows = []
    for company in company_list:
        row = counts[company.pk]
        cells = [
            LandscapeCell(key, row[key], intensity_level(row[key], peak, levels=MAX_LEVEL))
            for key in CATEGORY_KEYS
        ]
        rows.append(LandscapeRow(company=company, cells=cells, total=sum(row.values())))
    rows.sort(key=lambda row: (-row.total, row.company.name.casefold(), row.company.pk))
    return Landscape(period=period, categories=CATEGORY_KEYS, rows=rows, peak=peak)
