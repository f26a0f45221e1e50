"""The digest and alert sections of the settings page."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import Preferences, User
from telegram_bot.models import TelegramLink

pytestmark = pytest.mark.django_db

VALID = {
    "digest_enabled": "on",
    "digest_frequency": "weekly",
    "digest_time": "07:30",
    "timezone": "America/New_York",
    "week_start": "sunday",
    "digest_mode": "all",
    "digest_format": "short",
    "digest_channels": ["email"],
}


def test_the_settings_page_shows_both_sections(auth_client) -> None:
    page = auth_client.get(reverse("settings:index")).content.decode()
    assert 'id="digests"' in page
    assert 'id="alerts"' in page
    assert 'list="timezone-options"' in page
    assert page.index('value="UTC"') < page.index('value="Africa/Abidjan"')


def test_saving_the_schedule_moves_the_next_digest_into_the_new_zone(
    auth_client, user: User
) -> None:
    response = auth_client.post(reverse("settings:digests"), VALID)
    assert response.status_code == 302
    preferences = Preferences.objects.get(user=user)
    user.refresh_from_db()
    assert user.timezone == "America/New_York"
    assert (preferences.digest_frequency, preferences.week_start) == ("weekly", "sunday")
    assert preferences.digest_time == time(7, 30)
    assert preferences.next_digest_at is not None
    local = preferences.next_digest_at.astimezone(
        __import__("zoneinfo").ZoneInfo("America/New_York")
    )
    assert (local.isoweekday(), local.hour, local.minute) == (7, 7, 30)


def test_turning_digests_off_clears_the_schedule(auth_client, user: User) -> None:
    data = {key: value for key, value in VALID.items() if key != "digest_enabled"}
    auth_client.post(reverse("settings:digests"), data)
    assert Preferences.objects.get(user=user).next_digest_at is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"digest_time": "25:99"}, "digest_time"),
        ({"digest_frequency": "custom"}, "digest_days"),
        ({"digest_channels": ["telegram"]}, "digest_channels"),
        ({"digest_channels": ["pigeon"]}, "digest_channels"),
        ({"digest_days": ["9"], "digest_frequency": "custom"}, "digest_days"),
    ],
)
def test_bad_input_is_refused_with_a_message(auth_client, user: User, change, field) -> None:
    response = auth_client.post(reverse("settings:digests"), {**VALID, **change})
    assert response.status_code == 200
    assert field in response.context["digest_form"].errors
    assert Preferences.objects.get(user=user).digest_frequency == "daily"


def test_telegram_can_be_chosen_once_linked(auth_client, user: User) -> None:
    TelegramLink.objects.create(user=user, telegram_user_id=1, chat_id=1)
    auth_client.post(reverse("settings:digests"), {**VALID, "digest_channels": ["telegram"]})
    assert Preferences.objects.get(user=user).digest_channels == ["telegram"]


def test_changing_the_zone_in_the_profile_reschedules(auth_client, user: User) -> None:
    auth_client.post(
        reverse("settings:profile"),
        {"full_name": "A", "email": user.email, "language": "", "timezone": "Asia/Tokyo"},
    )
    preferences = Preferences.objects.get(user=user)
    assert preferences.next_digest_at is not None
    local = preferences.next_digest_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (8, 0)


def test_alert_settings_are_saved(auth_client, user: User) -> None:
    response = auth_client.post(
        reverse("settings:alerts"),
        {
            "notify_enabled": "on",
            "notification_frequency": "realtime",
            "notify_min_priority": "high",
            "notify_keyword_alerts": "on",
        },
    )
    assert response.status_code == 302
    preferences = Preferences.objects.get(user=user)
    assert preferences.notification_frequency == "realtime"
    assert preferences.notify_min_priority == "high"
    assert (preferences.notify_company_alerts, preferences.notify_keyword_alerts) == (False, True)


def test_alert_settings_refuse_unknown_values(auth_client) -> None:
    response = auth_client.post(
        reverse("settings:alerts"),
        {"notification_frequency": "hourly", "notify_min_priority": "urgent"},
    )
    assert response.status_code == 200
    assert set(response.context["alert_form"].errors) == {
        "notification_frequency",
        "notify_min_priority",
    }


def test_anonymous_visitors_are_sent_to_log_in(client) -> None:
    response = client.post(reverse("settings:digests"), VALID)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
