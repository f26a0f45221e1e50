"""Forms of the news pages: the list filters and the read/favourite toggles.

The filter form never rejects a request: query strings come from bookmarks, shared
links and hand-edited URLs, so an invalid value is dropped and the rest still apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils.choices import BaseChoiceIterator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from competitors.models import Company, Source
from news.categories import OTHER_LABEL, Category, category_emoji
from news.listing import OTHER_CATEGORY, NewsFilters, PriorityFilter

MAX_QUERY_LENGTH = 200
# Dates outside this range are typos, and near the ends of what datetime holds a
# time-zone shift would overflow.
EARLIEST_DATE = date(1990, 1, 1)
LATEST_DATE = date(2200, 12, 31)
TRUE_VALUES = frozenset({"1", "true", "on", "yes"})
PRIORITY_LEVELS: dict[str, PriorityFilter] = {"high": "high", "medium": "medium", "low": "low"}


class FlagInput(forms.CheckboxInput):
    """A checkbox submitting "1"; only "1"/"true"/"on"/"yes" count as checked.

    Django's CheckboxInput treats any other non-empty string, "0" included, as checked.
    """

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"value": "1", **(attrs or {})})

    def value_from_datadict(self, data: Any, files: Any, name: str) -> bool:
        value = data.get(name)
        return isinstance(value, str) and value.strip().lower() in TRUE_VALUES


class LenientMultipleChoiceField(forms.MultipleChoiceField):
    """Keeps the valid choices of a multi-value parameter and drops the others."""

    def clean(self, value: Any) -> list[str]:
        values = self.to_python(value)
        kept: list[str] = []
        for candidate in values:
            if self.valid_value(candidate) and candidate not in kept:
                kept.append(candidate)
        return kept


# Built once, with lazy labels that take the language of each request when shown:
# choices given as a callable are worked out again every time a field is copied,
# cleaned or rendered, several times a page.
CATEGORY_CHOICES: list[tuple[str, StrOrPromise]] = [
    *(
        (value, format_lazy("{} {}", category_emoji(value), label))
        for value, label in Category.choices
    ),
    (OTHER_CATEGORY, format_lazy("{} {}", category_emoji(""), OTHER_LABEL)),
]


class _PlainChoices(BaseChoiceIterator):
    """(value, label) string pairs, already in the shape fields want: Django
    passes a choice iterator through as it is, where it would rebuild a plain list
    pair by pair on every form (a pair per company)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.pairs = list(pairs)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.pairs)


@dataclass(frozen=True)
class FilterChip:
    """An active filter and the query string of the same list without it."""

    label: StrOrPromise
    remove_query: str


class NewsFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "maxlength": MAX_QUERY_LENGTH, "autocomplete": "off"}
        ),
    )
    company = LenientMultipleChoiceField(label=_("Company"), required=False)
    category = LenientMultipleChoiceField(
        label=_("Category"), required=False, choices=CATEGORY_CHOICES
    )
    source_type = LenientMultipleChoiceField(
        label=_("Source type"),
        required=False,
        choices=Source.SourceType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        required=False,
        choices=[
            ("", _("Any priority")),
            ("high", _("High")),
            ("medium", _("Medium")),
            ("low", _("Low")),
        ],
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    tracked = forms.BooleanField(label=_("Only my companies"), required=False, widget=FlagInput)
    hide_read = forms.BooleanField(label=_("Hide read"), required=False, widget=FlagInput)

    # Filters a page fixes (the category page) or an anonymous visitor cannot use.
    def __init__(self, *args: Any, exclude: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in exclude:
            del self.fields[name]
        company_field = self.fields.get("company")
        if isinstance(company_field, forms.MultipleChoiceField):
            company_field.choices = _PlainChoices(
                Company.objects.order_by("name").values_list("slug", "name")
            )

    def clean_q(self) -> str:
        return " ".join(str(self.cleaned_data.get("q") or "").split())[:MAX_QUERY_LENGTH]

    def _clean_date(self, name: str) -> date | None:
        value: date | None = self.cleaned_data.get(name)
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValidationError(_("Enter a date between 1990 and 2200."), code="out_of_range")
        return value

    def clean_since(self) -> date | None:
        return self._clean_date("since")

    def clean_until(self) -> date | None:
        return self._clean_date("until")

    def filters(self) -> NewsFilters:
        """The valid filters; an invalid field counts as not given."""
        if not hasattr(self, "cleaned_data"):
            self.full_clean()
        # An unbound form has no cleaned_data at all: no filters.
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        return NewsFilters(
            q=data.get("q") or "",
            companies=tuple(data.get("company") or ()),
            categories=tuple(data.get("category") or ()),
            source_types=tuple(data.get("source_type") or ()),
            priority=PRIORITY_LEVELS.get(data.get("priority") or "", ""),
            since=data.get("since"),
            until=data.get("until"),
            tracked=bool(data.get("tracked")),
            hide_read=bool(data.get("hide_read")),
        )

    def query_pairs(self) -> list[tuple[str, str]]:
        """The valid filters as query parameters, in field order (no cursor)."""
        filters = self.filters()
        pairs: list[tuple[str, str]] = []
        if filters.q:
            pairs.append(("q", filters.q))
        pairs += [("company", slug) for slug in filters.companies]
        pairs += [("category", value) for value in filters.categories]
        pairs += [("source_type", value) for value in filters.source_types]
        if filters.priority:
            pairs.append(("priority", filters.priority))
        if filters.since:
            pairs.append(("since", filters.since.isoformat()))
        if filters.until:
            pairs.append(("until", filters.until.isoformat()))
        if filters.tracked and "tracked" in self.fields:
            pairs.append(("tracked", "1"))
        if filters.hide_read and "hide_read" in self.fields:
            pairs.append(("hide_read", "1"))
        return pairs

    def chips(self) -> list[FilterChip]:
        """One chip per active filter, each linking to the list without it."""
        pairs = self.query_pairs()
        return [
            FilterChip(
                label=self._chip_label(name, value),
                remove_query=urlencode([pair for pair in pairs if pair != (name, value)]),
            )
            for name, value in pairs
        ]

    def _chip_label(self, name: str, value: str) -> StrOrPromise:
        field = self.fields[name]
        if name == "q":
            return _("Search: “%(query)s”") % {"query": value}
        if name in ("tracked", "hide_read"):
            return field.label or name
        if name in ("since", "until"):
            return f"{field.label}: {value}"
        if isinstance(field, forms.ChoiceField):
            return f"{field.label}: {_choice_label(field, value)}"
        return value


def _choice_label(field: forms.ChoiceField, value: str) -> StrOrPromise:
    # The stubs type ChoiceField.choices as every form a declaration may take; once
    # the field is built it is a flat or grouped list of pairs.
    choices: Iterable[tuple[object, object]] = getattr(field, "choices", ())
    for key, label in choices:
        if str(key) == value and not isinstance(label, list | tuple):
            return str(label)
    return value


class StateToggleForm(forms.Form):
    """Sets one flag of an item; "value" is the new state, so a repeat changes nothing."""

    value = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1"
    )
    next = forms.CharField(required=False, max_length=2000)
