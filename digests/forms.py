from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from digests.selectors import PREVIEW_MAX_DAYS
from news.forms import EARLIEST_DATE, LATEST_DATE


class SendNowForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("daily", _("Today's digest")), ("weekly", _("This week's digest"))]
    )


def _date_field(label: StrOrPromise) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )


class PreviewForm(forms.Form):
    """A date range in the user's time zone, both days included."""

    start = _date_field(_("From"))
    end = _date_field(_("To (included)"))

    def _in_range(self, name: str) -> date:
        value: date = self.cleaned_data[name]
        # Far-off years are typos, and the day after 9999-12-31 cannot be built.
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValidationError(_("Enter a date between 1990 and 2200."), code="out_of_range")
        return value

    def clean_start(self) -> date:
        return self._in_range("start")

    def clean_end(self) -> date:
        return self._in_range("end")

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean()
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        if isinstance(start, date) and isinstance(end, date):
            if start > end:
                self.add_error("end", _("The end date must not be before the start date."))
            elif (end - start).days + 1 > PREVIEW_MAX_DAYS:
                self.add_error(
                    "end",
                    _("A preview covers at most %(days)d days.") % {"days": PREVIEW_MAX_DAYS},
                )
        return cleaned

    def period(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in ``zone``: from midnight of the first day to midnight
        after the last one. Only for a valid form."""
        start: date = self.cleaned_data["start"]
        end: date = self.cleaned_data["end"]
        return (
            datetime.combine(start, time(), tzinfo=zone),
            datetime.combine(end + timedelta(days=1), time(), tzinfo=zone),
        )
