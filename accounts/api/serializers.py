"""Serializers of the accounts API: sign-up, tokens, the account and its preferences.

The preferences serializer validates with the settings page's own forms, so the API
accepts exactly what the web accepts, and writes through the same services.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api_token_forms import MAX_TOKEN_DAYS
from accounts.digest_settings_forms import AlertSettingsForm, DigestSettingsForm
from accounts.models import (
    ApiToken,
    DigestChannel,
    DigestFormat,
    DigestFrequency,
    NotificationFrequency,
    NotifyPriority,
    Preferences,
    User,
    WeekStart,
    validate_timezone_name,
)
from accounts.selectors import user_get_by_email
from accounts.settings_forms import PreferencesForm
from competitors.models import Company
from news.categories import Category

MAX_TRACKED_COMPANIES = 500
# Raw list length; the web form's limit (50 distinct keywords) applies after de-duplication.
MAX_KEYWORD_ITEMS = 200
# A keyword may be long only to be refused with the form's message, not to fill memory.
MAX_KEYWORD_ITEM_LENGTH = 1000
EMAIL_UNAVAILABLE = _("This email address cannot be used to register.")


class AccountSerializer(serializers.ModelSerializer[User]):
    """The signed-in account. The email address is read-only here: changing it needs
    the current password and a confirmation link, which the settings page handles."""

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "language",
            "timezone",
            "is_verified",
            "is_staff",
            "date_joined",
        ]
        read_only_fields = ["id", "email", "is_verified", "is_staff", "date_joined"]

    def validate_full_name(self, value: str) -> str:
        return " ".join(value.split())


class RegisterSerializer(serializers.Serializer[None]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")

    def validate_email(self, value: str) -> str:
        email = User.objects.normalize_email(value).lower()
        # Neutral wording: the answer must not read as "this person has an account".
        if user_get_by_email(email=email) is not None:
            raise serializers.ValidationError(EMAIL_UNAVAILABLE, code="unavailable")
        return email

    def validate_full_name(self, value: str) -> str:
        return " ".join(value.split())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The validators compare the password with the email and name, so they see
        # an unsaved user carrying both.
        candidate = User(email=attrs["email"], full_name=attrs.get("full_name", ""))
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class TokenExpiryMixin(serializers.Serializer[None]):
    """An optional expiry, as a moment or as a number of days from now (not both)."""

    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("When the token stops working. Omit for a token that does not expire."),
    )
    expires_in_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        write_only=True,
        help_text=_("Instead of expires_at: the token stops working this many days from now."),
    )

    def validate_expires_at(self, value: datetime.datetime | None) -> datetime.datetime | None:
        if value is None:
            return None
        now = timezone.now()
        if value <= now:
            raise serializers.ValidationError(_("Choose a moment in the future."), code="past")
        if value > now + datetime.timedelta(days=MAX_TOKEN_DAYS):
            raise serializers.ValidationError(
                _("A token can be valid for at most %(days)d days.") % {"days": MAX_TOKEN_DAYS},
                code="too_far",
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        days = attrs.pop("expires_in_days", None)
        if days is not None:
            if attrs.get("expires_at") is not None:
                raise serializers.ValidationError(
                    {"expires_in_days": [_("Give expires_at or expires_in_days, not both.")]},
                    code="conflict",
                )
            attrs["expires_at"] = timezone.now() + datetime.timedelta(days=days)
        attrs.setdefault("expires_at", None)
        return attrs


class TokenCreateSerializer(TokenExpiryMixin):
    name = serializers.CharField(max_length=100, help_text=_("What the token is for."))


class TokenObtainSerializer(TokenCreateSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    """A token as its owner sees it later: never the secret, never its hash."""

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at"]
        read_only_fields = fields


class IssuedTokenSerializer(serializers.Serializer[dict[str, Any]]):
    """A token just created, with its secret: the only time the secret is shown."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    token = serializers.CharField(
        help_text=_("Send it as `Authorization: Bearer <token>`. It is not shown again.")
    )


# ---------------------------------------------------------------- preferences


@extend_schema_field(
    {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "08:00"}
)
class HourMinuteField(serializers.TimeField):
    """A time of day as "HH:MM"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)


# API field name -> the name of the same field in the settings page's form.
PREFERENCE_FORM_FIELDS = {
    "tracked_companies": "companies",
    "interested_categories": "categories",
    "keywords": "keywords",
}
DIGEST_FORM_FIELDS = {
    name: name
    for name in (
        "digest_enabled",
        "digest_frequency",
        "digest_time",
        "digest_days",
        "timezone",
        "week_start",
        "digest_format",
        "digest_include_summaries",
        "digest_mode",
        "digest_channels",
    )
}
ALERT_FORM_FIELDS = {name: name for name in ("notification_frequency", "notify_min_priority")}


def preferences_state(*, user: User, preferences: Preferences) -> dict[str, Any]:
    """The preferences as the API names them: what GET answers, and what a PATCH
    completes the request from before the forms validate it."""
    return {
        "tracked_companies": sorted(
            preferences.tracked_companies.order_by().values_list("slug", flat=True)
        ),
        "interested_categories": list(preferences.categories),
        "keywords": list(preferences.keywords),
        "language": user.language,
        "timezone": user.timezone,
        "digest_enabled": preferences.digest_enabled,
        "digest_frequency": preferences.digest_frequency,
        "digest_time": preferences.digest_time,
        "digest_days": list(preferences.digest_days),
        "week_start": preferences.week_start,
        "digest_format": preferences.digest_format,
        "digest_include_summaries": preferences.digest_include_summaries,
        "digest_mode": preferences.digest_mode,
        "digest_channels": list(preferences.digest_channels),
        "notification_frequency": preferences.notification_frequency,
        "notify_min_priority": preferences.notify_min_priority,
    }


class PreferencesSerializer(serializers.Serializer[dict[str, Any]]):
    """What you follow, and when and how you hear about it."""

    # Needs context["user"], context["preferences"] and context["telegram_linked"].
    # After validation, validated_data holds one entry per section the request
    # touched ("preferences", "digests", "alerts", "language"), ready for its service.

    tracked_companies = serializers.ListField(
        child=serializers.SlugField(max_length=120),
        max_length=MAX_TRACKED_COMPANIES,
        help_text=_("Slugs of the companies you follow."),
    )
    interested_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices),
        max_length=len(Category.choices),
        help_text=_("News categories you follow; empty means every category."),
    )
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=MAX_KEYWORD_ITEM_LENGTH),
        max_length=MAX_KEYWORD_ITEMS,
        help_text=_("Up to 50 words or phrases of at most 60 characters; stored lower-cased."),
    )
    language = serializers.ChoiceField(choices=User.Language.choices, allow_blank=True)
    timezone = serializers.CharField(
        max_length=64,
        validators=[validate_timezone_name],
        help_text=_("An IANA time zone name, such as Europe/Berlin."),
    )
    digest_enabled = serializers.BooleanField()
    digest_frequency = serializers.ChoiceField(choices=DigestFrequency.choices)
    digest_time = HourMinuteField(help_text=_("Delivery time in your time zone."))
    digest_days = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        max_length=7,
        help_text=_("ISO weekdays (1 = Monday … 7 = Sunday) for the custom frequency."),
    )
    week_start = serializers.ChoiceField(choices=WeekStart.choices)
    digest_format = serializers.ChoiceField(choices=DigestFormat.choices)
    digest_include_summaries = serializers.BooleanField()
    digest_mode = serializers.ChoiceField(choices=Preferences.Scope.choices)
    digest_channels = serializers.ListField(
        child=serializers.ChoiceField(choices=DigestChannel.choices),
        max_length=len(DigestChannel.choices),
        help_text=_("Where digests go besides the web; telegram needs a linked account."),
    )
    notification_frequency = serializers.ChoiceField(choices=NotificationFrequency.choices)
    notify_min_priority = serializers.ChoiceField(choices=NotifyPriority.choices)

    def validate_keywords(self, value: list[str]) -> list[str]:
        # The web form splits its text at commas and line breaks, so a keyword
        # can contain neither; the API refuses them rather than split silently.
        for keyword in value:
            if any(separator in keyword for separator in ",\n\r"):
                raise serializers.ValidationError(
                    _("A keyword cannot contain commas or line breaks."), code="separator"
                )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user: User = self.context["user"]
        preferences: Preferences = self.context["preferences"]
        merged = preferences_state(user=user, preferences=preferences) | attrs
        errors: dict[str, list[str]] = {}
        sections: dict[str, Any] = {}

        if attrs.keys() & PREFERENCE_FORM_FIELDS.keys():
            sections["preferences"] = self._check_preferences(merged, preferences, errors)
        if attrs.keys() & DIGEST_FORM_FIELDS.keys():
            form = DigestSettingsForm(
                _form_data(merged, DIGEST_FORM_FIELDS),
                telegram_linked=self.context["telegram_linked"],
            )
            sections["digests"] = _run_form(form, DIGEST_FORM_FIELDS, errors)
        if attrs.keys() & ALERT_FORM_FIELDS.keys():
            # The alert switches the API does not expose keep their stored values.
            data = {name: getattr(preferences, name) for name in AlertSettingsForm.FIELDS}
            data |= _form_data(merged, ALERT_FORM_FIELDS)
            sections["alerts"] = _run_form(AlertSettingsForm(data), ALERT_FORM_FIELDS, errors)
        if "language" in attrs:
            sections["language"] = attrs["language"]

        if errors:
            raise serializers.ValidationError(errors)
        return sections

    def _check_preferences(
        self, merged: dict[str, Any], preferences: Preferences, errors: dict[str, list[str]]
    ) -> dict[str, Any] | None:
        slugs = set(merged["tracked_companies"])
        ids_by_slug = dict(
            Company.objects.filter(slug__in=slugs).order_by().values_list("slug", "pk")
        )
        unknown = sorted(slugs - ids_by_slug.keys())
        if unknown:
            errors["tracked_companies"] = [
                str(_("No company has the slug “%(slug)s”.") % {"slug": slug}) for slug in unknown
            ]
            return None
        form = PreferencesForm(
            {
                "companies": [str(pk) for pk in ids_by_slug.values()],
                "categories": merged["interested_categories"],
                "keywords": "\n".join(merged["keywords"]),
                # The dashboard's scope is not part of the API: it keeps its value.
                "scope": preferences.scope,
            }
        )
        cleaned = _run_form(form, PREFERENCE_FORM_FIELDS, errors)
        if cleaned is None:
            return None
        return {
            "company_ids": [company.pk for company in cleaned["companies"]],
            "categories": cleaned["categories"],
            "keywords": cleaned["keywords"],
            "scope": cleaned["scope"],
        }


def _form_data(values: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {form_name: values[api_name] for api_name, form_name in names.items()}


def _run_form(
    form: forms.Form, names: Mapping[str, str], errors: dict[str, list[str]]
) -> dict[str, Any] | None:
    """The form's cleaned data, or None with its errors added under the API's names."""
    if form.is_valid():
        return form.cleaned_data
    api_names = {form_name: api_name for api_name, form_name in names.items()}
    for form_name, messages in form.errors.items():
        api_name = api_names.get(form_name, "non_field_errors")
        errors.setdefault(api_name, []).extend(_strings(messages))
    return None


def _strings(messages: Iterable[Any]) -> list[str]:
    return [str(message) for message in messages]
