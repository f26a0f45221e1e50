import dataclasses
import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from competitors.activity import (
    CompanyActivity,
    Period,
    companies_activity,
    company_activity,
    comparison_build,
    period_errors,
    period_last_days,
)
from competitors.charts import CATEGORY_KEYS
from competitors.tests.factories import CompanyFactory
from news.categories import Category
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def item(company, published_at, *, category="", priority=0.0, **kwargs):
    return NewsItemFactory(
        company=company,
        source=None,
        published_at=published_at,
        category=category,
        priority_score=priority,
        **kwargs,
    )


# Wednesday 25 March to Friday 3 April 2026 in Berlin: ten local days, with the
# switch to summer time (UTC+1 -> UTC+2) on Sunday 29 March.
SPRING = Period(date_from=date(2026, 3, 25), date_to=date(2026, 4, 3), tz=BERLIN)


@pytest.fixture
def spring_items():
    company = CompanyFactory(name="Acme")
    items = {
        # Local midnight starting the period (23:00 UTC the day before): counts.
        "first": item(
            company, utc(2026, 3, 24, 23, 0), category=Category.PRODUCT_UPDATE, priority=0.5
        ),
        # A minute before the period, local time.
        "before": item(
            company, utc(2026, 3, 24, 22, 59), category=Category.MODEL_RELEASE, priority=1.0
        ),
        # 23:30 UTC is 00:30 the next local day.
        "late": item(
            company, utc(2026, 3, 25, 23, 30), category=Category.MODEL_RELEASE, priority=0.9
        ),
        "dst": item(
            company, utc(2026, 3, 29, 10, 0), category=Category.MODEL_RELEASE, priority=0.3
        ),
        # 23:59 summer time on the last day, uncategorised.
        "last": item(company, utc(2026, 4, 3, 21, 59), category="", priority=0.8),
        # Local midnight after the period: excluded.
        "after": item(
            company, utc(2026, 4, 3, 22, 0), category=Category.MODEL_RELEASE, priority=1.0
        ),
        "tie": item(company, utc(2026, 4, 3, 8, 0), category=Category.MODEL_RELEASE, priority=0.9),
    }
    item(CompanyFactory(name="Someone else"), utc(2026, 3, 30, 12, 0), priority=1.0)
    return company, items


def test_period_bounds_are_local_midnights():
    assert SPRING.days == 10
    assert SPRING.start == utc(2026, 3, 24, 23, 0)
    assert SPRING.end == utc(2026, 4, 3, 22, 0)
    autumn_sunday = Period(date_from=date(2026, 10, 25), date_to=date(2026, 10, 25), tz=BERLIN)
    # Same-zone subtraction in Python ignores the offsets: compare instants.
    assert autumn_sunday.end.astimezone(UTC) - autumn_sunday.start.astimezone(UTC) == timedelta(
        hours=25
    )


def test_period_last_days():
    period = period_last_days(days=7, tz=BERLIN, today=date(2026, 3, 29))
    assert period == Period(date_from=date(2026, 3, 23), date_to=date(2026, 3, 29), tz=BERLIN)
    assert period_last_days(days=1, tz=UTC, today=date(2026, 1, 1)).days == 1
    for days in (0, -1, 367):
        with pytest.raises(ValueError, match="days"):
            period_last_days(days=days, tz=UTC)


def test_period_last_days_defaults_to_today_in_the_current_zone(settings):
    from django.utils import timezone

    with timezone.override(KIRITIMATI):
        period = period_last_days(days=30)
    assert period.tz == KIRITIMATI
    assert period.date_to == timezone.localdate(timezone=KIRITIMATI)
    assert period.days == 30


def test_totals_categories_series_and_top_items(spring_items):
    company, items = spring_items

    activity = company_activity(company=company, period=SPRING)

    assert activity.total == 5
    assert list(activity.categories) == list(CATEGORY_KEYS)
    assert {key: n for key, n in activity.categories.items() if n} == {
        "product_update": 1,
        "model_release": 3,
        "other": 1,
    }
    assert sum(activity.categories.values()) == 5
    assert activity.shares["product_update"] == pytest.approx(0.2)
    assert activity.shares["model_release"] == pytest.approx(0.6)
    assert activity.shares["other"] == pytest.approx(0.2)
    assert activity.shares["api_update"] == 0.0
    assert list(activity.shares) == list(CATEGORY_KEYS)
    # One entry per local date, the 23-hour DST day included.
    assert activity.daily == [
        (date(2026, 3, 25), 1),
        (date(2026, 3, 26), 1),
        (date(2026, 3, 27), 0),
        (date(2026, 3, 28), 0),
        (date(2026, 3, 29), 1),
        (date(2026, 3, 30), 0),
        (date(2026, 3, 31), 0),
        (date(2026, 4, 1), 0),
        (date(2026, 4, 2), 0),
        (date(2026, 4, 3), 2),
    ]
    # Partial weeks at both ends, keyed by their Monday.
    assert activity.weekly == [(date(2026, 3, 23), 3), (date(2026, 3, 30), 2)]
    # Priority desc, then newest: "tie" (0.9, 3 April) before "late" (0.9, 26 March).
    assert [top.id for top in activity.top_items] == [
        items[key].pk for key in ("tie", "late", "last", "first", "dst")
    ]
    last = activity.top_items[2]
    assert (last.title, last.url, last.category, last.priority) == (
        items["last"].title,
        items["last"].url,
        "other",
        0.8,
    )
    assert last.published_at == utc(2026, 4, 3, 21, 59)


def test_top_items_limit_and_id_tie_break():
    company = CompanyFactory()
    when = utc(2026, 3, 30, 12, 0)
    older_id = item(company, when, priority=0.7)
    newer_id = item(company, when, priority=0.7)
    item(company, when, priority=0.1)

    activity = company_activity(company=company, period=SPRING, top=2)

    assert [top.id for top in activity.top_items] == [newer_id.pk, older_id.pk]
    assert company_activity(company=company, period=SPRING, top=0).top_items == []


def test_activity_score_exact(spring_items):
    company, _ = spring_items

    score = company_activity(company=company, period=SPRING).score

    # 5 items in 10 days is 15 per 30 days; saturation at 60 per 30 days.
    volume = math.log(1 + 15) / math.log(1 + 60)
    # Shares 0.2 / 0.6 / 0.2 over 16 keys.
    diversity = -(0.2 * math.log(0.2) + 0.6 * math.log(0.6) + 0.2 * math.log(0.2)) / math.log(16)
    # Days before 3 April: 9, 8, 5, 0, 0 -> weights 0.1, 0.2, 0.5, 1, 1.
    recency = (0.1 + 0.2 + 0.5 + 1 + 1) / 5
    priority = (0.5 + 0.9 + 0.3 + 0.8 + 0.9) / 5
    assert score.volume == pytest.approx(volume)
    assert score.volume == pytest.approx(0.674452, abs=1e-6)
    assert score.diversity == pytest.approx(diversity)
    assert score.diversity == pytest.approx(0.342738, abs=1e-6)
    assert score.recency == pytest.approx(recency)
    assert score.recency == pytest.approx(0.56)
    assert score.priority == pytest.approx(priority)
    assert score.priority == pytest.approx(0.68)
    weighted = 0.4 * volume + 0.2 * diversity + 0.2 * recency + 0.2 * priority
    assert weighted == pytest.approx(0.586328, abs=1e-6)
    # 100 * (0.4 * 0.674452 + 0.2 * 0.342738 + 0.2 * 0.56 + 0.2 * 0.68) = 58.63
    assert score.score == 59


def test_activity_score_limits():
    company = CompanyFactory()
    one_day = Period(date_from=date(2026, 3, 30), date_to=date(2026, 3, 30), tz=UTC)
    for key in Category.values:
        item(company, utc(2026, 3, 30, 12, 0), category=key, priority=1.0)
    item(company, utc(2026, 3, 30, 13, 0), category="", priority=1.0)

    score = company_activity(company=company, period=one_day).score

    # 16 items, one per key, in one day: every component at its maximum.
    assert (score.volume, score.recency, score.priority) == (1.0, 1.0, 1.0)
    assert score.diversity == pytest.approx(1.0)
    assert score.score == 100


def test_no_items_gives_zeros():
    company = CompanyFactory()

    activity = company_activity(company=company, period=SPRING)

    assert activity.total == 0
    assert set(activity.categories.values()) == {0}
    assert set(activity.shares.values()) == {0.0}
    assert len(activity.daily) == 10
    assert {count for _, count in activity.daily} == {0}
    assert activity.weekly == [(date(2026, 3, 23), 0), (date(2026, 3, 30), 0)]
    assert activity.top_items == []
    assert (activity.score.score, activity.score.volume, activity.score.diversity) == (0, 0, 0)
    assert (activity.score.recency, activity.score.priority) == (0, 0)


def test_days_of_the_far_east_zone():
    # UTC+14: 10:00 UTC is already midnight of the next local day.
    company = CompanyFactory()
    period = Period(date_from=date(2026, 3, 11), date_to=date(2026, 3, 11), tz=KIRITIMATI)
    inside = item(company, utc(2026, 3, 10, 10, 0))
    item(company, utc(2026, 3, 10, 9, 59))
    item(company, utc(2026, 3, 11, 10, 0))

    activity = company_activity(company=company, period=period)

    assert activity.daily == [(date(2026, 3, 11), 1)]
    assert [top.id for top in activity.top_items] == [inside.pk]


def test_autumn_dst_day_is_one_local_day():
    company = CompanyFactory()
    period = Period(date_from=date(2026, 10, 24), date_to=date(2026, 10, 26), tz=BERLIN)
    item(company, utc(2026, 10, 24, 22, 30))  # 00:30 summer time on the 25th
    item(company, utc(2026, 10, 25, 22, 30))  # 23:30 winter time on the 25th
    item(company, utc(2026, 10, 25, 23, 30))  # 00:30 on the 26th

    activity = company_activity(company=company, period=period)

    assert activity.daily == [
        (date(2026, 10, 24), 0),
        (date(2026, 10, 25), 2),
        (date(2026, 10, 26), 1),
    ]
    # Saturday, then Sunday and Monday in different weeks.
    assert activity.weekly == [(date(2026, 10, 19), 2), (date(2026, 10, 26), 1)]


def test_constant_queries_whatever_companies_and_days(django_assert_num_queries):
    companies = [CompanyFactory() for _ in range(5)]
    start = utc(2026, 1, 1, 12, 0)
    for index, company in enumerate(companies):
        for day in range(0, 366, 7):
            item(company, start + timedelta(days=day), priority=index / 10)
    year = Period(date_from=date(2026, 1, 1), date_to=date(2027, 1, 1), tz=BERLIN)

    with django_assert_num_queries(2):
        activities = companies_activity(companies=companies, period=year)
    with django_assert_num_queries(2):
        company_activity(company=companies[0], period=SPRING)

    assert [activity.company for activity in activities] == companies
    assert [activity.total for activity in activities] == [53] * 5
    assert all(len(activity.daily) == 366 for activity in activities)
    assert all(len(activity.top_items) == 5 for activity in activities)
    assert [activity.top_items[0].priority for activity in activities] == [
        0.0,
        0.1,
        0.2,
        0.3,
        0.4,
    ]


def test_companies_keep_the_given_order(spring_items):
    acme, _ = spring_items
    other = CompanyFactory()

    activities = companies_activity(companies=[other, acme], period=SPRING)

    assert [a.company for a in activities] == [other, acme]
    assert [a.total for a in activities] == [0, 5]
    assert all(isinstance(a, CompanyActivity) and a.period == SPRING for a in activities)
    assert companies_activity(companies=[], period=SPRING) == []


def test_comparison_build(spring_items):
    acme, _ = spring_items
    other = CompanyFactory()

    comparison = comparison_build(companies=[acme, other], period=SPRING)

    assert comparison.period == SPRING
    assert [a.company for a in comparison.activities] == [acme, other]
    assert comparison.activities[0].total == 5


def test_comparison_build_validates_companies():
    companies = [CompanyFactory() for _ in range(6)]
    with pytest.raises(ValueError, match="2 to 5"):
        comparison_build(companies=companies[:1], period=SPRING)
    with pytest.raises(ValueError, match="2 to 5"):
        comparison_build(companies=companies, period=SPRING)
    with pytest.raises(ValueError, match="once"):
        comparison_build(companies=[companies[0], companies[1], companies[0]], period=SPRING)
    assert len(comparison_build(companies=companies[:5], period=SPRING).activities) == 5


@pytest.mark.parametrize(
    ("days", "date_from", "date_to", "fields"),
    [
        (30, None, None, set()),
        (366, None, None, set()),
        (None, date(2026, 1, 1), date(2026, 12, 31), set()),
        (None, date(2024, 1, 1), date(2024, 12, 31), set()),  # 366 days, leap year
        (None, date(2024, 1, 1), date(2025, 1, 1), {"date_to"}),  # 367 days
        (None, date(2026, 2, 1), date(2026, 1, 31), {"date_to"}),
        (None, date(2026, 2, 1), None, {"date_to"}),
        (None, None, date(2026, 2, 1), {"date_from"}),
        (None, None, None, {"days"}),
        (0, None, None, {"days"}),
        (367, None, None, {"days"}),
        (30, date(2026, 1, 1), date(2026, 1, 2), {"days"}),
        # The day after 9999-12-31 cannot be built: far-off years are refused first.
        (None, date(9999, 12, 30), date(9999, 12, 31), {"date_from", "date_to"}),
        (None, date(1989, 12, 31), date(1990, 1, 1), {"date_from"}),
    ],
)
def test_period_errors(days, date_from, date_to, fields):
    assert set(period_errors(days=days, date_from=date_from, date_to=date_to)) == fields


@pytest.mark.parametrize("period", [SPRING, Period(date(2026, 3, 1), date(2026, 4, 30), UTC)])
def test_grouping_sets_and_the_portable_aggregate_agree(spring_items, monkeypatch, period):
    import types

    from competitors import activity as module

    company, _ = spring_items
    other = CompanyFactory()
    for hours in range(0, 24 * 40, 7):
        item(other, utc(2026, 3, 5) + timedelta(hours=hours), category=Category.API_UPDATE)
    companies = [company, other]

    on_postgresql = companies_activity(companies=companies, period=period)
    # Anything but PostgreSQL takes the portable (company, day, category) aggregate.
    monkeypatch.setattr(module, "connection", types.SimpleNamespace(vendor="sqlite"))
    portable = companies_activity(companies=companies, period=period)

    for fast, slow in zip(on_postgresql, portable, strict=True):
        for name in ("total", "categories", "shares", "daily", "weekly", "top_items"):
            assert getattr(fast, name) == getattr(slow, name), name
        # The two sum the priorities in different orders: equal but for float rounding.
        assert fast.score.score == slow.score.score
        assert dataclasses.astuple(fast.score) == pytest.approx(dataclasses.astuple(slow.score))
    assert sum(activity.total for activity in portable) > 0
