import json
import random
import statistics
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from news.categories import Category
from news.models import PriorityWeights
from news.priority import (
    DEFAULT_CATEGORY_WEIGHTS,
    PriorityWeightsData,
    coverage_component,
    priority_level,
    priority_score,
    recency_component,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEFAULTS = PriorityWeightsData()
EVAL_SET = Path(__file__).parent / "data" / "classification_eval.jsonl"


def score(**overrides: Any) -> float:
    arguments: dict[str, Any] = {
        "category": "product_update",
        "source_type": "blog",
        "coverage": 1,
        "published_at": NOW,
        "now": NOW,
        "weights": DEFAULTS,
    }
    return priority_score(**(arguments | overrides))


# ---------------------------------------------------------------- levels


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (1.0, "high"),
        (0.8, "high"),
        (0.7999, "medium"),
        (0.6, "medium"),
        (0.5999, "low"),
        (0.0, "low"),
    ],
)
def test_levels_thresholds(value, level):
    assert priority_level(value) == level


# ---------------------------------------------------------------- the formula


def test_the_documented_formula():
    published = NOW - timedelta(hours=24)
    expected = (
        0.45 * DEFAULT_CATEGORY_WEIGHTS["funding_news"]  # 1.0
        + 0.2 * 0.5  # news_site
        + 0.2 * (0.6826061944859854)  # ln 3 / ln 5
        + 0.15 * 0.5  # one half-life old
    ) / (0.45 + 0.2 + 0.2 + 0.15)
    actual = score(
        category="funding_news", source_type="news_site", coverage=3, published_at=published
    )
    assert actual == pytest.approx(expected, abs=1e-4)


def test_components():
    assert coverage_component(coverage=0, saturation=5) == 0
    assert coverage_component(coverage=1, saturation=5) == 0
    assert coverage_component(coverage=5, saturation=5) == 1
    assert coverage_component(coverage=50, saturation=5) == 1
    assert 0 < coverage_component(coverage=2, saturation=5) < 0.5
    assert recency_component(published_at=NOW, now=NOW, half_life_hours=24) == 1
    assert recency_component(
        published_at=NOW - timedelta(hours=48), now=NOW, half_life_hours=24
    ) == pytest.approx(0.25)
    future = NOW + timedelta(days=3)
    assert recency_component(published_at=future, now=NOW, half_life_hours=24) == 1


def test_each_input_moves_the_score_the_right_way():
    assert score(category="funding_news") > score(category="community_event")
    assert score(category="acquisition") > score(category="technical_update")
    assert score(category="model_release") > score(category="integration")
    assert score(category="pricing_change") > score(category="research_paper")
    assert score(category="security_update") > score(category="product_update")
    assert score(category=None) < score(category="community_event")
    assert score(source_type="press_release") > score(source_type="blog")
    assert score(source_type="blog") > score(source_type="news_site")
    assert score(source_type="news_site") > score(source_type="reddit")
    assert score(coverage=4) > score(coverage=2) > score(coverage=1)
    assert score(published_at=NOW - timedelta(hours=2)) > score(
        published_at=NOW - timedelta(days=2)
    )


def test_scores_stay_in_range_at_the_extremes():
    best = score(category="funding_news", source_type="press_release", coverage=100)
    worst = score(
        category=None, source_type="reddit", coverage=0, published_at=NOW - timedelta(days=365)
    )
    assert best == 1.0
    assert 0.0 <= worst < 0.2


def test_tuned_or_broken_weights_degrade_gracefully():
    junk = replace(
        DEFAULTS,
        category_weights={"funding_news": "lots", "acquisition": 7, "other": None},
        source_type_weights={},
    )
    assert score(category="funding_news", weights=junk) == score(category="funding_news")
    assert score(category="acquisition", weights=junk) == score(category="acquisition")
    assert 0 <= score(category="unknown_category", source_type="fax", weights=junk) <= 1

    nothing = replace(
        DEFAULTS,
        category_component=0,
        source_component=0,
        coverage_component=0,
        recency_component=0,
    )
    assert score(weights=nothing) == 0

    category_only = replace(DEFAULTS, source_component=0, coverage_component=0, recency_component=0)
    assert score(category="model_release", weights=category_only) == 0.95


def test_scores_spread_across_the_range_on_a_realistic_mix():
    """Items as a day of ingestion brings them: mostly single-source and recent,
    from official blogs and news sites, in the categories of the labelled set."""
    rng = random.Random(20260302)
    with EVAL_SET.open(encoding="utf-8") as lines:
        categories = [json.loads(line)["expected"] for line in lines if line.strip()]
    source_types = ["blog"] * 4 + ["news_site"] * 4 + ["press_release", "github", "reddit", "other"]
    coverages = [1] * 12 + [2] * 4 + [3] * 2 + [5, 8]

    scores = [
        score(
            category=rng.choice(categories),
            source_type=rng.choice(source_types),
            coverage=rng.choice(coverages),
            published_at=NOW - timedelta(hours=rng.expovariate(1 / 18)),
        )
        for _ in range(1000)
    ]
    levels = [priority_level(value) for value in scores]
    assert statistics.pstdev(scores) > 0.1
    assert min(scores) < 0.3
    assert max(scores) > 0.85
    for level in ("high", "medium", "low"):
        share = levels.count(level) / len(levels)
        assert 0.03 < share < 0.8, (level, share)
    assert len({round(value, 2) for value in scores}) > 40


# ---------------------------------------------------------------- the weights row


@pytest.mark.django_db
def test_weights_load_falls_back_to_the_defaults():
    PriorityWeights.objects.all().delete()
    loaded = PriorityWeights.load()
    assert loaded._state.adding
    assert loaded.as_data() == DEFAULTS


@pytest.mark.django_db
def test_weights_are_a_singleton_and_tunable():
    weights = PriorityWeights.load()
    weights.recency_half_life_hours = 6
    weights.category_weights = {**weights.category_weights, "community_event": 0.9}
    PriorityWeights(pk=99, recency_half_life_hours=6).save()  # forced onto the one row
    weights.save()
    assert PriorityWeights.objects.count() == 1
    data = PriorityWeights.load().as_data()
    assert data.recency_half_life_hours == 6
    assert score(category="community_event", weights=data) > score(category="community_event")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("category_weights", {"funding_news": 2}),
        ("category_weights", {"not_a_category": 0.5}),
        ("category_weights", ["funding_news"]),
        ("source_type_weights", {"blog": "high"}),
        ("recency_half_life_hours", 0),
        ("coverage_component", -0.1),
    ],
)
def test_weights_validation(field, value):
    weights = PriorityWeights.load()
    setattr(weights, field, value)
    with pytest.raises(ValidationError) as refused:
        weights.full_clean()
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_default_weights_cover_every_category_and_source_type():
    from competitors.models import Source

    weights = PriorityWeights()
    weights.full_clean()
    assert set(Category.values) <= set(weights.category_weights)
    assert set(Source.SourceType.values) <= set(weights.source_type_weights)
