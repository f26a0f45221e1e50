import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.services import company_follow_set
from accounts.tests.factories import UserFactory
from competitors import insights
from competitors.models import Company, Source
from competitors.selectors import (
    company_active_by_id,
    company_followed_ids,
    company_is_followed,
    company_latest_items,
    company_list,
    company_sources,
)
from competitors.tests.factories import CompanyFactory, SourceFactory
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")  # UTC+3 all year


def _names(queryset):
    return [company.name for company in queryset]


# ---------------------------------------------------------------- list and search


def test_company_list_is_active_companies_by_name():
    CompanyFactory(name="Zeta")
    CompanyFactory(name="alpha")
    CompanyFactory(name="Mid", active=False)
    assert _names(company_list()) == ["alpha", "Zeta"]


def test_company_list_search_by_name_alias_and_segment():
    CompanyFactory(name="OpenAI", aliases=["ChatGPT", "Sora"], segment=Company.Segment.LLM_PROVIDER)
    CompanyFactory(name="Pinecone", aliases=[], segment=Company.Segment.INFRASTRUCTURE)
    CompanyFactory(name="Hidden GPT", active=False)

    assert _names(company_list(query="open")) == ["OpenAI"]
    assert _names(company_list(query="chatgpt")) == ["OpenAI"]
    assert _names(company_list(query="  infrastructure ")) == ["Pinecone"]
    assert _names(company_list(query="LLM prov")) == ["OpenAI"]  # the segment's label
    assert _names(company_list(query="nothing like it")) == []
    assert _names(company_list(query="")) == ["OpenAI", "Pinecone"]


def test_followed_ids_are_the_users_own():
    user, other = UserFactory(), UserFactory()
    followed, not_followed = CompanyFactory(), CompanyFactory()
    company_follow_set(user=user, company_id=followed.pk, following=True)
    company_follow_set(user=other, company_id=not_followed.pk, following=True)

    assert company_followed_ids(user=user) == {followed.pk}
    assert company_followed_ids(user=AnonymousUser()) == set()
    assert company_is_followed(user=user, company=followed)
    assert not company_is_followed(user=user, company=not_followed)
    assert not company_is_followed(user=AnonymousUser(), company=followed)


def test_active_by_id():
    active, inactive = CompanyFactory(), CompanyFactory(active=False)
    assert company_active_by_id(pk=active.pk) == active
    assert company_active_by_id(pk=inactive.pk) is None
    assert company_active_by_id(pk=None) is None


def test_latest_items_and_sources():
    company = CompanyFactory()
    now = timezone.now()
    items = [
        NewsItemFactory(company=company, published_at=now - timedelta(hours=n)) for n in range(5)
    ]
    NewsItemFactory(published_at=now)  # another company's
    SourceFactory(company=company, name="B")
    SourceFactory(company=company, name="A")

    assert company_latest_items(company=company, limit=3) == items[:3]
    assert [source.name for source in company_sources(company=company)] == ["A", "B"]


# ---------------------------------------------------------------- insights


def test_daily_activity_counts_local_days():
    acme, beta, quiet = CompanyFactory(), CompanyFactory(), CompanyFactory()
    with timezone.override(MOSCOW):
        today = timezone.localdate()
        local_noon = datetime.combine(today, datetime.min.time(), tzinfo=MOSCOW) + timedelta(
            hours=12
        )
        for hours in (0, 1):
            NewsItemFactory(company=acme, published_at=local_noon - timedelta(hours=hours))
        NewsItemFactory(company=acme, published_at=local_noon - timedelta(days=2))
        # 00:30 local today is still yesterday in UTC: it must count for today.
        NewsItemFactory(company=beta, published_at=local_noon - timedelta(hours=11, minutes=30))
        NewsItemFactory(company=beta, published_at=local_noon - timedelta(days=30))  # too old

        series = insights.companies_daily_activity(company_ids=[acme.pk, beta.pk, quiet.pk])

    assert set(series) == {acme.pk, beta.pk, quiet.pk}
    assert all(len(days) == 30 for days in series.values())
    assert series[acme.pk][-1] == 2
    assert series[acme.pk][-3] == 1
    assert sum(series[acme.pk]) == 3
    assert series[beta.pk] == [0] * 29 + [1]
    assert series[quiet.pk] == [0] * 30
    assert insights.companies_daily_activity(company_ids=[]) == {}


def test_weekly_categories_by_local_monday():
    company = CompanyFactory()
    with timezone.override(MOSCOW):
        weeks = insights.chart_weeks()
        assert len(weeks) == 12
        assert all(monday.weekday() == 0 for monday in weeks)
        this_monday = datetime.combine(weeks[-1], datetime.min.time(), tzinfo=MOSCOW)
        NewsItemFactory(company=company, category="model_release", published_at=this_monday)
        NewsItemFactory(company=company, category="", published_at=this_monday + timedelta(hours=5))
        # Sunday 23:30 local, the last minute of the previous week.
        NewsItemFactory(
            company=company,
            category="model_release",
            published_at=this_monday - timedelta(minutes=30),
        )
        NewsItemFactory(company=company, published_at=this_monday - timedelta(weeks=13))  # too old

        result = insights.company_weekly_categories(company_id=company.pk)

    assert result.weeks == weeks
    assert result.counts == {
        (weeks[-1], "model_release"): 1,
        (weeks[-1], "other"): 1,
        (weeks[-2], "model_release"): 1,
    }


def test_category_totals():
    company = CompanyFactory()
    for category in ("model_release", "model_release", "", "pricing_change"):
        NewsItemFactory(company=company, category=category)
    NewsItemFactory(category="acquisition")
    assert insights.company_category_totals(company_id=company.pk) == {
        "model_release": 2,
        "other": 1,
        "pricing_change": 1,
    }


@pytest.mark.parametrize(
    ("status", "failures", "succeeded", "health"),
    [
        (Source.Status.ACTIVE, 0, True, "ok"),
        (Source.Status.ACTIVE, 1, True, "warning"),
        (Source.Status.ACTIVE, 0, False, "warning"),
        (Source.Status.PAUSED, 0, True, "warning"),
        (Source.Status.ACTIVE, 3, True, "error"),
        (Source.Status.ERROR, 0, True, "error"),
    ],
)
def test_source_health(status, failures, succeeded, health):
    source = Source(
        url="https://acme.example.com/feed",
        status=status,
        consecutive_failures=failures,
        last_success_at=datetime(2026, 1, 1, tzinfo=UTC) if succeeded else None,
    )
    assert insights.source_health(source) == health


def test_activity_days_end_today():
    days = insights.activity_days()
    assert len(days) == 30
    assert days[-1] == timezone.localdate()
    assert days[0] == timezone.localdate() - timedelta(days=29)
    assert isinstance(days[0], date)
