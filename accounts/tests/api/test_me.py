"""GET/PATCH /api/v1/me/ and GET/PUT/PATCH /api/v1/me/preferences/."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Preferences, User
from accounts.tests.factories import UserFactory
from competitors.tests.factories import CompanyFactory
from telegram_bot.models import TelegramLink

pytestmark = pytest.mark.django_db

ME = reverse("api:me-detail")
PREFERENCES = reverse("api:me-preferences")
PREFERENCE_FIELDS = {
    "tracked_companies",
    "interested_categories",
    "keywords",
    "language",
    "timezone",
    "digest_enabled",
    "digest_frequency",
    "digest_time",
    "digest_days",
    "week_start",
    "digest_format",
    "digest_include_summaries",
    "digest_mode",
    "digest_channels",
    "notification_frequency",
    "notify_min_priority",
}


def _fields(response) -> Any:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


# ---------------------------------------------------------------- me


def test_me_shows_the_account(token_client):
    user = token_client.account
    body = token_client.get(ME).json()
    assert body == {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "language": "",
        "timezone": "UTC",
        "is_verified": True,
        "is_staff": False,
        "date_joined": body["date_joined"],
    }
    assert "password" not in body


def test_me_needs_credentials(api_client):
    assert api_client.get(ME).status_code == 401
    assert api_client.patch(ME, {"full_name": "x"}).status_code == 401


def test_me_patch_saves_the_profile_and_moves_the_next_digest(token_client):
    user = token_client.account
    response = token_client.patch(
        ME, {"full_name": "  Ada   Lovelace ", "language": "ru", "timezone": "Asia/Tokyo"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["full_name"] == "Ada Lovelace"
    user.refresh_from_db()
    assert (user.full_name, user.language, user.timezone) == ("Ada Lovelace", "ru", "Asia/Tokyo")
    next_digest = Preferences.objects.get(user=user).next_digest_at
    local = next_digest.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (8, 0)


def test_me_patch_is_partial(token_client):
    user = token_client.account
    name = user.full_name
    assert token_client.patch(ME, {"timezone": "Europe/Berlin"}).status_code == 200
    user.refresh_from_db()
    assert (user.full_name, user.timezone) == (name, "Europe/Berlin")


def test_email_and_staff_status_are_read_only(token_client):
    user = token_client.account
    response = token_client.patch(
        ME, {"email": "new@example.com", "is_staff": True, "is_verified": False, "id": 1}
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email != "new@example.com"
    assert (user.is_staff, user.is_verified) == (False, True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": "de"}, "language"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"full_name": "x" * 151}, "full_name"),
        ({"full_name": None}, "full_name"),
    ],
)
def test_me_patch_validates(token_client, body, field):
    user = token_client.account
    before = (user.full_name, user.language, user.timezone)
    assert field in _fields(token_client.patch(ME, body))
    user.refresh_from_db()
    assert (user.full_name, user.language, user.timezone) == before


# ---------------------------------------------------------------- preferences: reading


def test_preferences_start_with_the_defaults(token_client):
    body = token_client.get(PREFERENCES).json()
    assert set(body) == PREFERENCE_FIELDS
    assert body == {
        "tracked_companies": [],
        "interested_categories": [],
        "keywords": [],
        "language": "",
        "timezone": "UTC",
        "digest_enabled": True,
        "digest_frequency": "daily",
        "digest_time": "08:00",
        "digest_days": [],
        "week_start": "monday",
        "digest_format": "detailed",
        "digest_include_summaries": True,
        "digest_mode": "tracked",
        "digest_channels": ["email"],
        "notification_frequency": "daily",
        "notify_min_priority": "medium",
    }


def test_preferences_show_what_the_web_saved(token_client):
    user = token_client.account
    openai = CompanyFactory(slug="openai")
    services.preferences_update(
        user=user,
        company_ids=[openai.pk],
        categories=["model_release"],
        keywords=["GPT-5"],
        scope="all",
    )
    body = token_client.get(PREFERENCES).json()
    assert body["tracked_companies"] == ["openai"]
    assert body["interested_categories"] == ["model_release"]
    assert body["keywords"] == ["gpt-5"]


def test_preferences_need_credentials(api_client):
    for method in (api_client.get, api_client.put, api_client.patch):
        assert method(PREFERENCES, {}).status_code == 401


# ---------------------------------------------------------------- preferences: writing


def _full(**overrides):
    body = {
        "tracked_companies": [],
        "interested_categories": ["model_release", "pricing_change"],
        "keywords": ["Claude", "  open   weights "],
        "language": "ru",
        "timezone": "America/New_York",
        "digest_enabled": True,
        "digest_frequency": "weekly",
        "digest_time": "07:30",
        "digest_days": [],
        "week_start": "sunday",
        "digest_format": "short",
        "digest_include_summaries": False,
        "digest_mode": "all",
        "digest_channels": ["email"],
        "notification_frequency": "realtime",
        "notify_min_priority": "high",
    }
    return body | overrides


def test_put_saves_everything_and_reschedules_like_the_web(token_client):
    user = token_client.account
    CompanyFactory(slug="anthropic")
    CompanyFactory(slug="mistral")
    response = token_client.put(
        PREFERENCES, _full(tracked_companies=["mistral", "anthropic", "mistral"])
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tracked_companies"] == ["anthropic", "mistral"]
    assert body["keywords"] == ["claude", "open weights"]
    assert body["digest_time"] == "07:30"

    preferences = Preferences.objects.get(user=user)
    user.refresh_from_db()
    assert (user.timezone, user.language) == ("America/New_York", "ru")
    assert preferences.categories == ["model_release", "pricing_change"]
    assert (preferences.digest_frequency, preferences.week_start) == ("weekly", "sunday")
    assert preferences.digest_time == datetime.time(7, 30)
    assert (preferences.digest_format, preferences.digest_mode) == ("short", "all")
    assert preferences.digest_include_summaries is False
    assert (preferences.notification_frequency, preferences.notify_min_priority) == (
        "realtime",
        "high",
    )
    local = preferences.next_digest_at.astimezone(ZoneInfo("America/New_York"))
    assert (local.isoweekday(), local.hour, local.minute) == (7, 7, 30)


def test_put_needs_every_field(token_client):
    body = _full()
    del body["digest_time"], body["keywords"]
    assert set(_fields(token_client.put(PREFERENCES, body))) == {"digest_time", "keywords"}


def test_put_is_saved_whole_or_not_at_all(token_client):
    user = token_client.account
    fields = _fields(token_client.put(PREFERENCES, _full(tracked_companies=["no-such-company"])))
    assert list(fields) == ["tracked_companies"]
    assert "no-such-company" in fields["tracked_companies"][0]
    preferences = Preferences.objects.get(user=user)
    user.refresh_from_db()
    assert preferences.digest_frequency == "daily"
    assert preferences.keywords == []
    assert user.language == ""


def test_patch_changes_only_what_it_names(token_client):
    user = token_client.account
    services.preferences_update_alerts(
        user=user,
        values={
            "notify_enabled": True,
            "notification_frequency": "weekly",
            "notify_min_priority": "low",
            "notify_company_alerts": False,
            "notify_keyword_alerts": True,
            "notify_category_trends": False,
        },
    )
    scheduled = services.preferences_ensure(user=user).next_digest_at
    response = token_client.patch(PREFERENCES, {"notify_min_priority": "high"})
    assert response.status_code == 200
    preferences = Preferences.objects.get(user=user)
    assert preferences.notify_min_priority == "high"
    assert preferences.notification_frequency == "weekly"
    # Alert switches the API does not expose keep their values.
    assert (preferences.notify_company_alerts, preferences.notify_category_trends) == (
        False,
        False,
    )
    assert preferences.next_digest_at == scheduled


def test_patch_keywords_keeps_the_dashboard_scope_and_companies(token_client):
    user = token_client.account
    company = CompanyFactory(slug="deepmind")
    services.preferences_update(
        user=user, company_ids=[company.pk], categories=[], keywords=[], scope="all"
    )
    assert token_client.patch(PREFERENCES, {"keywords": ["agents"]}).status_code == 200
    preferences = Preferences.objects.get(user=user)
    assert preferences.scope == "all"
    assert preferences.keywords == ["agents"]
    assert list(preferences.tracked_companies.values_list("slug", flat=True)) == ["deepmind"]


def test_patch_tracked_companies_to_empty(token_client):
    user = token_client.account
    company = CompanyFactory(slug="cohere")
    services.preferences_update(
        user=user, company_ids=[company.pk], categories=[], keywords=[], scope="tracked"
    )
    body = token_client.patch(PREFERENCES, {"tracked_companies": []}).json()
    assert body["tracked_companies"] == []
    assert not Preferences.objects.get(user=user).tracked_companies.exists()


def test_turning_digests_off_clears_the_schedule(token_client):
    user = token_client.account
    services.preferences_ensure(user=user)
    assert token_client.patch(PREFERENCES, {"digest_enabled": False}).status_code == 200
    assert Preferences.objects.get(user=user).next_digest_at is None


def test_a_new_time_zone_moves_the_next_digest(token_client):
    user = token_client.account
    assert token_client.patch(PREFERENCES, {"timezone": "Asia/Kolkata"}).status_code == 200
    user.refresh_from_db()
    assert user.timezone == "Asia/Kolkata"
    local = Preferences.objects.get(user=user).next_digest_at.astimezone(ZoneInfo("Asia/Kolkata"))
    assert (local.hour, local.minute) == (8, 0)


def test_custom_days_are_iso_weekdays(token_client):
    user = token_client.account
    response = token_client.patch(
        PREFERENCES,
        {"digest_frequency": "custom", "digest_days": [7, 3, 3], "timezone": "Europe/Berlin"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["digest_days"] == [3, 7]
    preferences = Preferences.objects.get(user=user)
    assert preferences.digest_days == [3, 7]
    local = preferences.next_digest_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert local.isoweekday() in {3, 7}


def test_telegram_needs_a_linked_account(token_client):
    user = token_client.account
    fields = _fields(token_client.patch(PREFERENCES, {"digest_channels": ["telegram"]}))
    assert "Telegram" in fields["digest_channels"][0]
    TelegramLink.objects.create(user=user, telegram_user_id=77, chat_id=77)
    response = token_client.patch(PREFERENCES, {"digest_channels": ["telegram", "email"]})
    assert response.status_code == 200
    assert Preferences.objects.get(user=user).digest_channels == ["telegram", "email"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tracked_companies": ["not a slug!"]}, "tracked_companies"),
        ({"tracked_companies": "openai"}, "tracked_companies"),
        ({"interested_categories": ["gossip"]}, "interested_categories"),
        ({"keywords": ["a, b"]}, "keywords"),
        ({"keywords": ["x" * 61]}, "keywords"),
        ({"keywords": [f"word{number}" for number in range(51)]}, "keywords"),
        ({"keywords": [None]}, "keywords"),
        ({"language": "fr"}, "language"),
        ({"timezone": "Nowhere/City"}, "timezone"),
        ({"digest_enabled": "perhaps"}, "digest_enabled"),
        ({"digest_frequency": "hourly"}, "digest_frequency"),
        ({"digest_time": "25:00"}, "digest_time"),
        ({"digest_time": "7.30"}, "digest_time"),
        ({"digest_time": 730}, "digest_time"),
        ({"digest_days": [0]}, "digest_days"),
        ({"digest_days": [8]}, "digest_days"),
        ({"digest_days": ["monday"]}, "digest_days"),
        ({"digest_frequency": "custom", "digest_days": []}, "digest_days"),
        ({"week_start": "friday"}, "week_start"),
        ({"digest_format": "long"}, "digest_format"),
        ({"digest_mode": "some"}, "digest_mode"),
        ({"digest_channels": ["pigeon"]}, "digest_channels"),
        ({"notification_frequency": "hourly"}, "notification_frequency"),
        ({"notify_min_priority": "critical"}, "notify_min_priority"),
    ],
)
def test_invalid_preferences_are_refused_and_nothing_changes(token_client, body, field):
    user = token_client.account
    before = token_client.get(PREFERENCES).json()
    assert field in _fields(token_client.patch(PREFERENCES, body))
    assert token_client.get(PREFERENCES).json() == before
    user.refresh_from_db()
    assert user.language == ""


def test_keywords_are_deduplicated_like_the_web(token_client):
    keywords = [f"Word{number}" for number in range(50)] + ["word0", "WORD1"]
    response = token_client.patch(PREFERENCES, {"keywords": keywords})
    assert response.status_code == 200, response.content
    assert response.json()["keywords"] == [f"word{number}" for number in range(50)]


def test_each_user_changes_only_their_own_preferences(make_token_client):
    first, second = UserFactory(), UserFactory()
    make_token_client(first).patch(PREFERENCES, {"keywords": ["mine"], "timezone": "Asia/Tokyo"})
    assert make_token_client(second).get(PREFERENCES).json()["keywords"] == []
    assert User.objects.get(pk=second.pk).timezone == "UTC"
    assert Preferences.objects.get(user=first).keywords == ["mine"]
