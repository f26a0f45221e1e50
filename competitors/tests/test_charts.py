"""Chart geometry: pure functions, no database."""

import random
from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from competitors.charts import (
    CATEGORY_KEYS,
    OTHER,
    category_badge,
    category_distribution,
    percentages,
    sparkline,
    stacked_bars,
    tick_step,
)
from news.categories import Category

WEEKS = [date(2026, 9, 7) + timedelta(weeks=n) for n in range(12)]


# ---------------------------------------------------------------- sparkline


def test_sparkline_bars_scale_to_the_busiest_day():
    counts = [0] * 30
    counts[3], counts[10], counts[29] = 1, 4, 8

    spark = sparkline(counts, width=90, height=24)

    assert (spark.total, spark.peak, spark.days) == (13, 8, 30)
    assert [bar.count for bar in spark.bars] == [1, 4, 8]  # empty days draw nothing
    busiest = spark.bars[-1]
    assert (busiest.y, busiest.height) == (0, 24)
    assert spark.bars[1].height == 12
    assert spark.bars[0].height == 3
    for bar in spark.bars:
        assert bar.y + bar.height == pytest.approx(24)
        assert bar.x >= 0
        assert bar.x + bar.width <= 90
    assert busiest.x == pytest.approx(29 * 3)


def test_sparkline_keeps_a_single_item_visible_next_to_a_busy_day():
    spark = sparkline([1, 500], height=24)
    assert spark.bars[0].height == 1


def test_sparkline_of_nothing():
    assert sparkline([0] * 30).bars == []
    empty = sparkline([])
    assert (empty.bars, empty.total, empty.peak) == ([], 0, 0)


# ---------------------------------------------------------------- stacked bars


@pytest.mark.parametrize(
    ("peak", "step"), [(0, 1), (3, 1), (4, 1), (5, 2), (9, 5), (17, 5), (40, 10), (230, 100)]
)
def test_tick_step(peak, step):
    assert tick_step(peak) == step
    assert -(-peak // step) <= 4  # at most four intervals


def test_stacked_segments_tile_each_column():
    counts = {
        (WEEKS[0], "model_release"): 3,
        (WEEKS[0], "product_update"): 2,
        (WEEKS[0], OTHER): 1,
        (WEEKS[5], "funding_news"): 7,
        (WEEKS[11], "product_update"): 4,
    }

    chart = stacked_bars(WEEKS, counts, width=640, height=240)

    assert chart.total == 17
    assert [column.total for column in chart.columns] == [6, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 4]
    scale = (chart.plot_bottom - chart.plot_top) / chart.ticks[-1].value
    for column in chart.columns:
        heights = sum(segment.height for segment in column.segments)
        assert heights == pytest.approx(column.total * scale, abs=0.02)
        assert column.top == pytest.approx(chart.plot_bottom - column.total * scale, abs=0.01)
        if column.segments:
            lowest, highest = column.segments[0], column.segments[-1]
            assert lowest.y + lowest.height == pytest.approx(chart.plot_bottom)
            assert highest.y == pytest.approx(column.top)
            for below, above in zip(column.segments, column.segments[1:], strict=False):
                assert above.y + above.height == pytest.approx(below.y)
        assert chart.plot_left <= column.x
        assert column.x + column.width <= chart.plot_right
    # Stacked in the categories' display order, "other" on top.
    assert [segment.badge.key for segment in chart.columns[0].segments] == [
        "product_update",
        "model_release",
        OTHER,
    ]
    assert [entry.badge.key for entry in chart.legend] == [
        "product_update",
        "funding_news",
        "model_release",
        OTHER,
    ]
    assert [entry.count for entry in chart.legend] == [6, 7, 3, 1]
    # The table alternative holds the same numbers.
    assert chart.rows[0].counts == [2, 0, 3, 1]
    assert sum(row.total for row in chart.rows) == chart.total


def test_axis_covers_the_tallest_column():
    chart = stacked_bars(WEEKS, {(WEEKS[2], "api_update"): 23})
    values = [tick.value for tick in chart.ticks]
    assert values == [0, 10, 20, 30]
    assert chart.ticks[0].y == chart.plot_bottom
    assert chart.ticks[-1].y == chart.plot_top
    assert chart.columns[2].top >= chart.plot_top


def test_unknown_categories_count_as_other_and_zeros_are_dropped():
    chart = stacked_bars(
        WEEKS, {(WEEKS[0], "made_up"): 2, (WEEKS[0], ""): 1, (WEEKS[1], "acquisition"): 0}
    )
    assert [entry.badge.key for entry in chart.legend] == [OTHER]
    assert chart.columns[0].segments[0].count == 3
    assert chart.columns[1].segments == []


def test_empty_stacked_chart_is_empty_not_broken():
    chart = stacked_bars(WEEKS, {})
    assert chart.is_empty
    assert all(column.segments == [] for column in chart.columns)
    assert chart.legend == []
    assert stacked_bars([], {}).is_empty


# ---------------------------------------------------------------- distribution


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([1, 1, 1], [34, 33, 33]),
        ([1, 2], [33, 67]),
        ([5], [100]),
        ([1, 0, 3], [25, 0, 75]),
        ([0, 0], [0, 0]),
        ([], []),
    ],
)
def test_percentages(counts, expected):
    assert percentages(counts) == expected


def test_percentages_always_sum_to_100():
    rng = random.Random(7)
    for _ in range(500):
        counts = [rng.randint(0, 50) for _ in range(rng.randint(1, 16))]
        shares = percentages(counts)
        assert sum(shares) == (100 if sum(counts) else 0)
        for count, share in zip(counts, shares, strict=True):
            assert abs(share - count * 100 / max(sum(counts), 1)) < 1


def test_category_distribution():
    distribution = category_distribution(
        {"model_release": 6, "": 1, "unknown": 1, "pricing_change": 2, "acquisition": 0}
    )

    assert distribution.total == 10
    assert [(s.badge.key, s.count, s.percent) for s in distribution.shares] == [
        ("model_release", 6, 60),
        ("pricing_change", 2, 20),
        (OTHER, 2, 20),
    ]
    assert distribution.shares[0].bar_width == 100
    assert distribution.shares[1].bar_width == pytest.approx(33.33)
    assert sum(share.percent for share in distribution.shares) == 100


def test_empty_distribution():
    distribution = category_distribution({})
    assert distribution.is_empty
    assert distribution.shares == []


def test_category_badges():
    assert len(CATEGORY_KEYS) == 16
    badge = category_badge(Category.MODEL_RELEASE)
    assert (badge.key, badge.emoji, str(badge.label)) == ("model_release", "🤖", "Model release")
    assert badge.css_class == "chart-cat-model_release"
    for value in ("", None, "nonsense"):
        other = category_badge(value)
        assert (other.key, str(other.label), other.css_class) == (OTHER, "Other", "chart-cat-other")


# ---------------------------------------------------------------- templates


def test_every_category_has_a_css_colour():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/companies.css").read_text()
    for key in CATEGORY_KEYS:
        assert f".chart-cat-{key} {{" in css


def test_empty_charts_render_an_empty_state():
    html = render_to_string(
        "competitors/partials/_weekly_chart.html", {"chart": stacked_bars(WEEKS, {}), "weeks": 12}
    )
    assert "No news in the last 12 weeks." in html
    assert "<svg" not in html
    html = render_to_string(
        "competitors/partials/_category_chart.html", {"distribution": category_distribution({})}
    )
    assert "No news yet." in html


def test_chart_numbers_are_not_localised_inside_svg():
    # A decimal comma would break the SVG geometry in Russian.
    chart = stacked_bars(WEEKS, {(WEEKS[0], "api_update"): 3, (WEEKS[1], OTHER): 7})
    with translation.override("ru"):
        html = render_to_string(
            "competitors/partials/_weekly_chart.html", {"chart": chart, "weeks": 12}
        )
        spark = render_to_string(
            "competitors/partials/_sparkline.html", {"spark": sparkline([1, 3, 0, 2])}
        )
    svg = html[html.index("<svg") : html.index("</svg>")]
    segment = chart.columns[0].segments[0]
    assert f'y="{segment.y}"' in svg
    assert "," not in segment_attributes(svg)
    assert "," not in segment_attributes(spark[spark.index("<svg") : spark.index("</svg>")])


def segment_attributes(svg):
    import re

    return "".join(re.findall(r'(?:x|y|width|height|x1|x2|y1|y2)="([^"]*)"', svg))
