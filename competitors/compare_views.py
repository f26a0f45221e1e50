"""The comparison pages: 2 to 5 companies side by side over a period, its themes and
printable version, and the user's saved comparisons (exports: compare_exports.py).

Comparing is as public as the companies pages are; saving needs an account, and
every saved comparison is read and deleted through request.user, so another user's
id answers 404 exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import User
from accounts.selectors import signed_in_account
from competitors import selectors, services
from competitors.activity import (
    DEFAULT_PERIOD_DAYS,
    CompanyActivity,
    Comparison,
    Period,
    TopItem,
    comparison_build,
)
from competitors.charts import CategoryBadge, category_badge
from competitors.compare_forms import CompareForm, SaveComparisonForm
from competitors.comparison_charts import (
    Heatmap,
    LineChart,
    activity_lines,
    category_heatmap,
)
from competitors.models import Company, SavedComparison
from competitors.themes import Theme, themes_cached
from config.htmx import HtmxHttpRequest, login_redirect, render_htmx, wants_fragment

COMPARE_TEMPLATE = "competitors/compare.html"
# Past two months a daily line is a comb; weeks read better.
WEEKLY_AFTER_DAYS = 60


def _compare_url(pairs: list[tuple[str, str]]) -> str:
    return f"{reverse('competitors:compare')}?{urlencode(pairs)}"


# ---------------------------------------------------------------- the comparison


@dataclass(frozen=True)
class CompanyColumn:
    activity: CompanyActivity
    series_class: str
    top_items: list[tuple[TopItem, CategoryBadge]]


@dataclass(frozen=True)
class SharedTheme:
    theme: Theme
    companies: list[tuple[Company, int]]  # those with the theme, by count desc


@dataclass(frozen=True)
class UniqueThemes:
    company: Company
    themes: list[Theme]


@dataclass(frozen=True)
class ComparisonView:
    comparison: Comparison
    columns: list[CompanyColumn]
    chart: LineChart
    weekly: bool
    heatmap: Heatmap
    # Read by a second request from the page (compare_themes); the print page has
    # them at once. None until read.
    shared_themes: list[SharedTheme] | None
    unique_themes: list[UniqueThemes] | None

    @property
    def period(self) -> Period:
        return self.comparison.period


def _comparison_view(form: CompareForm, *, with_themes: bool) -> ComparisonView:
    companies: list[Company] = form.cleaned_data["companies"]
    period = form.period()
    comparison = comparison_build(companies=companies, period=period)
    weekly = period.days > WEEKLY_AFTER_DAYS
    activities = comparison.activities
    chart = activity_lines(
        [(a.company.slug, a.company.name, a.weekly if weekly else a.daily) for a in activities]
    )
    shared, unique = _themes(companies, period) if with_themes else (None, None)
    return ComparisonView(
        comparison=comparison,
        columns=[
            CompanyColumn(
                activity=activity,
                series_class=series.css_class,
                top_items=[(item, category_badge(item.category)) for item in activity.top_items],
            )
            for activity, series in zip(activities, chart.series, strict=True)
        ],
        chart=chart,
        weekly=weekly,
        heatmap=category_heatmap([(a.company.name, a.categories) for a in activities]),
        shared_themes=shared,
        unique_themes=unique,
    )


def _themes(
    companies: list[Company], period: Period
) -> tuple[list[SharedTheme], list[UniqueThemes]]:
    themes = themes_cached(companies=companies, period=period)
    by_slug = {company.slug: company for company in companies}
    shared = [
        SharedTheme(
            theme,
            [(by_slug[slug], count) for slug, count in theme.counts.items() if slug in by_slug],
        )
        for theme in themes.shared
    ]
    unique = [
        UniqueThemes(company, themes.unique[company.slug])
        for company in companies
        if themes.unique.get(company.slug)
    ]
    return shared, unique


def _compare_form(request: HttpRequest) -> CompareForm:
    params = request.GET
    if not params:
        return CompareForm(initial={"days": DEFAULT_PERIOD_DAYS})
    slugs = params.getlist("companies")
    if set(params) == {"companies"} and len(slugs) == 1:
        # "Compare with…" from a company page: that company chosen, the others are
        # the visitor's to pick, so no "choose at least 2" error yet.
        return CompareForm(initial={"companies": slugs, "days": DEFAULT_PERIOD_DAYS})
    return CompareForm(params)


def _page_context(
    request: HttpRequest,
    *,
    form: CompareForm,
    save_form: SaveComparisonForm | None = None,
    with_themes: bool = False,
) -> dict[str, Any]:
    context: dict[str, Any] = {"form": form, "view": None}
    if form.is_bound and form.is_valid():
        pairs = form.query_pairs()
        context |= {
            "view": _comparison_view(form, with_themes=with_themes),
            "query": urlencode(pairs),
            "query_pairs": pairs,
            "save_form": save_form or SaveComparisonForm(),
            "compare_url": _compare_url(pairs),
        }
    return context


@require_GET
def compare(request: HtmxHttpRequest) -> HttpResponse:
    context = _page_context(request, form=_compare_form(request))
    return render_htmx(request, COMPARE_TEMPLATE, context)


@require_GET
def compare_themes(request: HtmxHttpRequest) -> HttpResponse:
    """The themes of a comparison. The page asks for them once it is shown (they cost
    more than the rest of the comparison together); without JavaScript its link leads
    here, to the whole page with them."""
    form = CompareForm(request.GET)
    context = _page_context(request, form=form, with_themes=True)
    status = 200 if context["view"] else 400
    fragment = "themes" if context["view"] else None
    return render_htmx(request, COMPARE_TEMPLATE, context, fragment=fragment, status=status)


@require_GET
def compare_print(request: HtmxHttpRequest) -> HttpResponse:
    form = CompareForm(request.GET)
    context = _page_context(request, form=form, with_themes=True)
    status = 200 if context["view"] else 400
    return render_htmx(request, "competitors/compare_print.html", context, status=status)


# ---------------------------------------------------------------- saved comparisons


@dataclass(frozen=True)
class SavedRow:
    saved: SavedComparison
    companies: list[Company]
    open_url: str


def _saved_row(saved: SavedComparison) -> SavedRow:
    companies = list(saved.companies.all())
    pairs = [("companies", company.slug) for company in companies]
    if saved.days is not None:
        pairs.append(("days", str(saved.days)))
    elif saved.date_from and saved.date_to:
        pairs += [
            ("date_from", saved.date_from.isoformat()),
            ("date_to", saved.date_to.isoformat()),
        ]
    return SavedRow(saved, companies, _compare_url(pairs))


def _saved_list_url() -> str:
    return reverse("competitors:compare_saved")


def _service_errors(form: SaveComparisonForm, error: ValidationError) -> None:
    """The service's field errors on the form: the name's beside it, the others
    (companies, period: not fields of this form) above it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _save(request: HtmxHttpRequest, user: User) -> HttpResponse:
    form = CompareForm(request.POST)
    save_form = SaveComparisonForm(request.POST)
    if form.is_valid() and save_form.is_valid():
        try:
            services.saved_comparison_create(
                user=user,
                name=save_form.cleaned_data["name"],
                companies=form.cleaned_data["companies"],
                days=form.rolling_days,
                date_from=form.cleaned_data.get("date_from"),
                date_to=form.cleaned_data.get("date_to"),
            )
        except ValidationError as error:
            _service_errors(save_form, error)
        else:
            messages.success(
                request,
                gettext("Comparison “%(name)s” saved.") % {"name": save_form.cleaned_data["name"]},
            )
            if wants_fragment(request):
                return HttpResponseClientRedirect(_saved_list_url())
            return HttpResponseRedirect(_saved_list_url())
    if wants_fragment(request) and not form.is_valid():
        # The hidden fields no longer make a comparison (a company retired since the
        # page was shown): the page itself says what is wrong with them.
        params = [
            (name, value)
            for name in ("companies", "date_from", "date_to", "days")
            for value in request.POST.getlist(name)
        ]
        return HttpResponseClientRedirect(_compare_url(params))
    context = _page_context(request, form=form, save_form=save_form)
    if wants_fragment(request):
        # htmx swaps only successful answers: the form comes back with its errors.
        return render_htmx(request, f"{COMPARE_TEMPLATE}#save_form", context)
    return render_htmx(request, COMPARE_TEMPLATE, context, status=400)


@require_http_methods(["GET", "POST"])
def saved_comparisons(request: HtmxHttpRequest) -> HttpResponse:
    """GET lists the user's saved comparisons; POST saves the one on the page."""
    user = signed_in_account(request)
    if user is None:
        if request.method == "GET":
            return login_redirect(request, next_url=request.get_full_path())
        # Back to the comparison being saved, not to a list there is no way to fill.
        form = CompareForm(request.POST)
        next_url = (
            _compare_url(form.query_pairs()) if form.is_valid() else reverse("competitors:compare")
        )
        return login_redirect(request, next_url=next_url)
    if request.method == "POST":
        return _save(request, user)
    rows = [_saved_row(saved) for saved in selectors.saved_comparisons_for(user=user)]
    return render_htmx(request, "competitors/saved_comparisons.html", {"rows": rows})


@require_POST
def saved_comparison_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = signed_in_account(request)
    if user is None:
        return login_redirect(request, next_url=_saved_list_url())
    if not services.saved_comparison_delete(user=user, comparison_id=pk):
        raise Http404
    if wants_fragment(request):
        # An empty answer swapped over the row removes it.
        return HttpResponse()
    messages.success(request, gettext("Comparison deleted."))
    return HttpResponseRedirect(_saved_list_url())
