"""Companies most like a given one, by what and how much they publish.

similarity = 0.5 · category + 0.2 · source + 0.15 · activity + 0.15 · segment, each
component in 0..1 (formulas in docs/insights.md, "Similar competitors"):

- category: cosine of the two companies' item counts per category key over the window;
- source: cosine of item counts per source type over the window, or of Source rows per
  source type for a company without items in the window;
- activity: 1 - |ln(1+a) - ln(1+b)| / max(ln(1+a), ln(1+b), 1), a and b the item counts;
- segment: 1 when both have the same known segment, else 0.

Three queries whatever the number of companies: the active companies, item counts
grouped by (company, category, source type), and Source rows grouped by (company,
source type).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext as _

from competitors.activity import period_last_days
from competitors.charts import CATEGORY_KEYS, OTHER, category_key
from competitors.models import Company, Source
from news.categories import category_label
from news.models import NewsItem

DEFAULT_LIMIT = 5
DEFAULT_DAYS = 90

CATEGORY_WEIGHT = 0.5
SOURCE_WEIGHT = 0.2
ACTIVITY_WEIGHT = 0.15
SEGMENT_WEIGHT = 0.15

# A category is one of a company's focuses when it is among its this many largest.
TOP_CATEGORIES = 3
MAX_SHARED_CATEGORIES = 2
# Components at least this high are "similar" in the fallback reasons.
SIMILAR_THRESHOLD = 0.75

SOURCE_TYPES: tuple[str, ...] = tuple(Source.SourceType.values)


@dataclass(frozen=True)
class SimilarCompany:
    company: Company
    similarity: float  # 0..1
    components: dict[str, float]  # "category", "source", "activity", "segment", each 0..1
    shared_categories: list[str]  # category keys both focus on (up to 2)
    reason: str  # one translated line


@dataclass
class _Profile:
    categories: Counter[str] = field(default_factory=Counter)
    item_sources: Counter[str] = field(default_factory=Counter)
    source_rows: Counter[str] = field(default_factory=Counter)

    @property
    def items(self) -> int:
        return sum(self.categories.values())

    @property
    def sources(self) -> Counter[str]:
        return self.item_sources if self.items else self.source_rows

    @property
    def empty(self) -> bool:
        return not self.items and not self.source_rows

    def top_categories(self) -> list[str]:
        # "Other" says nothing about a focus, so it is never one.
        ranked = sorted(
            (key for key in CATEGORY_KEYS if key != OTHER and self.categories[key] > 0),
            key=lambda key: -self.categories[key],
        )
        return ranked[:TOP_CATEGORIES]


def similar_companies(
    *, company: Company, limit: int = DEFAULT_LIMIT, days: int = DEFAULT_DAYS
) -> list[SimilarCompany]:
    """The ``limit`` active companies most similar to ``company`` over the last ``days``
    local days, most similar first, ties by name.

    Never the company itself; companies with neither items in the window nor sources,
    and those with a similarity of 0, are left out. Raises ValueError unless
    1 <= days <= 366.
    """
    period = period_last_days(days=days)
    others = list(Company.objects.filter(active=True).exclude(pk=company.pk))
    if limit <= 0 or not others:
        return []
    company_ids = [company.pk, *(other.pk for other in others)]
    profiles: dict[int, _Profile] = defaultdict(_Profile)
    item_rows = (
        NewsItem.objects.filter(
            company_id__in=company_ids,
            published_at__gte=period.start,
            published_at__lt=period.end,
        )
        .values_list("company_id", "category", "source_type")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for company_id, category, source_type, count in item_rows:
        profile = profiles[company_id]
        profile.categories[category_key(category)] += count
        profile.item_sources[_source_key(source_type)] += count
    source_rows = (
        Source.objects.filter(company_id__in=company_ids)
        .values_list("company_id", "source_type")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for company_id, source_type, count in source_rows:
        if company_id is not None:
            profiles[company_id].source_rows[_source_key(source_type)] += count

    own = profiles[company.pk]
    found = []
    for other in others:
        profile = profiles[other.pk]
        if profile.empty:
            continue
        similar = _compare(company, own, other, profile)
        if similar.similarity > 0:
            found.append(similar)
    found.sort(key=lambda similar: (-round(similar.similarity, 9), similar.company.name.casefold()))
    return found[:limit]


def _source_key(source_type: str) -> str:
    return source_type if source_type in SOURCE_TYPES else Source.SourceType.OTHER


def _compare(company: Company, own: _Profile, other: Company, profile: _Profile) -> SimilarCompany:
    components = {
        "category": cosine(own.categories, profile.categories, CATEGORY_KEYS),
        "source": cosine(own.sources, profile.sources, SOURCE_TYPES),
        "activity": activity_similarity(own.items, profile.items),
        "segment": 1.0 if _same_segment(company, other) else 0.0,
    }
    similarity = (
        CATEGORY_WEIGHT * components["category"]
        + SOURCE_WEIGHT * components["source"]
        + ACTIVITY_WEIGHT * components["activity"]
        + SEGMENT_WEIGHT * components["segment"]
    )
    shared = _shared_categories(own, profile)
    return SimilarCompany(
        company=other,
        similarity=min(max(similarity, 0.0), 1.0),
        components=components,
        shared_categories=shared,
        reason=_reason(shared, components),
    )


def cosine(a: Mapping[str, int], b: Mapping[str, int], keys: tuple[str, ...]) -> float:
    """Cosine similarity of two count vectors over ``keys``; 0 when either is empty."""
    dot = sum(a.get(key, 0) * b.get(key, 0) for key in keys)
    norms = math.sqrt(sum(a.get(key, 0) ** 2 for key in keys)) * math.sqrt(
        sum(b.get(key, 0) ** 2 for key in keys)
    )
    return min(dot / norms, 1.0) if norms else 0.0


def activity_similarity(a: int, b: int) -> float:
    """1 for equal item counts, falling with the ratio of the counts rather than their
    difference (10 vs 20 is as far apart as 100 vs 200, roughly); in 0..1."""
    log_a, log_b = math.log1p(a), math.log1p(b)
    return 1.0 - abs(log_a - log_b) / max(log_a, log_b, 1.0)


def _same_segment(a: Company, b: Company) -> bool:
    return bool(a.segment) and a.segment != Company.Segment.OTHER and a.segment == b.segment


def _shared_categories(own: _Profile, other: _Profile) -> list[str]:
    """Keys in both companies' top categories, the largest combined share first."""
    both = set(own.top_categories()) & set(other.top_categories())

    def combined_share(key: str) -> float:
        return own.categories[key] / own.items + other.categories[key] / other.items

    ranked = sorted(both, key=lambda key: (-combined_share(key), CATEGORY_KEYS.index(key)))
    return ranked[:MAX_SHARED_CATEGORIES]


def _reason(shared: list[str], components: dict[str, float]) -> str:
    if len(shared) >= 2:
        return _("Both focus on %(first)s and %(second)s") % {
            "first": category_label(shared[0]),
            "second": category_label(shared[1]),
        }
    if shared:
        return _("Both focus on %(category)s") % {"category": category_label(shared[0])}
    if components["segment"] and components["activity"] >= SIMILAR_THRESHOLD:
        return _("Same segment and similar activity")
    if components["segment"]:
        return _("Same segment")
    # Otherwise the component that adds most to the similarity explains it.
    weighted = {
        "category": CATEGORY_WEIGHT * components["category"],
        "source": SOURCE_WEIGHT * components["source"],
        "activity": ACTIVITY_WEIGHT * components["activity"],
    }
    strongest = max(weighted, key=lambda name: weighted[name])
    if strongest == "category":
        return _("Similar mix of news categories")
    if strongest == "source":
        return _("Similar mix of sources")
    return _("Similar activity level")
