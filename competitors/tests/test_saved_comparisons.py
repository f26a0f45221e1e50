from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from competitors import services
from competitors.activity import Period, period_last_days
from competitors.models import SavedComparison
from competitors.selectors import saved_comparison_get, saved_comparisons_for
from competitors.services import (
    saved_comparison_create,
    saved_comparison_delete,
    saved_comparison_update,
)
from competitors.tests.factories import CompanyFactory, SavedComparisonFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def companies():
    return [CompanyFactory(name=f"Company {n}") for n in range(6)]


def field_errors(excinfo):
    return set(excinfo.value.message_dict)


def test_create_rolling(user, companies):
    comparison = saved_comparison_create(
        user=user, name="  Labs  ", companies=companies[:3], days=30
    )

    comparison.refresh_from_db()
    assert comparison.name == "Labs"
    assert (comparison.days, comparison.date_from, comparison.date_to) == (30, None, None)
    assert set(comparison.companies.all()) == set(companies[:3])
    with timezone.override(BERLIN):
        assert comparison.period() == period_last_days(days=30, tz=BERLIN)


def test_create_fixed_range(user, companies):
    comparison = saved_comparison_create(
        user=user,
        name="Q1",
        companies=companies[:2],
        date_from=date(2026, 1, 1),
        date_to=date(2026, 3, 31),
    )

    assert comparison.days is None
    assert comparison.period(tz=BERLIN) == Period(
        date_from=date(2026, 1, 1), date_to=date(2026, 3, 31), tz=BERLIN
    )


def test_name_is_unique_per_user(user, companies):
    saved_comparison_create(user=user, name="Labs", companies=companies[:2], days=7)

    with pytest.raises(ValidationError) as excinfo:
        saved_comparison_create(user=user, name=" Labs ", companies=companies[2:4], days=7)
    assert field_errors(excinfo) == {"name"}
    # Another user may use the same name.
    saved_comparison_create(user=UserFactory(), name="Labs", companies=companies[:2], days=7)
    assert SavedComparison.objects.filter(name="Labs").count() == 2


def test_a_lost_race_on_the_name_is_a_validation_error(user, companies, monkeypatch):
    saved_comparison_create(user=user, name="Labs", companies=companies[:2], days=7)
    # As if a concurrent request had inserted the name after this one checked it.
    monkeypatch.setattr(services, "_saved_comparison_errors", lambda **kwargs: {})

    with pytest.raises(ValidationError) as excinfo:
        saved_comparison_create(user=user, name="Labs", companies=companies[2:4], days=7)

    assert field_errors(excinfo) == {"name"}
    assert SavedComparison.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "count"),
    [("", 2), ("   ", 2), ("x" * 121, 2)],
)
def test_name_is_required_and_bounded(user, companies, name, count):
    with pytest.raises(ValidationError) as excinfo:
        saved_comparison_create(user=user, name=name, companies=companies[:count], days=7)
    assert field_errors(excinfo) == {"name"}


def test_companies_count_and_duplicates(user, companies):
    for chosen in (companies[:1], companies, [], [companies[0], companies[1], companies[0]]):
        with pytest.raises(ValidationError) as excinfo:
            saved_comparison_create(user=user, name="Labs", companies=chosen, days=7)
        assert field_errors(excinfo) == {"companies"}
    assert not SavedComparison.objects.exists()
    saved_comparison_create(user=user, name="Five", companies=companies[:5], days=7)


@pytest.mark.parametrize(
    ("period", "fields"),
    [
        ({}, {"days"}),
        ({"days": 0}, {"days"}),
        ({"days": 367}, {"days"}),
        ({"days": 7, "date_from": date(2026, 1, 1), "date_to": date(2026, 1, 2)}, {"days"}),
        ({"date_from": date(2026, 1, 1)}, {"date_to"}),
        ({"date_to": date(2026, 1, 1)}, {"date_from"}),
        ({"date_from": date(2026, 2, 1), "date_to": date(2026, 1, 31)}, {"date_to"}),
        ({"date_from": date(2024, 1, 1), "date_to": date(2025, 1, 1)}, {"date_to"}),
    ],
)
def test_invalid_periods(user, companies, period, fields):
    with pytest.raises(ValidationError) as excinfo:
        saved_comparison_create(user=user, name="Labs", companies=companies[:2], **period)
    assert field_errors(excinfo) == fields


def test_all_field_errors_at_once(user, companies):
    saved_comparison_create(user=user, name="Labs", companies=companies[:2], days=7)

    with pytest.raises(ValidationError) as excinfo:
        saved_comparison_create(user=user, name="Labs", companies=companies[:1], days=400)

    assert field_errors(excinfo) == {"name", "companies", "days"}


def test_longest_periods_are_accepted(user, companies):
    saved_comparison_create(user=user, name="Year", companies=companies[:2], days=366)
    saved_comparison_create(
        user=user,
        name="Leap year",
        companies=companies[:2],
        date_from=date(2024, 1, 1),
        date_to=date(2024, 12, 31),
    )


def test_the_database_refuses_a_comparison_without_one_period(user):
    with pytest.raises(IntegrityError):
        SavedComparison.objects.create(user=user, name="Broken")


def test_update_name_and_companies(user, companies):
    comparison = SavedComparisonFactory(user=user, name="Labs", companies=companies[:2])

    saved_comparison_update(comparison=comparison, name="Big labs", companies=companies[2:5])

    comparison.refresh_from_db()
    assert comparison.name == "Big labs"
    assert set(comparison.companies.all()) == set(companies[2:5])
    assert comparison.days == 30
    # Keeping its own name is no conflict.
    saved_comparison_update(comparison=comparison, name="Big labs")


def test_update_switches_between_rolling_and_fixed(user, companies):
    comparison = SavedComparisonFactory(user=user, companies=companies[:2], days=30)

    saved_comparison_update(
        comparison=comparison, date_from=date(2026, 1, 1), date_to=date(2026, 1, 31)
    )
    comparison.refresh_from_db()
    assert (comparison.days, comparison.date_from, comparison.date_to) == (
        None,
        date(2026, 1, 1),
        date(2026, 1, 31),
    )

    # One date given: the other is kept.
    saved_comparison_update(comparison=comparison, date_to=date(2026, 2, 28))
    comparison.refresh_from_db()
    assert (comparison.date_from, comparison.date_to) == (date(2026, 1, 1), date(2026, 2, 28))

    saved_comparison_update(comparison=comparison, days=90)
    comparison.refresh_from_db()
    assert (comparison.days, comparison.date_from, comparison.date_to) == (90, None, None)
    assert set(comparison.companies.all()) == set(companies[:2])


def test_invalid_update_changes_nothing(user, companies):
    SavedComparisonFactory(user=user, name="Taken", companies=companies[:2])
    comparison = SavedComparisonFactory(user=user, name="Labs", companies=companies[2:4])

    for values, fields in (
        ({"name": "Taken"}, {"name"}),
        ({"companies": companies[:1]}, {"companies"}),
        ({"companies": companies}, {"companies"}),
        ({"days": 0}, {"days"}),
        ({"date_from": date(2026, 1, 1)}, {"date_to"}),
    ):
        with pytest.raises(ValidationError) as excinfo:
            saved_comparison_update(comparison=comparison, **values)
        assert field_errors(excinfo) == fields
        assert (comparison.name, comparison.days) == ("Labs", 30)

    comparison.refresh_from_db()
    assert (comparison.name, comparison.days, comparison.date_from) == ("Labs", 30, None)
    assert set(comparison.companies.all()) == set(companies[2:4])


def test_update_losing_a_race_on_the_name_keeps_the_object(user, companies, monkeypatch):
    SavedComparisonFactory(user=user, name="Taken", companies=companies[:2])
    comparison = SavedComparisonFactory(user=user, name="Labs", companies=companies[2:4])
    monkeypatch.setattr(services, "_saved_comparison_errors", lambda **kwargs: {})

    with pytest.raises(ValidationError) as excinfo:
        saved_comparison_update(comparison=comparison, name="Taken", days=7)

    assert field_errors(excinfo) == {"name"}
    assert (comparison.name, comparison.days) == ("Labs", 30)
    comparison.refresh_from_db()
    assert comparison.name == "Labs"


def test_delete_own(user):
    comparison = SavedComparisonFactory(user=user)

    assert saved_comparison_delete(user=user, comparison_id=comparison.pk) is True
    assert not SavedComparison.objects.exists()
    assert saved_comparison_delete(user=user, comparison_id=comparison.pk) is False


def test_another_users_comparison_is_invisible_and_kept(user):
    mine = SavedComparisonFactory(user=user)
    theirs = SavedComparisonFactory()

    assert list(saved_comparisons_for(user=user)) == [mine]
    assert saved_comparison_get(user=user, pk=theirs.pk) is None
    assert saved_comparison_get(user=user, pk=mine.pk) == mine
    assert saved_comparison_delete(user=user, comparison_id=theirs.pk) is False
    assert SavedComparison.objects.filter(pk=theirs.pk).exists()
    assert list(saved_comparisons_for(user=AnonymousUser())) == []
    assert saved_comparison_get(user=AnonymousUser(), pk=mine.pk) is None


def test_list_is_newest_first_with_companies_prefetched(user, django_assert_num_queries):
    older = SavedComparisonFactory(user=user)
    newer = SavedComparisonFactory(user=user)
    companies = [CompanyFactory(name="Zeta"), CompanyFactory(name="Alpha")]
    newer.companies.set(companies)

    with django_assert_num_queries(2):
        comparisons = list(saved_comparisons_for(user=user))
        names = [[company.name for company in c.companies.all()] for c in comparisons]

    assert comparisons == [newer, older]
    assert names[0] == ["Alpha", "Zeta"]


def test_admin_pages(client, companies):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    comparison = SavedComparisonFactory(name="Labs")

    changelist = client.get(reverse("admin:competitors_savedcomparison_changelist"))
    change = client.get(reverse("admin:competitors_savedcomparison_change", args=[comparison.pk]))
    invalid = client.post(
        reverse("admin:competitors_savedcomparison_add"),
        {
            "user": comparison.user_id,
            "name": "One company",
            "companies": [companies[0].pk],
            "days": "",
            "date_from": "",
            "date_to": "",
        },
    )

    assert (changelist.status_code, change.status_code, invalid.status_code) == (200, 200, 200)
    assert "Labs" in changelist.content.decode()
    assert set(invalid.context["adminform"].form.errors) == {"companies", "days"}
    assert not SavedComparison.objects.filter(name="One company").exists()
