"""Occurrences in real zones, across daylight saving changes and at the date line."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from digests.scheduling import (
    Schedule,
    delivery_weekdays,
    latest_occurrence,
    next_occurrence,
    on_demand_period,
    previous_occurrence,
)


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def schedule(
    zone: str,
    at: time = time(8, 0),
    *,
    frequency: str = "daily",
    week_start: str = "monday",
    days: list[int] | None = None,
) -> Schedule:
    return Schedule(
        frequency=frequency,
        at=at,
        weekdays=delivery_weekdays(frequency=frequency, week_start=week_start, days=days),
        zone=ZoneInfo(zone),
    )


def occurrences(plan: Schedule, *, after: datetime, count: int) -> list[datetime]:
    found = []
    moment = after
    for _ in range(count):
        following = next_occurrence(schedule=plan, after=moment)
        assert following is not None
        found.append(following)
        moment = following
    return found


# ---------------------------------------------------------------- daylight saving


def test_berlin_spring_forward_keeps_eight_local_and_the_period_is_23_hours() -> None:
    plan = schedule("Europe/Berlin")
    found = occurrences(plan, after=utc(2026, 3, 27, 12), count=3)
    # 08:00 CET is 07:00 UTC; from 29 March 08:00 CEST is 06:00 UTC.
    assert found == [utc(2026, 3, 28, 7), utc(2026, 3, 29, 6), utc(2026, 3, 30, 6)]
    assert found[1] - found[0] == timedelta(hours=23)
    assert all(each.astimezone(plan.zone).hour == 8 for each in found)


def test_berlin_fall_back_period_is_25_hours() -> None:
    plan = schedule("Europe/Berlin")
    found = occurrences(plan, after=utc(2026, 10, 23, 12), count=3)
    assert found == [utc(2026, 10, 24, 6), utc(2026, 10, 25, 7), utc(2026, 10, 26, 7)]
    assert found[1] - found[0] == timedelta(hours=25)


def test_berlin_time_inside_the_spring_gap_goes_out_once_in_the_hour_after() -> None:
    plan = schedule("Europe/Berlin", time(2, 30))
    found = occurrences(plan, after=utc(2026, 3, 27, 12), count=3)
    # 02:30 does not exist on 29 March: it goes out at 03:30 CEST (01:30 UTC).
    assert found == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]
    assert found[1].astimezone(plan.zone).strftime("%H:%M") == "03:30"


def test_berlin_time_inside_the_autumn_fold_goes_out_once_at_its_first_occurrence() -> None:
    plan = schedule("Europe/Berlin", time(2, 30))
    found = occurrences(plan, after=utc(2026, 10, 24, 12), count=2)
    # 02:30 happens twice on 25 October; the first is 02:30 CEST = 00:30 UTC.
    assert found == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_new_york_spring_forward_and_fall_back() -> None:
    plan = schedule("America/New_York", time(9, 0))
    spring = occurrences(plan, after=utc(2026, 3, 7, 0), count=2)
    assert spring == [utc(2026, 3, 7, 14), utc(2026, 3, 8, 13)]
    autumn = occurrences(plan, after=utc(2026, 10, 31, 0), count=2)
    assert autumn == [utc(2026, 10, 31, 13), utc(2026, 11, 1, 14)]
    assert all(each.astimezone(plan.zone).hour == 9 for each in spring + autumn)


def test_new_york_time_in_the_gap() -> None:
    plan = schedule("America/New_York", time(2, 15))
    found = occurrences(plan, after=utc(2026, 3, 7, 12), count=2)
    # 02:15 does not exist on 8 March: it goes out at 03:15 EDT (07:15 UTC).
    assert found == [utc(2026, 3, 8, 7, 15), utc(2026, 3, 9, 6, 15)]


# ---------------------------------------------------------------- extremes


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # UTC+14: 08:00 on 27 November is 18:00 UTC on 26 November.
        ("Pacific/Kiritimati", utc(2026, 11, 26, 18)),
        # UTC−12 (Etc/GMT+12 is twelve hours behind): 08:00 is 20:00 UTC the same day.
        ("Etc/GMT+12", utc(2026, 11, 26, 20)),
    ],
)
def test_date_line_zones(zone: str, expected: datetime) -> None:
    plan = schedule(zone)
    assert next_occurrence(schedule=plan, after=utc(2026, 11, 26, 17, 30)) == expected
    assert expected.astimezone(plan.zone).hour == 8


def test_latest_and_previous_occurrence() -> None:
    plan = schedule("Europe/Berlin")
    at = utc(2026, 11, 26, 7)  # exactly 08:00 CET
    assert latest_occurrence(schedule=plan, at_or_before=at) == at
    assert previous_occurrence(schedule=plan, before=at) == utc(2026, 11, 25, 7)
    assert latest_occurrence(schedule=plan, at_or_before=at - timedelta(seconds=1)) == utc(
        2026, 11, 25, 7
    )


# ---------------------------------------------------------------- weekly and custom


def test_weekly_with_monday_start_goes_out_on_mondays() -> None:
    plan = schedule("Europe/Berlin", frequency="weekly", week_start="monday")
    found = occurrences(plan, after=utc(2026, 11, 25, 12), count=2)  # a Wednesday
    assert found == [utc(2026, 11, 30, 7), utc(2026, 12, 7, 7)]
    assert {each.astimezone(plan.zone).isoweekday() for each in found} == {1}


def test_weekly_with_sunday_start_goes_out_on_sundays() -> None:
    plan = schedule("Europe/Berlin", frequency="weekly", week_start="sunday")
    found = occurrences(plan, after=utc(2026, 11, 25, 12), count=2)
    assert found == [utc(2026, 11, 29, 7), utc(2026, 12, 6, 7)]
    assert {each.astimezone(plan.zone).isoweekday() for each in found} == {7}


def test_weekly_period_spans_a_dst_change_as_seven_local_days() -> None:
    plan = schedule("Europe/Berlin", frequency="weekly", week_start="monday")
    end = utc(2026, 3, 30, 6)  # Monday 08:00 CEST
    assert previous_occurrence(schedule=plan, before=end) == utc(2026, 3, 23, 7)


def test_custom_weekdays() -> None:
    plan = schedule("UTC", frequency="custom", days=[2, 4])  # Tuesday and Thursday
    found = occurrences(plan, after=utc(2026, 11, 23, 12), count=4)  # a Monday
    assert found == [
        utc(2026, 11, 24, 8),
        utc(2026, 11, 26, 8),
        utc(2026, 12, 1, 8),
        utc(2026, 12, 3, 8),
    ]


def test_custom_without_days_never_falls_due() -> None:
    plan = schedule("UTC", frequency="custom", days=[])
    assert plan.is_empty
    assert next_occurrence(schedule=plan, after=utc(2026, 11, 23)) is None
    assert latest_occurrence(schedule=plan, at_or_before=utc(2026, 11, 23)) is None


def test_custom_ignores_values_that_are_not_weekdays():
    assert delivery_weekdays(frequency="custom", week_start="monday", days=[0, 3, 8, "x"]) == {3}


# ---------------------------------------------------------------- on demand


@pytest.mark.parametrize(
    ("kind", "week_start", "expected_start"),
    [
        ("daily", "monday", utc(2026, 11, 25, 23)),  # Thursday 00:00 in Berlin
        ("weekly", "monday", utc(2026, 11, 22, 23)),  # Monday 23 November, 00:00
        ("weekly", "sunday", utc(2026, 11, 21, 23)),  # Sunday 22 November, 00:00
    ],
)
def test_on_demand_period(kind: str, week_start: str, expected_start: datetime) -> None:
    now = utc(2026, 11, 26, 15)
    start, end = on_demand_period(
        kind=kind, now=now, zone=ZoneInfo("Europe/Berlin"), week_start=week_start
    )
    assert (start, end) == (expected_start, now)
