"""Companies pages: the list, a company's page, following, and adding a competitor by URL."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from accounts.services import company_follow_set
from competitors import charts, insights, selectors
from competitors.activity import DEFAULT_PERIOD_DAYS, company_activity, period_last_days
from competitors.discovery import (
    DiscoveryError,
    DiscoveryPreview,
    NameTakenError,
    competitor_create_from_preview,
    competitor_discover,
)
from competitors.forms import (
    BAD_PREVIEW,
    CompanySearchForm,
    ConfirmPreviewForm,
    DiscoverForm,
    FollowForm,
    sign_preview,
)
from competitors.models import Company, Source
from competitors.similarity import similar_companies
from config.htmx import HtmxHttpRequest, login_redirect, render_htmx, safe_next_url
from config.ratelimit import rate_setting
from news.classification import category_of
from news.fetching import BlockedURLError, DNSLookupError

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
TIMELINE_SIZE = 30
# The activity card's periods (days) and how many of the period's best items it lists.
ACTIVITY_PERIODS = (7, 30, 90)
ACTIVITY_TOP_ITEMS = 3
# Each scan fetches up to a dozen pages of someone else's site.
DISCOVERY_RATE = rate_setting("COMPETITOR_SCAN_RATE")


def _safe_next(request: HttpRequest, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    return safe_next_url(request, candidate=candidate, fallback=fallback)


# ---------------------------------------------------------------- list


@dataclass(frozen=True)
class CompanyRow:
    company: Company
    activity: charts.Sparkline
    following: bool


@require_GET
def company_list(request: HtmxHttpRequest) -> HttpResponse:
    form = CompanySearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.company_list(query=query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    companies = list(page.object_list)
    activity = insights.companies_daily_activity(company_ids=[c.pk for c in companies])
    followed = selectors.company_followed_ids(user=request.user)
    rows = [
        CompanyRow(company, charts.sparkline(activity[company.pk]), company.pk in followed)
        for company in companies
    ]
    context = {
        "form": form,
        "query": query,
        "page": page,
        "rows": rows,
        "next_url": request.get_full_path(),
        "activity_days": insights.ACTIVITY_DAYS,
    }
    return render_htmx(request, "competitors/company_list.html", context, fragment="results")


# ---------------------------------------------------------------- detail


@dataclass(frozen=True)
class SourceRow:
    source: Source
    health: insights.Health


@dataclass(frozen=True)
class PeriodLink:
    days: int
    url: str
    current: bool


def _activity_days(request: HttpRequest) -> int:
    raw = request.GET.get("days", "")
    return int(raw) if raw in {str(days) for days in ACTIVITY_PERIODS} else DEFAULT_PERIOD_DAYS


@require_GET
def company_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    company = get_object_or_404(selectors.companies_active(), slug=slug)
    weekly = insights.company_weekly_categories(company_id=company.pk)
    days = _activity_days(request)
    detail_url = reverse("competitors:detail", args=[company.slug])
    context = {
        "company": company,
        "following": selectors.company_is_followed(user=request.user, company=company),
        "sources": [
            SourceRow(source, insights.source_health(source))
            for source in selectors.company_sources(company=company)
        ],
        "timeline": [
            (item, charts.category_badge(item.category))
            for item in selectors.company_latest_items(company=company, limit=TIMELINE_SIZE)
        ],
        "weekly_chart": charts.stacked_bars(weekly.weeks, weekly.counts),
        "distribution": charts.category_distribution(
            insights.company_category_totals(company_id=company.pk)
        ),
        "next_url": request.get_full_path(),
        "chart_weeks": insights.CHART_WEEKS,
        "activity": company_activity(
            company=company, period=period_last_days(days=days), top=ACTIVITY_TOP_ITEMS
        ),
        "activity_periods": [
            PeriodLink(option, f"{detail_url}?days={option}#activity-score-title", option == days)
            for option in ACTIVITY_PERIODS
        ],
        "similar": similar_companies(company=company, limit=5),
    }
    return render_htmx(request, "competitors/company_detail.html", context)


# ---------------------------------------------------------------- follow


@require_POST
def company_follow(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Sets the follow state to ``value`` (1 or 0). htmx gets the new button back;
    a plain form post is redirected to ``next``."""
    company = get_object_or_404(selectors.companies_active(), slug=slug)
    next_url = _safe_next(request, reverse("competitors:detail", args=[company.slug]))
    if not request.user.is_authenticated:
        return login_redirect(request, next_url=next_url)
    form = FollowForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(gettext("Invalid follow request."))
    following = company_follow_set(
        user=request.user, company_id=company.pk, following=form.cleaned_data["value"]
    )
    if request.htmx:
        context = {"company": company, "following": following, "next_url": next_url}
        return render_htmx(request, "competitors/partials/_follow_button.html", context)
    if following:
        messages.success(request, gettext("You now follow %(name)s.") % {"name": company.name})
    else:
        messages.info(request, gettext("You no longer follow %(name)s.") % {"name": company.name})
    return HttpResponseRedirect(next_url)


# ---------------------------------------------------------------- add by URL


def _discover(form: DiscoverForm) -> DiscoveryPreview | None:
    """The preview of the form's site, or None with the reason added to the form."""
    url = form.cleaned_data["url"]
    try:
        return competitor_discover(url=url, categorize=category_of)
    except DiscoveryError as error:
        if isinstance(error.__cause__, BlockedURLError | DNSLookupError):
            # How the server resolves names is not the visitor's business.
            form.add_error("url", gettext("We could not reach this website."))
        else:
            form.add_error(
                "url", gettext("We could not scan this website: %(reason)s") % {"reason": error}
            )
    except Exception:
        # Arbitrary third-party HTML reaches the parsers here: a parser bug on one odd
        # site is logged with its traceback and shown as a form error, not a 500.
        logger.exception("discovery of %s failed", url)
        form.add_error("url", gettext("We could not scan this website. Please try again later."))
    return None


SCAN_LOCK_SECONDS = 120


def _unless_verified(request: HttpRequest) -> HttpResponse | None:
    """Companies added here are public: only confirmed addresses may add them."""
    if getattr(request.user, "is_verified", False):
        return None
    messages.error(request, gettext("Please confirm your email address before adding a company."))
    return redirect("home")


def _scan_lock(request: HttpRequest) -> str:
    return f"competitors:scan:{request.user.pk}"


def _scan_once(request: HttpRequest, form: DiscoverForm) -> DiscoveryPreview | None:
    try:
        return _discover(form)
    finally:
        cache.delete(_scan_lock(request))


def _kind_label(kind: str) -> str:
    return str(Source.Kind(kind).label) if kind in Source.Kind.values else kind


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate=DISCOVERY_RATE, method="POST", block=False, group="competitors.scan")
def company_add(request: HtmxHttpRequest) -> HttpResponse:
    """Step 1, the address form; its POST scans the site and answers step 2, the preview.
    Step 3 is company_add_confirm."""
    if (refused := _unless_verified(request)) is not None:
        return refused
    form = DiscoverForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "step": 1}
    status = 200
    if request.method == "POST":
        if getattr(request, "limited", False):
            form.add_error(
                None,
                gettext("You have scanned many websites recently. Please try again in an hour."),
            )
            # htmx does not swap error answers; the form with its message must show.
            status = 200 if request.htmx else 429
        elif form.is_valid() and not cache.add(_scan_lock(request), 1, SCAN_LOCK_SECONDS):
            # A scan holds a web thread for up to a minute: one at a time per user.
            form.add_error(None, gettext("A scan of yours is still running. Please wait."))
        elif form.is_valid() and (preview := _scan_once(request, form)) is not None:
            context |= {
                "step": 2,
                "preview": preview,
                "existing": selectors.company_active_by_id(pk=preview.existing_company_id),
                "found_sources": [(source, _kind_label(source.kind)) for source in preview.sources],
                "sample": [(item, charts.category_badge(item.category)) for item in preview.sample],
                "confirm_form": ConfirmPreviewForm(initial={"preview": sign_preview(preview)}),
            }
    response = render_htmx(
        request, "competitors/company_add.html", context, fragment="wizard", status=status
    )
    if status == 429:
        response["Retry-After"] = "3600"
    return response


@login_required
@require_POST
def company_add_confirm(request: HttpRequest) -> HttpResponse:
    """Step 3: create the previewed company and its sources, or merge them into the
    company that already has this website or name."""
    if (refused := _unless_verified(request)) is not None:
        return refused
    form = ConfirmPreviewForm(request.POST)
    if not form.is_valid():
        # A missing, forged or expired preview: the only field, one cause to tell.
        messages.error(request, BAD_PREVIEW)
        return redirect("competitors:add")
    preview: DiscoveryPreview = form.cleaned_data["preview"]
    try:
        company, created = competitor_create_from_preview(preview=preview, merge_by_name=False)
    except NameTakenError:
        messages.error(
            request,
            gettext(
                "A company called %(name)s is already listed with another website. "
                "If this is the same company, ask an administrator to add the website."
            )
            % {"name": preview.name},
        )
        return redirect("competitors:add")
    except ValidationError:
        logger.warning("preview of %s could not be saved", preview.website, exc_info=True)
        messages.error(request, gettext("This company could not be added. Please try again."))
        return redirect("competitors:add")
    values = {"name": company.name, "count": len(created)}
    if preview.existing_company_id == company.pk:
        text = ngettext(
            "%(name)s was already listed: %(count)d new source was added to it.",
            "%(name)s was already listed: %(count)d new sources were added to it.",
            len(created),
        )
    else:
        text = ngettext(
            "%(name)s was added with %(count)d source.",
            "%(name)s was added with %(count)d sources.",
            len(created),
        )
    messages.success(request, text % values)
    if not company.active:
        return redirect("competitors:list")
    return redirect("competitors:detail", slug=company.slug)
