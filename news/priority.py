"""Priority: how much an item deserves a reader's attention, from 0 to 1.

The score is a weighted mean of four components, each in [0, 1]::

    C = category_weights[category]      ("other" when uncategorised)
    S = source_type_weights[source_type] ("other" when the type is unknown)
    V = min(1, ln(coverage) / ln(coverage_saturation))   coverage = distinct sources
    R = 0.5 ** (age_hours / recency_half_life_hours)     age 0 for future dates

    score = (w_C·C + w_S·S + w_V·V + w_R·R) / (w_C + w_S + w_V + w_R)

Levels: high when score ≥ 0.8, medium when ≥ 0.6, otherwise low. Every weight
lives in the PriorityWeights row and is editable in admin; this module is pure
and only sees a PriorityWeightsData snapshot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from news.categories import Category

HIGH_THRESHOLD = 0.8
MEDIUM_THRESHOLD = 0.6

PriorityLevel = Literal["high", "medium", "low"]

# The key used in both weight maps for "uncategorised" and "unknown source type".
OTHER_KEY = "other"

DEFAULT_CATEGORY_WEIGHTS: dict[str, float] = {
    Category.FUNDING_NEWS: 1.0,
    Category.ACQUISITION: 1.0,
    Category.MODEL_RELEASE: 0.95,
    Category.PRICING_CHANGE: 0.9,
    Category.SECURITY_UPDATE: 0.9,
    Category.STRATEGIC_ANNOUNCEMENT: 0.75,
    Category.PARTNERSHIP: 0.7,
    Category.FEATURE_DEPRECATION: 0.7,
    Category.API_UPDATE: 0.65,
    Category.PRODUCT_UPDATE: 0.6,
    Category.PERFORMANCE_IMPROVEMENT: 0.55,
    Category.INTEGRATION: 0.5,
    Category.RESEARCH_PAPER: 0.5,
    Category.TECHNICAL_UPDATE: 0.4,
    Category.COMMUNITY_EVENT: 0.3,
    OTHER_KEY: 0.2,
}

# First-party announcements outrank coverage of them; unvetted chatter ranks last.
DEFAULT_SOURCE_TYPE_WEIGHTS: dict[str, float] = {
    "press_release": 1.0,
    "blog": 0.9,
    "github": 0.6,
    "news_site": 0.5,
    "reddit": 0.2,
    OTHER_KEY: 0.3,
}

DEFAULT_CATEGORY_COMPONENT = 0.45
DEFAULT_SOURCE_COMPONENT = 0.2
DEFAULT_COVERAGE_COMPONENT = 0.2
DEFAULT_RECENCY_COMPONENT = 0.15
DEFAULT_RECENCY_HALF_LIFE_HOURS = 24.0
DEFAULT_COVERAGE_SATURATION = 5


def default_category_weights() -> dict[str, float]:
    """A fresh copy, usable as a model field default."""
    return dict(DEFAULT_CATEGORY_WEIGHTS)


def default_source_type_weights() -> dict[str, float]:
    """A fresh copy, usable as a model field default."""
    return dict(DEFAULT_SOURCE_TYPE_WEIGHTS)


@dataclass(frozen=True)
class PriorityWeightsData:
    category_weights: Mapping[str, float] = field(default_factory=default_category_weights)
    source_type_weights: Mapping[str, float] = field(default_factory=default_source_type_weights)
    category_component: float = DEFAULT_CATEGORY_COMPONENT
    source_component: float = DEFAULT_SOURCE_COMPONENT
    coverage_component: float = DEFAULT_COVERAGE_COMPONENT
    recency_component: float = DEFAULT_RECENCY_COMPONENT
    recency_half_life_hours: float = DEFAULT_RECENCY_HALF_LIFE_HOURS
    coverage_saturation: int = DEFAULT_COVERAGE_SATURATION


def _unit(value: float) -> float:
    if math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, value))


def _lookup(weights: Mapping[str, float], key: str | None, defaults: Mapping[str, float]) -> float:
    # Admin-edited JSON may miss keys or hold junk: fall back to the default for
    # the same key, then to "other", rather than fail priority for every item.
    key = key or OTHER_KEY
    for mapping, candidate in (
        (weights, key),
        (defaults, key),
        (weights, OTHER_KEY),
        (defaults, OTHER_KEY),
    ):
        value = mapping.get(candidate)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _unit(float(value))
    return 0.0


def coverage_component(*, coverage: int, saturation: int) -> float:
    """0 for a story only one source carries, 1 at `saturation` sources, log-shaped between."""
    if coverage <= 1:
        return 0.0
    if saturation <= 1:
        return 1.0
    return _unit(math.log(coverage) / math.log(saturation))


def recency_component(*, published_at: datetime, now: datetime, half_life_hours: float) -> float:
    """1 when just published, halving every `half_life_hours`; future dates count as now."""
    age_hours = max(0.0, (now - published_at).total_seconds() / 3600)
    if half_life_hours <= 0:
        return 1.0 if age_hours == 0 else 0.0
    return _unit(0.5 ** (age_hours / half_life_hours))


def priority_score(
    *,
    category: str | None,
    source_type: str,
    coverage: int,
    published_at: datetime,
    now: datetime,
    weights: PriorityWeightsData,
) -> float:
    """The priority of one item, in [0, 1]; see the module docstring for the formula."""
    components = (
        (
            weights.category_component,
            _lookup(weights.category_weights, category, DEFAULT_CATEGORY_WEIGHTS),
        ),
        (
            weights.source_component,
            _lookup(weights.source_type_weights, source_type, DEFAULT_SOURCE_TYPE_WEIGHTS),
        ),
        (
            weights.coverage_component,
            coverage_component(coverage=coverage, saturation=weights.coverage_saturation),
        ),
        (
            weights.recency_component,
            recency_component(
                published_at=published_at,
                now=now,
                half_life_hours=weights.recency_half_life_hours,
            ),
        ),
    )
    total_weight = sum(max(0.0, weight) for weight, _ in components)
    if total_weight <= 0:
        return 0.0
    weighted = sum(max(0.0, weight) * value for weight, value in components)
    return round(_unit(weighted / total_weight), 4)


def priority_level(score: float) -> PriorityLevel:
    if score >= HIGH_THRESHOLD:
        return "high"
    if score >= MEDIUM_THRESHOLD:
        return "medium"
    return "low"
