"""Geometry of the comparison charts: pure functions, no database."""

from datetime import date, timedelta

import pytest

from competitors.charts import AxisTick, intensity_level
from competitors.comparison_charts import (
    MAX_MARKERS,
    HeatCell,
    activity_lines,
    category_heatmap,
)

D1 = date(2025, 3, 1)


def _days(counts, start=D1):
    return [(start + timedelta(days=offset), count) for offset, count in enumerate(counts)]


# ---------------------------------------------------------------- lines


def test_lines_place_points_on_a_shared_scale():
    chart = activity_lines(
        [("acme", "Acme", _days([0, 2, 4])), ("beta", "Beta", _days([4, 0, 1]))],
        width=236,
        height=140,
    )

    # plot: x 36..220, y 12..112; peak 4 -> step 1, axis 0..4, 25 units per item.
    assert (chart.plot_left, chart.plot_right, chart.plot_top, chart.plot_bottom) == (
        36.0,
        220.0,
        12.0,
        112.0,
    )
    acme, beta = chart.series
    assert [(p.x, p.y, p.count) for p in acme.points] == [
        (36.0, 112.0, 0),
        (128.0, 62.0, 2),
        (220.0, 12.0, 4),
    ]
    assert acme.polyline == "36.0,112.0 128.0,62.0 220.0,12.0"
    assert beta.polyline == "36.0,12.0 128.0,112.0 220.0,87.0"
    assert (acme.total, beta.total, chart.total, chart.peak) == (6, 5, 11, 4)
    assert chart.ticks == [
        AxisTick(0, 112.0),
        AxisTick(1, 87.0),
        AxisTick(2, 62.0),
        AxisTick(3, 37.0),
        AxisTick(4, 12.0),
    ]
    assert not chart.is_empty


def test_each_series_gets_its_own_class_in_order():
    series = [(f"c{n}", f"C{n}", _days([n])) for n in range(5)]

    chart = activity_lines(series)

    assert [line.css_class for line in chart.series] == [
        "chart-series-1",
        "chart-series-2",
        "chart-series-3",
        "chart-series-4",
        "chart-series-5",
    ]
    assert [line.key for line in chart.series] == ["c0", "c1", "c2", "c3", "c4"]


def test_more_than_five_series_are_refused():
    with pytest.raises(ValueError, match="at most 5"):
        activity_lines([(f"c{n}", f"C{n}", _days([1])) for n in range(6)])


def test_missing_days_count_as_zero_and_rows_hold_the_numbers():
    chart = activity_lines(
        [("acme", "Acme", _days([1, 2, 3])), ("beta", "Beta", _days([5], start=D1))]
    )

    assert [(row.day, row.counts) for row in chart.rows] == [
        (D1, [1, 5]),
        (D1 + timedelta(days=1), [2, 0]),
        (D1 + timedelta(days=2), [3, 0]),
    ]
    assert [p.count for p in chart.series[1].points] == [5, 0, 0]


def test_date_ticks_spread_evenly_with_both_ends():
    chart = activity_lines([("a", "A", _days([1] * 30))], width=326, max_date_ticks=6)

    # 30 days over x 36..310: index i at 36 + i * 274 / 29.
    assert [tick.day.day for tick in chart.date_ticks] == [1, 7, 13, 18, 24, 30]
    assert chart.date_ticks[0].x == 36.0
    assert chart.date_ticks[-1].x == 310.0


def test_short_series_tick_every_day():
    chart = activity_lines([("a", "A", _days([1, 0, 3]))], max_date_ticks=6)

    assert [tick.day for tick in chart.date_ticks] == [d for d, _ in _days([1, 0, 3])]


def test_a_single_day_sits_in_the_middle():
    chart = activity_lines([("a", "A", _days([2]))], width=236)

    assert chart.series[0].points[0].x == 128.0


def test_empty_period_keeps_a_unit_axis():
    chart = activity_lines([("a", "A", _days([0, 0])), ("b", "B", _days([0, 0]))])

    assert chart.is_empty
    assert [tick.value for tick in chart.ticks] == [0, 1]
    assert {p.y for line in chart.series for p in line.points} == {chart.plot_bottom}


def test_large_counts_use_round_ticks():
    chart = activity_lines([("a", "A", _days([0, 37]))])

    assert [tick.value for tick in chart.ticks] == [0, 10, 20, 30, 40]


def test_markers_only_while_they_stay_apart():
    assert activity_lines([("a", "A", _days([1] * MAX_MARKERS))]).show_markers
    assert not activity_lines([("a", "A", _days([1] * (MAX_MARKERS + 1)))]).show_markers


# ---------------------------------------------------------------- heatmap


@pytest.mark.parametrize(
    ("count", "peak", "level"),
    [
        (0, 10, 0),
        (1, 10, 1),
        (2, 10, 1),
        (3, 10, 2),
        (5, 10, 3),
        (9, 10, 5),
        (10, 10, 5),
        (1, 0, 0),
    ],
)
def test_heat_levels(count, peak, level):
    assert intensity_level(count, peak) == level


def test_heatmap_rows_are_present_categories_in_display_order():
    heatmap = category_heatmap(
        [
            ("Acme", {"model_release": 6, "product_update": 3, "pricing_change": 0, "other": 1}),
            ("Beta", {"product_update": 1, "unknown_thing": 2}),
        ]
    )

    assert heatmap.columns == ["Acme", "Beta"]
    assert heatmap.totals == [10, 3]
    assert heatmap.peak == 6
    assert [row.badge.key for row in heatmap.rows] == ["product_update", "model_release", "other"]
    product, model, other = heatmap.rows
    assert product.cells == [HeatCell(3, 3, 30), HeatCell(1, 1, 33)]
    assert model.cells == [HeatCell(6, 5, 60), HeatCell(0, 0, 0)]
    # An unknown category counts as "other".
    assert other.cells == [HeatCell(1, 1, 10), HeatCell(2, 2, 67)]
    assert (product.total, model.total, other.total) == (4, 6, 3)
    assert model.cells[0].css_class == "heat-5"


def test_heatmap_percentages_of_a_column_sum_to_100():
    heatmap = category_heatmap(
        [("Acme", {"product_update": 1, "model_release": 1, "api_update": 1})]
    )

    assert sum(row.cells[0].percent for row in heatmap.rows) == 100


def test_empty_heatmap():
    heatmap = category_heatmap([("Acme", {"product_update": 0}), ("Beta", {})])

    assert heatmap.is_empty
    assert heatmap.rows == []
    assert heatmap.totals == [0, 0]
