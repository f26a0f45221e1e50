"""Forms of the settings page. None of them takes a user id: the view binds each to
``request.user``, so a submitted form can only ever change its own account."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Preferences, User, available_timezone_names, validate_timezone_name
from accounts.selectors import user_get_by_email
from competitors.models import Company
from news.categories import Category

MAX_KEYWORDS = 50
MAX_KEYWORD_LENGTH = 60
# Generous: 50 keywords of 60 characters plus separators fit comfortably.
MAX_KEYWORDS_TEXT = 5000

# The continents and oceans of IANA's canonical zone names. Other names
# ("US/Eastern", "Etc/GMT+3", "Japan") are legacy aliases: accepted, not offered.
TIMEZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)

TimezoneChoices = list[tuple[str, str] | tuple[str, list[tuple[str, str]]]]


@functools.cache
def _offered_timezones() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in TIMEZONE_REGIONS}
    for name in sorted(available_timezone_names()):
        region, _slash, place = name.partition("/")
        if region in groups and place:
            groups[region].append((name, place.replace("_", " ").replace("/", " / ")))
    return tuple((region, tuple(zones)) for region, zones in groups.items() if zones)


def timezone_choices(*, current: str = "") -> TimezoneChoices:
    """UTC first, then zones grouped by region; `current` is kept even when it is an alias."""
    choices: TimezoneChoices = [("UTC", "UTC")]
    offered = {"UTC"}
    for region, zones in _offered_timezones():
        choices.append((region, list(zones)))
        offered.update(name for name, _label in zones)
    if current and current not in offered and current in available_timezone_names():
        choices.insert(1, (current, current))
    return choices


# Longer digit strings are no primary key, and int() refuses 4,300 digits or more.
MAX_ID_DIGITS = 18


def ids_from_strings(values: Iterable[str]) -> set[int]:
    """The values that are plausible primary keys, as integers; junk is dropped."""
    return {
        int(value)
        for value in values
        if value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS
    }


class ProfileSettingsForm(forms.Form):
    """Name, email, language and time zone of ``user``.

    A plain form rather than a ModelForm: a ModelForm writes submitted values onto
    the instance while validating, and the instance here is ``request.user``, which
    the rest of the page (the header) goes on rendering.
    """

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("If you change it, we send a confirmation link to the new address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=User.Language.choices, required=False)
    # No max_length: a <select> takes no maxlength, and the validator accepts only
    # known zone names anyway.
    timezone = forms.CharField(
        label=_("Time zone"),
        validators=[validate_timezone_name],
        help_text=_("Dates are shown, and digests scheduled, in this time zone."),
        widget=forms.Select(),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "full_name": user.full_name,
                "email": user.email,
                "language": user.language,
                "timezone": user.timezone or "UTC",
            },
        )
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["timezone"].widget.choices = timezone_choices(current=user.timezone)

    def clean_full_name(self) -> str:
        return " ".join(str(self.cleaned_data["full_name"]).split())

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        owner = user_get_by_email(email=email)
        if owner is not None and owner.pk != self.user.pk:
            raise forms.ValidationError(
                _("Another account already uses this email address."), code="duplicate"
            )
        return email

    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        help_text=_("Needed only when you change your email address."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The address is where password resets go: whoever changes it must know the
        # password, or a borrowed session would be enough to take the account.
        if self.email_changed and not self.user.check_password(
            cleaned.get("current_password") or ""
        ):
            self.add_error(
                "current_password",
                forms.ValidationError(
                    _("Enter your current password to change your email address."),
                    code="password_required",
                ),
            )
        return cleaned

    @property
    def email_changed(self) -> bool:
        return (
            bool(self.cleaned_data.get("email")) and self.cleaned_data["email"] != self.user.email
        )


def split_keywords(text: str) -> list[str]:
    """Keywords from one-per-line or comma-separated text, whitespace collapsed,
    duplicates (ignoring case) dropped."""
    seen: dict[str, str] = {}
    for part in re.split(r"[,\n\r]+", text):
        keyword = " ".join(part.split())
        if keyword:
            seen.setdefault(keyword.lower(), keyword)
    return list(seen.values())


class PreferencesForm(forms.Form):
    companies = forms.ModelMultipleChoiceField(
        label=_("Tracked companies"),
        queryset=Company.objects.all(),
        required=False,
        error_messages={
            "invalid_choice": _("One of the selected companies does not exist any more."),
            "invalid_pk_value": _("One of the selected companies does not exist."),
        },
    )
    categories = forms.MultipleChoiceField(
        label=_("Interested categories"),
        choices=Category.choices,
        required=False,
        help_text=_("Leave all unchecked to follow every category."),
        error_messages={"invalid_choice": _("“%(value)s” is not a category.")},
    )
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=MAX_KEYWORDS_TEXT,
        help_text=_(
            "One per line, or separated by commas. Up to 50 keywords of at most 60 characters."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    scope = forms.ChoiceField(
        label=_("Dashboard shows"),
        choices=Preferences.Scope.choices,
        widget=forms.RadioSelect,
    )

    @classmethod
    def initial_for(cls, preferences: Preferences | None, company_ids: set[int]) -> dict[str, Any]:
        if preferences is None:
            return {"companies": [], "categories": [], "keywords": "", "scope": "tracked"}
        return {
            "companies": sorted(company_ids),
            "categories": list(preferences.categories),
            "keywords": "\n".join(preferences.keywords),
            "scope": preferences.scope,
        }

    def clean_keywords(self) -> list[str]:
        keywords = split_keywords(self.cleaned_data["keywords"])
        too_long = [keyword for keyword in keywords if len(keyword) > MAX_KEYWORD_LENGTH]
        if too_long:
            shown = too_long[0] if len(too_long[0]) <= 80 else too_long[0][:77] + "…"
            raise forms.ValidationError(
                ngettext(
                    "Keywords can be at most %(limit)d characters long; "
                    "this one is longer: “%(keyword)s”.",
                    "Keywords can be at most %(limit)d characters long; "
                    "%(count)d are longer, such as “%(keyword)s”.",
                    len(too_long),
                )
                % {"limit": MAX_KEYWORD_LENGTH, "count": len(too_long), "keyword": shown},
                code="keyword_too_long",
            )
        if len(keywords) > MAX_KEYWORDS:
            raise forms.ValidationError(
                _("You can follow up to %(limit)d keywords; you entered %(count)d.")
                % {"limit": MAX_KEYWORDS, "count": len(keywords)},
                code="too_many_keywords",
            )
        return keywords

    def selected_company_ids(self) -> set[int]:
        """The companies to show as checked: the submitted ones when bound (junk
        dropped), otherwise the initial ones."""
        if self.is_bound:
            return ids_from_strings(self._submitted_list("companies"))
        return {int(value) for value in self.initial.get("companies", [])}

    def selected_categories(self) -> set[str]:
        if self.is_bound:
            return set(self._submitted_list("categories"))
        return set(self.initial.get("categories", []))

    def _submitted_list(self, name: str) -> list[str]:
        key = self.add_prefix(name)
        if isinstance(self.data, QueryDict):
            return self.data.getlist(key)
        value = self.data.get(key, [])
        return [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=4096,
        help_text=_("Type your password to confirm that you want to delete your account."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That is not your password. Your account was not deleted."),
                code="password_incorrect",
            )
        return password
