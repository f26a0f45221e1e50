"""The digest and alert sections of the settings page."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    DigestChannel,
    DigestFormat,
    DigestFrequency,
    NotificationFrequency,
    NotifyPriority,
    Preferences,
    User,
    WeekStart,
    available_timezone_names,
    validate_timezone_name,
)

WEEKDAYS = (
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
)
# Offered first in the time zone list; any other IANA name can be typed or picked.
COMMON_TIMEZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
)


def timezone_suggestions() -> list[str]:
    """Common zones first, then every other canonical IANA name (for the datalist)."""
    common = [name for name in COMMON_TIMEZONES if name in available_timezone_names()]
    rest = sorted(
        name
        for name in available_timezone_names()
        if "/" in name and not name.startswith(("Etc/", "SystemV/")) and name not in common
    )
    return common + rest


class DigestSettingsForm(forms.Form):
    digest_enabled = forms.BooleanField(label=_("Send me digests"), required=False)
    digest_frequency = forms.ChoiceField(
        label=_("How often"), choices=DigestFrequency.choices, widget=forms.RadioSelect
    )
    digest_days = forms.TypedMultipleChoiceField(
        label=_("Days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        help_text=_("For “On chosen days”."),
        widget=forms.CheckboxSelectMultiple,
    )
    digest_time = forms.TimeField(
        label=_("Delivery time"),
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time", "step": 60}, format="%H:%M"),
    )
    timezone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        validators=[validate_timezone_name],
        help_text=_("Start typing a city, such as Berlin or New York."),
        widget=forms.TextInput(
            attrs={"list": "timezone-options", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    week_start = forms.ChoiceField(
        label=_("Weeks start on"), choices=WeekStart.choices, widget=forms.RadioSelect
    )
    digest_mode = forms.ChoiceField(
        label=_("A digest covers"), choices=Preferences.Scope.choices, widget=forms.RadioSelect
    )
    digest_format = forms.ChoiceField(
        label=_("Format"), choices=DigestFormat.choices, widget=forms.RadioSelect
    )
    digest_include_summaries = forms.BooleanField(label=_("Include summaries"), required=False)
    digest_channels = forms.MultipleChoiceField(
        label=_("Also send by"),
        choices=DigestChannel.choices,
        required=False,
        help_text=_("Every digest is always on the web, under Digests."),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, telegram_linked: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.telegram_linked = telegram_linked

    @classmethod
    def initial_for(cls, *, preferences: Preferences, user: User) -> dict[str, Any]:
        return {
            "digest_enabled": preferences.digest_enabled,
            "digest_frequency": preferences.digest_frequency,
            "digest_days": list(preferences.digest_days),
            "digest_time": preferences.digest_time,
            "timezone": user.timezone,
            "week_start": preferences.week_start,
            "digest_mode": preferences.digest_mode,
            "digest_format": preferences.digest_format,
            "digest_include_summaries": preferences.digest_include_summaries,
            "digest_channels": list(preferences.digest_channels),
        }

    def clean_digest_time(self) -> datetime.time:
        value: datetime.time = self.cleaned_data["digest_time"]
        return value.replace(second=0, microsecond=0)

    def clean_digest_channels(self) -> list[str]:
        channels: list[str] = list(self.cleaned_data["digest_channels"])
        if DigestChannel.TELEGRAM in channels and not self.telegram_linked:
            raise forms.ValidationError(
                _("Connect Telegram first (in the Telegram section), then choose it here."),
                code="telegram_not_linked",
            )
        return channels

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("digest_frequency") == DigestFrequency.CUSTOM and not cleaned.get(
            "digest_days"
        ):
            self.add_error(
                "digest_days",
                forms.ValidationError(
                    _("Choose at least one day for “On chosen days”."), code="no_days"
                ),
            )
        return cleaned


class AlertSettingsForm(forms.Form):
    notify_enabled = forms.BooleanField(label=_("Alerts on"), required=False)
    notification_frequency = forms.ChoiceField(
        label=_("Alert frequency"),
        choices=NotificationFrequency.choices,
        help_text=_("“As they happen” also sends alerts to Telegram when it is connected."),
        widget=forms.RadioSelect,
    )
    notify_min_priority = forms.ChoiceField(
        label=_("Minimum priority"), choices=NotifyPriority.choices, widget=forms.RadioSelect
    )
    notify_company_alerts = forms.BooleanField(
        label=_("News from tracked companies"), required=False
    )
    notify_keyword_alerts = forms.BooleanField(label=_("Keyword matches"), required=False)
    notify_category_trends = forms.BooleanField(
        label=_("Category trends and busy companies"), required=False
    )

    FIELDS = (
        "notify_enabled",
        "notification_frequency",
        "notify_min_priority",
        "notify_company_alerts",
        "notify_keyword_alerts",
        "notify_category_trends",
    )

    @classmethod
    def initial_for(cls, *, preferences: Preferences) -> dict[str, Any]:
        return {name: getattr(preferences, name) for name in cls.FIELDS}
