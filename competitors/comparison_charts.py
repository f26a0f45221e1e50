"""Geometry of the comparison page's charts: a multi-line activity chart (one line
per company) and a heatmap of categories by company.

Pure functions like competitors.charts: counts in, SVG coordinates, intensity levels
and labels out. Each line gets a ``chart-series-<n>`` class (static/css/compare.css
colours them and gives each its own dash pattern, so they stay apart in black and
white), since the CSP forbids style attributes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from competitors.charts import (
    CATEGORY_KEYS,
    OTHER,
    AxisTick,
    CategoryBadge,
    category_badge,
    intensity_level,
    percentages,
    tick_step,
)

MAX_SERIES = 5
HEAT_LEVELS = 5
# Beyond this many points the markers would merge into a thick line.
MAX_MARKERS = 62


def _round(value: float) -> float:
    return round(value, 2)


# ---------------------------------------------------------------- lines


@dataclass(frozen=True)
class LinePoint:
    day: date
    count: int
    x: float
    y: float


@dataclass(frozen=True)
class LineSeries:
    key: str
    label: str
    index: int  # 1..MAX_SERIES, stable per position in the comparison
    points: list[LinePoint]
    total: int

    @property
    def css_class(self) -> str:
        return f"chart-series-{self.index}"

    @property
    def polyline(self) -> str:
        """The ``points`` attribute of an SVG polyline."""
        return " ".join(f"{point.x},{point.y}" for point in self.points)


@dataclass(frozen=True)
class DateTick:
    day: date
    x: float


@dataclass(frozen=True)
class LineRow:
    day: date
    counts: list[int]  # in series order


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    series: list[LineSeries]
    ticks: list[AxisTick]  # the count axis, bottom up
    date_ticks: list[DateTick]
    rows: list[LineRow]  # the numbers, for the table alternative
    peak: int

    @property
    def total(self) -> int:
        return sum(series.total for series in self.series)

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    @property
    def show_markers(self) -> bool:
        return len(self.rows) <= MAX_MARKERS

    @property
    def y_label_x(self) -> float:
        return self.plot_left - 6

    @property
    def x_label_y(self) -> float:
        return self.plot_bottom + 18


def _tick_indexes(count: int, most: int) -> list[int]:
    """Up to ``most`` evenly spread indexes of ``count`` points, first and last included."""
    if count <= most:
        return list(range(count))
    return sorted({round(step * (count - 1) / (most - 1)) for step in range(most)})


def activity_lines(
    series: Sequence[tuple[str, str, Sequence[tuple[date, int]]]],
    *,
    width: int = 640,
    height: int = 260,
    max_date_ticks: int = 6,
) -> LineChart:
    """One line per ``(key, label, [(day, count), …])``; days missing from a series
    count as zero, so every line spans the same dates."""
    if len(series) > MAX_SERIES:
        raise ValueError(f"at most {MAX_SERIES} series can be told apart")
    days = sorted({day for _, _, points in series for day, _ in points})
    counts = [dict(points) for _, _, points in series]
    peak = max((max(values.values(), default=0) for values in counts), default=0)

    plot_left, plot_right = 36.0, float(width - 16)
    plot_top, plot_bottom = 12.0, float(height - 28)
    step = tick_step(peak)
    axis_max = max(step, math.ceil(peak / step) * step)
    scale = (plot_bottom - plot_top) / axis_max

    def x_of(index: int) -> float:
        if len(days) == 1:
            return _round((plot_left + plot_right) / 2)
        return _round(plot_left + index * (plot_right - plot_left) / (len(days) - 1))

    lines = []
    for position, ((key, label, _), values) in enumerate(zip(series, counts, strict=True)):
        points = [
            LinePoint(
                day=day,
                count=values.get(day, 0),
                x=x_of(index),
                y=_round(plot_bottom - values.get(day, 0) * scale),
            )
            for index, day in enumerate(days)
        ]
        lines.append(
            LineSeries(
                key=key,
                label=label,
                index=position + 1,
                points=points,
                total=sum(point.count for point in points),
            )
        )
    return LineChart(
        width=width,
        height=height,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        series=lines,
        ticks=[
            AxisTick(value, _round(plot_bottom - value * scale))
            for value in range(0, axis_max + 1, step)
        ],
        date_ticks=[
            DateTick(days[index], x_of(index)) for index in _tick_indexes(len(days), max_date_ticks)
        ],
        rows=[LineRow(day, [values.get(day, 0) for values in counts]) for day in days],
        peak=peak,
    )


# ---------------------------------------------------------------- heatmap


@dataclass(frozen=True)
class HeatCell:
    count: int
    level: int  # 0 (none) .. HEAT_LEVELS (the busiest cell of the table)
    percent: int  # share of the column's company, whole percent; a column sums to 100

    @property
    def css_class(self) -> str:
        return f"heat-{self.level}"


@dataclass(frozen=True)
class HeatRow:
    badge: CategoryBadge
    cells: list[HeatCell]  # in column order

    @property
    def total(self) -> int:
        return sum(cell.count for cell in self.cells)


@dataclass(frozen=True)
class Heatmap:
    columns: list[str]  # the companies' labels
    totals: list[int]  # per column
    rows: list[HeatRow]  # categories any column has, in CATEGORY_KEYS order
    peak: int

    @property
    def is_empty(self) -> bool:
        return self.peak == 0


def category_heatmap(columns: Sequence[tuple[str, Mapping[str, int]]]) -> Heatmap:
    """Categories as rows and companies as columns (a handful of columns fits a phone;
    sixteen would not). Keys outside CATEGORY_KEYS count as "other"."""
    merged: list[dict[str, int]] = []
    for _, counts in columns:
        column: dict[str, int] = {}
        for key, count in counts.items():
            if count > 0:
                slot = key if key in CATEGORY_KEYS else OTHER
                column[slot] = column.get(slot, 0) + count
        merged.append(column)
    present = [key for key in CATEGORY_KEYS if any(key in column for column in merged)]
    peak = max((max(column.values(), default=0) for column in merged), default=0)
    shares = [
        dict(zip(present, percentages([column.get(key, 0) for key in present]), strict=True))
        for column in merged
    ]
    rows = [
        HeatRow(
            badge=category_badge(key),
            cells=[
                HeatCell(
                    count=column.get(key, 0),
                    level=intensity_level(column.get(key, 0), peak, levels=HEAT_LEVELS),
                    percent=share[key],
                )
                for column, share in zip(merged, shares, strict=True)
            ],
        )
        for key in present
    ]
    return Heatmap(
        columns=[label for label, _ in columns],
        totals=[sum(column.values()) for column in merged],
        rows=rows,
        peak=peak,
    )
