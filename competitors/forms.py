"""Forms of the companies pages: search, follow toggle and the add-competitor wizard."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from competitors.discovery import DiscoveryPreview

PREVIEW_SALT = "competitors.forms.preview"
PREVIEW_MAX_AGE_SECONDS = 60 * 60
BAD_PREVIEW = _("The preview expired or was altered; please scan the website again.")


class CompanySearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search companies"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class FollowForm(forms.Form):
    """Sets (not toggles) the follow state, so a repeated or replayed POST is harmless."""

    value = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")


class DiscoverForm(forms.Form):
    url = forms.URLField(
        label=_("Website address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("The company's homepage, for example https://acme.com"),
        widget=forms.URLInput(attrs={"autocomplete": "url", "inputmode": "url"}),
    )


def sign_preview(preview: DiscoveryPreview) -> str:
    return signing.dumps(preview.to_dict(), salt=PREVIEW_SALT, compress=True)


class ConfirmPreviewForm(forms.Form):
    """The previewed company travels signed and time-limited: what is created is what
    was shown, and a forged or edited preview is refused."""

    preview = forms.CharField(widget=forms.HiddenInput)

    def clean_preview(self) -> DiscoveryPreview:
        try:
            data: Any = signing.loads(
                self.cleaned_data["preview"], salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE_SECONDS
            )
            return DiscoveryPreview.from_dict(data)
        except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
            raise forms.ValidationError(BAD_PREVIEW, code="bad_preview") from error
