"""A comparison's CSV and JSON downloads, from the comparison page's own parameters.
The columns and fields are documented in docs/insights.md ("Exports")."""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from competitors.activity import CompanyActivity, Comparison, Period, TopItem, comparison_build
from competitors.charts import CATEGORY_KEYS
from competitors.compare_forms import CompareForm

# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _export_error(form: CompareForm) -> str:
    lines = [gettext("This comparison cannot be exported:")]
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        lines += [f"{label}: {error}" if label else str(error) for error in errors]
    return "\n".join(lines)


def _filename(period: Period, extension: str) -> str:
    return f"comparison-{period.date_from.isoformat()}-{period.date_to.isoformat()}.{extension}"


def _export_comparison(request: HttpRequest) -> tuple[CompareForm, Comparison | None]:
    form = CompareForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, comparison_build(companies=form.cleaned_data["companies"], period=form.period())


def csv_safe(value: object) -> str:
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


CSV_COLUMNS = (
    "company_slug",
    "company_name",
    "date_from",
    "date_to",
    "category",
    "count",
    "share",
    "total",
    "score",
    "volume",
    "diversity",
    "recency",
    "priority",
)


def _ratio(value: float) -> str:
    return f"{value:.4f}"


@require_GET
def compare_export_csv(request: HttpRequest) -> HttpResponse:
    """One row per company and category (every category, zeros included), each
    carrying the company's total and activity score. Columns: docs/insights.md."""
    form, comparison = _export_comparison(request)
    if comparison is None:
        return HttpResponseBadRequest(_export_error(form), content_type="text/plain; charset=utf-8")
    period = comparison.period
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(period, "csv")}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for activity in comparison.activities:
        score = activity.score
        for key in CATEGORY_KEYS:
            row = (
                activity.company.slug,
                activity.company.name,
                period.date_from.isoformat(),
                period.date_to.isoformat(),
                key,
                activity.categories.get(key, 0),
                _ratio(activity.shares.get(key, 0.0)),
                activity.total,
                score.score,
                _ratio(score.volume),
                _ratio(score.diversity),
                _ratio(score.recency),
                _ratio(score.priority),
            )
            writer.writerow([csv_safe(cell) for cell in row])
    return response


def _top_item_json(item: TopItem, period: Period) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "url": item.url,
        "published_at": timezone.localtime(item.published_at, period.tz).isoformat(),
        "category": item.category,
        "priority": item.priority,
    }


def _activity_json(activity: CompanyActivity) -> dict[str, Any]:
    score = activity.score
    return {
        "slug": activity.company.slug,
        "name": activity.company.name,
        "total": activity.total,
        "score": {
            "score": score.score,
            "volume": score.volume,
            "diversity": score.diversity,
            "recency": score.recency,
            "priority": score.priority,
        },
        "categories": activity.categories,
        "shares": activity.shares,
        "daily": [{"date": day.isoformat(), "count": count} for day, count in activity.daily],
        "weekly": [{"week": day.isoformat(), "count": count} for day, count in activity.weekly],
        "top_items": [_top_item_json(item, activity.period) for item in activity.top_items],
    }


@require_GET
def compare_export_json(request: HttpRequest) -> HttpResponse:
    form, comparison = _export_comparison(request)
    if comparison is None:
        return JsonResponse(
            {
                "detail": gettext("This comparison cannot be exported."),
                "errors": {name: list(errors) for name, errors in form.errors.items()},
            },
            status=400,
        )
    period = comparison.period
    data = {
        "period": {
            "date_from": period.date_from.isoformat(),
            "date_to": period.date_to.isoformat(),
            "days": period.days,
            "time_zone": str(period.tz),
        },
        "companies": [_activity_json(activity) for activity in comparison.activities],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{_filename(period, "json")}"'
    return response
