"""Forms of the comparison pages: which companies over which period, and the name
a comparison is saved under.

The same CompareForm reads the page's query string, the exports' and the hidden
fields of the save form, so all of them accept and refuse exactly the same input.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models.functions import Lower
from django.forms.renderers import BaseRenderer
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from competitors import selectors
from competitors.activity import (
    DEFAULT_PERIOD_DAYS,
    MAX_COMPARE,
    MAX_PERIOD_DAYS,
    MIN_COMPARE,
    Period,
    period_last_days,
)
from competitors.models import Company
from news.forms import EARLIEST_DATE, LATEST_DATE

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CompanySelect(forms.SelectMultiple):
    """A multiple select whose options are joined here rather than rendered one by one
    through the widget templates: with every company an option, those templates cost a
    third of the comparison page's CPU. The markup is what SelectMultiple renders."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        final_attrs["multiple"] = True
        chosen = {str(each) for each in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, " selected" if str(option) in chosen else "", label)
                for option, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


class CompareForm(forms.Form):
    companies = forms.MultipleChoiceField(
        label=_("Companies"),
        help_text=_("Choose 2 to 5 companies: hold Ctrl (⌘ on a Mac) to choose several."),
        widget=CompanySelect(attrs={"size": 8}),
        error_messages={
            "required": _("Choose 2 to 5 companies to compare."),
            "invalid_choice": _("There is no active company “%(value)s”."),
        },
    )
    date_from = forms.DateField(
        label=_("From"), required=False, input_formats=["%Y-%m-%d"], widget=DATE_INPUT
    )
    date_to = forms.DateField(
        label=_("To"), required=False, input_formats=["%Y-%m-%d"], widget=DATE_INPUT
    )
    days = forms.IntegerField(
        label=_("Or the last N days"),
        required=False,
        min_value=1,
        max_value=MAX_PERIOD_DAYS,
        help_text=_("A rolling period ending today. Leave the dates empty to use it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One query gives both the choices and the objects the cleaned slugs map to.
        active = list(selectors.companies_active().order_by(Lower("name"), "pk"))
        self.companies_by_slug: dict[str, Company] = {c.slug: c for c in active}
        field = self.fields["companies"]
        if isinstance(field, forms.MultipleChoiceField):
            field.choices = [(company.slug, company.name) for company in active]

    def clean_companies(self) -> list[Company]:
        slugs: list[str] = self.cleaned_data["companies"]
        if len(set(slugs)) != len(slugs):
            raise forms.ValidationError(_("Choose each company only once."), code="duplicate")
        if not MIN_COMPARE <= len(slugs) <= MAX_COMPARE:
            raise forms.ValidationError(
                _("Choose 2 to 5 companies to compare (you chose %(count)d).")
                % {"count": len(slugs)},
                code="count",
            )
        return [self.companies_by_slug[slug] for slug in slugs]

    def _clean_date(self, name: str) -> date | None:
        value: date | None = self.cleaned_data.get(name)
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise forms.ValidationError(
                _("Enter a date between 1990 and 2200."), code="out_of_range"
            )
        return value

    def clean_date_from(self) -> date | None:
        return self._clean_date("date_from")

    def clean_date_to(self) -> date | None:
        return self._clean_date("date_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Field errors on the dates leave them out of cleaned_data: nothing to check.
        if any(name in self.errors for name in ("date_from", "date_to", "days")):
            return data
        date_from: date | None = data.get("date_from")
        date_to: date | None = data.get("date_to")
        days: int | None = data.get("days")
        if days is not None and (date_from or date_to):
            self.add_error("days", _("Choose either the last N days or a date range, not both."))
        elif (date_from is None) != (date_to is None):
            missing = "date_to" if date_to is None else "date_from"
            self.add_error(missing, _("Enter both dates, or neither."))
        elif date_from is not None and date_to is not None:
            if date_from > date_to:
                self.add_error("date_to", _("The end date must not be before the start date."))
            elif (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
                self.add_error(
                    "date_to",
                    ngettext(
                        "The period can be at most %(days)d day long.",
                        "The period can be at most %(days)d days long.",
                        MAX_PERIOD_DAYS,
                    )
                    % {"days": MAX_PERIOD_DAYS},
                )
        return data

    @property
    def rolling_days(self) -> int | None:
        """The N of a "last N days" comparison (the default one included), or None
        for a fixed range. Valid forms only."""
        if self.cleaned_data.get("date_from") is not None:
            return None
        days: int | None = self.cleaned_data.get("days")
        return days if days is not None else DEFAULT_PERIOD_DAYS

    def period(self) -> Period:
        """The compared period in the current time zone (the user's). Valid forms only."""
        days = self.rolling_days
        if days is not None:
            return period_last_days(days=days)
        return Period(
            date_from=self.cleaned_data["date_from"],
            date_to=self.cleaned_data["date_to"],
            tz=timezone.get_current_timezone(),
        )

    def query_pairs(self) -> list[tuple[str, str]]:
        """The comparison as query parameters, for links to the same comparison
        elsewhere (exports, print page). Valid forms only."""
        pairs = [("companies", company.slug) for company in self.cleaned_data["companies"]]
        days = self.rolling_days
        if days is not None:
            return [*pairs, ("days", str(days))]
        return [
            *pairs,
            ("date_from", self.cleaned_data["date_from"].isoformat()),
            ("date_to", self.cleaned_data["date_to"].isoformat()),
        ]


class SaveComparisonForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        strip=True,
        error_messages={"required": _("Give the comparison a name.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
