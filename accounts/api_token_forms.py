"""Forms of the API tokens page."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The longest a token may be given, here and through the API.
MAX_TOKEN_DAYS = 3650


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, such as “Dashboard sync”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        help_text=_("Leave empty for a token that works until you revoke it."),
    )

    def expires_at(self) -> datetime.datetime | None:
        days = self.cleaned_data.get("expires_in_days")
        return None if days is None else timezone.now() + datetime.timedelta(days=days)


class ApiTokenRevokeForm(forms.Form):
    token_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
