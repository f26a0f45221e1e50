"""When digests fall due: wall-clock times in the user's zone, turned into UTC instants.

A schedule is a time of day on some weekdays: every day (daily), the first day
of the user's week (weekly: Monday or Sunday) or chosen weekdays (custom). Each
occurrence is computed from the local date and time through zoneinfo, so it
moves with daylight saving time instead of drifting by an hour:

- a time that does not exist that day (the spring-forward gap) is delivered as
  if the clocks had not changed yet, which lands inside the hour after the gap;
- a time that happens twice (the autumn fold) is delivered at its first
  occurrence.

Period boundaries are occurrences: a digest due at E covers [previous end, E).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from accounts.models import Preferences

MONDAY, SUNDAY = 1, 7
ALL_DAYS = frozenset(range(1, 8))
# Occurrences are searched this many local days around an instant; any schedule
# with at least one weekday has an occurrence in every 7-day window.
SEARCH_DAYS = 9


@dataclass(frozen=True)
class Schedule:
    frequency: str  # daily | weekly | custom
    at: time
    weekdays: frozenset[int]  # ISO weekdays on which the digest goes out
    zone: ZoneInfo

    @property
    def is_empty(self) -> bool:
        return not self.weekdays


def zone_or_utc(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def delivery_weekdays(*, frequency: str, week_start: str, days: list[int] | None) -> frozenset[int]:
    if frequency == "weekly":
        # A weekly digest goes out when the user's week begins and covers the week before.
        return frozenset({SUNDAY if week_start == "sunday" else MONDAY})
    if frequency == "custom":
        return frozenset(day for day in (days or []) if isinstance(day, int) and 1 <= day <= 7)
    return ALL_DAYS


def schedule_for(*, preferences: Preferences, timezone_name: str) -> Schedule:
    return Schedule(
        frequency=preferences.digest_frequency,
        at=preferences.digest_time.replace(second=0, microsecond=0, tzinfo=None),
        weekdays=delivery_weekdays(
            frequency=preferences.digest_frequency,
            week_start=preferences.week_start,
            days=preferences.digest_days,
        ),
        zone=zone_or_utc(timezone_name),
    )


def local_instant(*, day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time `at` on `day` in `zone` (gaps and folds as above)."""
    wall = datetime.combine(day, at, tzinfo=zone)  # fold=0: the earlier reading
    instant = wall.astimezone(UTC)
    return instant


def _candidates(schedule: Schedule, around: datetime) -> list[datetime]:
    local_day = around.astimezone(schedule.zone).date()
    instants = []
    for offset in range(-SEARCH_DAYS, SEARCH_DAYS + 1):
        day = local_day + timedelta(days=offset)
        if day.isoweekday() in schedule.weekdays:
            instants.append(local_instant(day=day, at=schedule.at, zone=schedule.zone))
    return sorted(instants)


def next_occurrence(*, schedule: Schedule, after: datetime) -> datetime | None:
    """The first occurrence strictly after `after`; None when no weekday is chosen."""
    return next((each for each in _candidates(schedule, after) if each > after), None)


def latest_occurrence(*, schedule: Schedule, at_or_before: datetime) -> datetime | None:
    """The last occurrence at or before the instant; None when no weekday is chosen."""
    earlier = [each for each in _candidates(schedule, at_or_before) if each <= at_or_before]
    return earlier[-1] if earlier else None


def previous_occurrence(*, schedule: Schedule, before: datetime) -> datetime | None:
    """The last occurrence strictly before the instant: a period's natural start."""
    earlier = [each for each in _candidates(schedule, before) if each < before]
    return earlier[-1] if earlier else None


def on_demand_period(
    *, kind: str, now: datetime, zone: ZoneInfo, week_start: str
) -> tuple[datetime, datetime]:
    """ "Today's" or "this week's" digest asked for now: from the start of the local
    day or week until now."""
    local = now.astimezone(zone)
    start_day = local.date()
    if kind == "weekly":
        first = SUNDAY if week_start == "sunday" else MONDAY
        start_day -= timedelta(days=(start_day.isoweekday() - first) % 7)
    return local_instant(day=start_day, at=time(0, 0), zone=zone), now
