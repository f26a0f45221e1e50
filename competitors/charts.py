"""Geometry of the server-side SVG charts of the companies pages.

Pure functions: counts in, coordinates (in SVG user units) and labels out. The
templates draw them as inline SVG, colour them with the CSS class of each category
(``chart-cat-<key>``, defined in static/css/companies.css, since the CSP forbids
style attributes) and pair each chart with a text or table alternative.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django_stubs_ext import StrOrPromise

from news.categories import OTHER_SLUG, Category, category_emoji, category_label
from news.categories import category_slug as category_key

OTHER = OTHER_SLUG
# Stacking and legend order: the categories' display order, "other" last.
CATEGORY_KEYS: tuple[str, ...] = (*Category.values, OTHER)


def _round(value: float) -> float:
    return round(value, 2)


@dataclass(frozen=True)
class CategoryBadge:
    key: str
    label: StrOrPromise
    emoji: str

    @property
    def css_class(self) -> str:
        return f"chart-cat-{self.key}"


def category_badge(value: str | None) -> CategoryBadge:
    key = category_key(value)
    value_or_none = None if key == OTHER else key
    return CategoryBadge(key, category_label(value_or_none), category_emoji(value_or_none))


# ---------------------------------------------------------------- sparkline


@dataclass(frozen=True)
class SparkBar:
    x: float
    y: float
    width: float
    height: float
    count: int


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    bars: list[SparkBar]  # days with items only
    total: int
    peak: int
    days: int


def sparkline(counts: Sequence[int], *, width: int = 90, height: int = 24) -> Sparkline:
    """One bar per day; the busiest day reaches the top, any non-empty day shows at
    least one unit so a single item stays visible next to a busy day."""
    peak = max(counts, default=0)
    band = width / len(counts) if counts else 0.0
    gap = 1.0 if band >= 2 else 0.0
    bars = []
    for index, count in enumerate(counts):
        if count <= 0:
            continue
        bar_height = max(1.0, count / peak * height)
        bars.append(
            SparkBar(
                x=_round(index * band),
                y=_round(height - bar_height),
                width=_round(band - gap),
                height=_round(bar_height),
                count=count,
            )
        )
    return Sparkline(
        width=width,
        height=height,
        bars=bars,
        total=sum(max(count, 0) for count in counts),
        peak=peak,
        days=len(counts),
    )


# ---------------------------------------------------------------- stacked bars


@dataclass(frozen=True)
class StackSegment:
    badge: CategoryBadge
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class StackColumn:
    start: date
    x: float
    width: float
    label_x: float
    total: int
    top: float  # y of the column's top edge
    segments: list[StackSegment]  # bottom first


@dataclass(frozen=True)
class AxisTick:
    value: int
    y: float


@dataclass(frozen=True)
class LegendEntry:
    badge: CategoryBadge
    count: int


@dataclass(frozen=True)
class TableRow:
    start: date
    counts: list[int]  # in legend order
    total: int


@dataclass(frozen=True)
class StackedBarChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    columns: list[StackColumn]
    ticks: list[AxisTick]
    legend: list[LegendEntry]  # categories present, in stacking order
    rows: list[TableRow]  # the numbers, for the table alternative
    total: int

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    @property
    def y_label_x(self) -> float:
        return self.plot_left - 6

    @property
    def x_label_y(self) -> float:
        return self.plot_bottom + 18


def intensity_level(count: int, peak: int, *, levels: int = 5) -> int:
    """A shade from 0 (no items) to ``levels`` (the busiest cell): ceil(levels * count /
    peak), so a single item beside a busy cell still shows as 1 rather than vanishing."""
    if count <= 0 or peak <= 0:
        return 0
    # Integer ceiling: a float one could round 5 * 3 / 3 up past 5.
    return min(levels, -(-levels * count // peak))


def tick_step(peak: int, *, max_ticks: int = 4) -> int:
    """A 1, 2 or 5 times 10**n step giving at most ``max_ticks`` intervals up to ``peak``."""
    if peak <= max_ticks:
        return 1
    raw = peak / max_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(
        int(multiple * magnitude) for multiple in (1, 2, 5, 10) if multiple * magnitude >= raw
    )


def stacked_bars(
    periods: Sequence[date],
    counts: Mapping[tuple[date, str], int],
    *,
    width: int = 480,
    height: int = 220,
) -> StackedBarChart:
    """One column per period, one segment per category key stacked in CATEGORY_KEYS
    order; keys outside it count as "other"."""
    merged: dict[tuple[date, str], int] = {}
    for (period, key), count in counts.items():
        if count > 0:
            slot = (period, key if key in CATEGORY_KEYS else OTHER)
            merged[slot] = merged.get(slot, 0) + count
    present = [key for key in CATEGORY_KEYS if any(k == key for _, k in merged)]
    totals = [sum(merged.get((period, key), 0) for key in present) for period in periods]

    plot_left, plot_right = 36.0, float(width - 16)
    plot_top, plot_bottom = 12.0, float(height - 28)
    step = tick_step(max(totals, default=0))
    axis_max = max(step, math.ceil(max(totals, default=0) / step) * step)
    scale = (plot_bottom - plot_top) / axis_max
    band = (plot_right - plot_left) / len(periods) if periods else 0.0
    bar_width = band * 0.62

    columns = []
    for index, (period, total) in enumerate(zip(periods, totals, strict=True)):
        segments, stacked, lower = [], 0, plot_bottom
        for key in present:
            count = merged.get((period, key), 0)
            if not count:
                continue
            stacked += count
            # Edges come from the running total, so the segments tile the column exactly.
            upper = _round(plot_bottom - stacked * scale)
            segments.append(StackSegment(category_badge(key), count, upper, _round(lower - upper)))
            lower = upper
        x = plot_left + index * band + (band - bar_width) / 2
        columns.append(
            StackColumn(
                start=period,
                x=_round(x),
                width=_round(bar_width),
                label_x=_round(plot_left + (index + 0.5) * band),
                total=total,
                top=_round(plot_bottom - total * scale),
                segments=segments,
            )
        )
    ticks = [
        AxisTick(value, _round(plot_bottom - value * scale))
        for value in range(0, axis_max + 1, step)
    ]
    legend = [
        LegendEntry(category_badge(key), sum(merged.get((p, key), 0) for p in periods))
        for key in present
    ]
    rows = [
        TableRow(period, [merged.get((period, key), 0) for key in present], total)
        for period, total in zip(periods, totals, strict=True)
    ]
    return StackedBarChart(
        width=width,
        height=height,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        columns=columns,
        ticks=ticks,
        legend=legend,
        rows=rows,
        total=sum(totals),
    )


# ---------------------------------------------------------------- distribution


def percentages(counts: Sequence[int]) -> list[int]:
    """Whole percentages that sum to exactly 100 (largest remainder method), or all
    zeros when there is nothing to share."""
    total = sum(counts)
    if total <= 0:
        return [0] * len(counts)
    exact = [count * 100 / total for count in counts]
    shares = [math.floor(value) for value in exact]
    # Hand the missing points to the largest remainders; ties go to the earlier entry.
    by_remainder = sorted(range(len(counts)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in by_remainder[: 100 - sum(shares)]:
        shares[index] += 1
    return shares


@dataclass(frozen=True)
class Share:
    badge: CategoryBadge
    count: int
    percent: int
    bar_width: float  # 0..100, relative to the largest category


@dataclass(frozen=True)
class Distribution:
    shares: list[Share]  # largest first
    total: int

    @property
    def is_empty(self) -> bool:
        return self.total == 0


def category_distribution(counts: Mapping[str, int]) -> Distribution:
    merged: dict[str, int] = {}
    for key, count in counts.items():
        if count > 0:
            slot = key if key in CATEGORY_KEYS else OTHER
            merged[slot] = merged.get(slot, 0) + count
    keys = sorted(merged, key=lambda key: (-merged[key], CATEGORY_KEYS.index(key)))
    values = [merged[key] for key in keys]
    peak = max(values, default=0)
    shares = [
        Share(category_badge(key), count, percent, _round(count / peak * 100))
        for key, count, percent in zip(keys, values, percentages(values), strict=True)
    ]
    return Distribution(shares=shares, total=sum(values))
