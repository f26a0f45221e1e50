"""The landscape page: the company-by-category matrix of competitors/landscape.py, with
a period and a scope switcher. Public, like the companies pages; visitors see all
companies, signed-in users who follow some see theirs by default."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET
from django_stubs_ext import StrOrPromise

from competitors import charts, selectors
from competitors.landscape import LANDSCAPE_DAYS, Landscape, LandscapeCell, landscape_build
from competitors.models import Company
from config.htmx import HtmxHttpRequest, render_htmx

DEFAULT_DAYS = 30
SCOPE_TRACKED = "tracked"
SCOPE_ALL = "all"
SCOPE_CHOICES: list[tuple[str, StrOrPromise]] = [
    (SCOPE_TRACKED, _("My companies")),
    (SCOPE_ALL, _("All companies")),
]


class LandscapeForm(forms.Form):
    """Both fields optional: a missing or invalid value means the default, never an error
    page, since these come from bookmarks and hand-edited URLs."""

    days = forms.TypedChoiceField(
        choices=[(str(days), str(days)) for days in LANDSCAPE_DAYS],
        coerce=int,
        required=False,
        empty_value=None,
    )
    scope = forms.ChoiceField(
        choices=SCOPE_CHOICES,
        required=False,
    )


@dataclass(frozen=True)
class Switch:
    label: StrOrPromise
    url: str
    current: bool


@dataclass(frozen=True)
class CellView:
    cell: LandscapeCell
    label: str  # "OpenAI — Model release: 12 items"
    url: str  # the matching news list, "" for an empty cell

    @property
    def css_class(self) -> str:
        return f"landscape-level-{self.cell.level}"


@dataclass(frozen=True)
class RowView:
    company: Company
    total: int
    cells: list[CellView]
    # The row's cells as HTML: 200 companies make 3,200 cells, and rendering each
    # through the template language cost more than the rest of the page together.
    cells_html: SafeString


def _cell_html(view: CellView) -> str:
    """One cell as HTML, every interpolated value escaped (html.escape is what
    django.utils.html.escape applies, without the lazy-string wrapper that made
    format_html the page's main cost)."""
    label = escape(view.label)
    if view.url:
        return (
            f'<td class="landscape-cell {view.css_class}"><a href="{escape(view.url)}"'
            f' title="{label}" aria-label="{label}">{view.cell.count:d}</a></td>'
        )
    return (
        f'<td class="landscape-cell {view.css_class}" title="{label}">'
        '<span aria-hidden="true">·</span><span class="visually-hidden">0</span></td>'
    )


def _url(**params: object) -> str:
    return f"{reverse('competitors:landscape')}?{urlencode(params)}"


def _rows(landscape: Landscape, badges: list[charts.CategoryBadge]) -> list[RowView]:
    news_list = reverse("news:list")
    since, until = landscape.period.date_from.isoformat(), landscape.period.date_to.isoformat()
    # The news list reads category=other as "uncategorised", the same items the cell
    # counts, so every category links the same way.
    column_queries = [
        urlencode({"category": badge.key, "since": since, "until": until}) for badge in badges
    ]
    labels: dict[int, str] = {}  # count -> the translated pattern for it
    category_labels = [str(badge.label) for badge in badges]
    rows = []
    for row in landscape.rows:
        company_query = urlencode({"company": row.company.slug})
        cells = []
        for cell, category, column_query in zip(
            row.cells, category_labels, column_queries, strict=True
        ):
            if cell.count not in labels:
                labels[cell.count] = ngettext(
                    "%(company)s — %(category)s: %(count)d item",
                    "%(company)s — %(category)s: %(count)d items",
                    cell.count,
                )
            label = labels[cell.count] % {
                "company": row.company.name,
                "category": category,
                "count": cell.count,
            }
            url = f"{news_list}?{company_query}&{column_query}" if cell.count else ""
            cells.append(CellView(cell, label, url))
        html = mark_safe("".join(_cell_html(view) for view in cells))  # noqa: S308 - escaped above
        rows.append(RowView(row.company, row.total, cells, html))
    return rows


@require_GET
def landscape(request: HtmxHttpRequest) -> HttpResponse:
    form = LandscapeForm(request.GET)
    form.is_valid()  # cleaned_data keeps the valid fields of an invalid form
    days: int = form.cleaned_data.get("days") or DEFAULT_DAYS
    followed = selectors.company_followed_ids(user=request.user)
    # "My companies" of someone who follows none would be an empty table: show all.
    scope = (form.cleaned_data.get("scope") or SCOPE_TRACKED) if followed else SCOPE_ALL
    companies = selectors.companies_active()
    if scope == SCOPE_TRACKED:
        companies = companies.filter(pk__in=followed)
    result = landscape_build(companies=companies, days=days)
    badges = [charts.category_badge(key) for key in result.categories]
    period_switch = [
        Switch(
            ngettext("%(days)d day", "%(days)d days", option) % {"days": option},
            _url(days=option, scope=scope),
            option == days,
        )
        for option in LANDSCAPE_DAYS
    ]
    scope_switch = (
        [
            Switch(label, _url(days=days, scope=value), value == scope)
            for value, label in SCOPE_CHOICES
        ]
        if followed
        else []
    )
    context = {
        "landscape": result,
        "columns": badges,
        "rows": _rows(result, badges),
        "days": days,
        "scope": scope,
        "tracked": scope == SCOPE_TRACKED,
        "period_switch": period_switch,
        "scope_switch": scope_switch,
    }
    return render_htmx(request, "competitors/landscape.html", context, fragment="landscape-table")
