"""Competitor insights under load: comparing 5 companies over 90 days at 100,000 items.

The data set is the web benchmark's (bench/web.py: 100,000 items of 200 companies
over about a year), made harder for the comparison: a quarter of the items (every
fourth) is moved to the five compared companies and into the last 90 days, so a
comparison covers 25,000 items (5,000 a company) rather than the few hundred an even
spread would give. The app runs under gunicorn, started by the web benchmark's
launcher, with closed-loop clients per target.

Targets:
- `api_compare`: POST /api/v1/competitors/compare/ for the five companies and the
  last 90 days (UTC), with a bearer token;
- `web_compare`: the /compare/ page for the same companies and period, signed in,
  which adds the themes and the charts;
- `api_activity`: one company's activity over 90 days;
- `landscape`: the matrix of companies by categories of all 200 companies over 90 days.

The naive baseline (`baseline_compare`) answers the same comparison from the item
rows: it loads each company's items of the period as model instances and counts in
Python, as a straightforward implementation would. `compare_speedup` is how many
times slower its p95 is than `api_compare`'s.

`python -m bench insights`; BENCH_INSIGHTS_ITEMS and BENCH_INSIGHTS_DURATION give a
quick check that it works.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import TYPE_CHECKING

from bench import web
from bench.api import bearer_tokens
from bench.harness import env_number, timed

if TYPE_CHECKING:  # Django is set up only once the benchmark runs.
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import HttpRequest, JsonResponse
    from django.urls import URLPattern, URLResolver

ITEMS = int(env_number("BENCH_INSIGHTS_ITEMS", web.ITEMS))
DURATION = env_number("BENCH_INSIGHTS_DURATION", web.DURATION)
COMPARED = 5
DAYS = 90
# Every SHARE-th item goes to a compared company, inside the period.
SHARE = 4
TARGET_P95_MS = 300.0
COMPARE_PATH = "/api/v1/competitors/compare/"
BASELINE_PATH = "/bench/naive-compare/"

urlpatterns: list[URLPattern | URLResolver] = []


def _naive_compare(request: HttpRequest) -> JsonResponse:
    """The comparison from item rows: one query per company, counted in Python."""
    from django.http import JsonResponse

    from competitors.activity import CATEGORY_KEYS, activity_score, period_last_days
    from competitors.models import Company
    from news.categories import category_slug
    from news.models import NewsItem

    period = period_last_days(days=int(request.GET.get("days", DAYS)))
    companies = Company.objects.filter(slug__in=request.GET.getlist("companies"))
    result = []
    for company in companies:
        items = list(
            NewsItem.objects.filter(
                company=company, published_at__gte=period.start, published_at__lt=period.end
            )
        )
        categories = dict.fromkeys(CATEGORY_KEYS, 0)
        days = {period.date_from + timedelta(days=n): 0 for n in range(period.days)}
        for item in items:
            categories[category_slug(item.category)] += 1
            day = item.published_at.astimezone(period.tz).date()
            days[day] = days.get(day, 0) + 1
        top = sorted(items, key=lambda item: (-item.priority_score, -item.published_at.timestamp()))
        score = activity_score(
            total=len(items),
            period_days=period.days,
            categories=categories,
            daily=sorted(days.items()),
            priority_sum=sum(item.priority_score for item in items),
        )
        result.append(
            {
                "slug": company.slug,
                "total": len(items),
                "score": score.score,
                "categories": categories,
                "daily": [[day.isoformat(), count] for day, count in sorted(days.items())],
                "top_items": [{"id": item.pk, "title": item.title} for item in top[:5]],
            }
        )
    return JsonResponse({"companies": result})


def wsgi_application() -> WSGIHandler:
    """gunicorn's entry point (`bench.insights:wsgi_application()`): bench.web's app
    with this module as the URLconf (the project's plus the baseline's route)."""
    application = web.wsgi_application()
    from django.conf import settings
    from django.urls import include, path
    from django.views.decorators.http import require_GET

    urlpatterns[:] = [
        path(BASELINE_PATH.strip("/") + "/", require_GET(_naive_compare)),
        path("", include(settings.ROOT_URLCONF)),
    ]
    settings.ROOT_URLCONF = __name__
    return application


# ------------------------------------------------------------------ data


def _concentrate(slugs: list[str]) -> None:
    """Moves every SHARE-th item to one of the compared companies (and its source),
    spread evenly over the last DAYS days."""
    from django.db import connection
    from django.utils import timezone

    from competitors.models import Company, Source

    compared = list(Company.objects.filter(slug__in=slugs).order_by("slug"))
    sources = {source.company_id: source for source in Source.objects.filter(company__in=compared)}
    span_s = DAYS * 86_400 - 3_600
    with connection.cursor() as cursor:
        for index, company in enumerate(compared):
            cursor.execute(
                "UPDATE news_newsitem SET company_id = %s, source_id = %s, source_type = %s,"
                " published_at = %s - make_interval(secs => (id * 7919) %% %s)"
                " WHERE id %% %s = 0 AND (id / %s) %% %s = %s",
                [
                    company.pk,
                    sources[company.pk].pk,
                    sources[company.pk].source_type,
                    timezone.now(),
                    span_s,
                    SHARE,
                    SHARE,
                    len(compared),
                    index,
                ],
            )
        cursor.execute("VACUUM ANALYZE news_newsitem")


def _targets(compared: list[str]) -> list[web.Target]:
    from django.utils import timezone

    # The API compares UTC days; the page those of the signed-in user (UTC here too).
    today = timezone.now().date()
    body = json.dumps(
        {
            "companies": compared,
            "date_from": (today - timedelta(days=DAYS - 1)).isoformat(),
            "date_to": today.isoformat(),
        }
    ).encode()
    query = "&".join(f"companies={slug}" for slug in compared)
    return [
        web.Target("healthz", signed_in=False, paths=lambda n: "/healthz"),
        web.Target(
            "api_compare", signed_in=True, paths=lambda n: COMPARE_PATH, body=lambda n: body
        ),
        web.Target("web_compare", signed_in=True, paths=lambda n: f"/compare/?{query}&days={DAYS}"),
        web.Target(
            "api_activity",
            signed_in=True,
            paths=lambda n: (
                f"/api/v1/companies/{compared[n % len(compared)]}/activity/?days={DAYS}"
            ),
        ),
        web.Target(
            "landscape", signed_in=True, paths=lambda n: f"/landscape/?days={DAYS}&scope=all"
        ),
        web.Target(
            "baseline_compare",
            signed_in=True,
            paths=lambda n: f"{BASELINE_PATH}?{query}&days={DAYS}",
        ),
    ]


# ------------------------------------------------------------------ run


def run() -> dict[str, float]:
    pick = random.Random(20261126)  # the same data set every run
    load_s, catalogue = timed(lambda: web.load_catalogue(pick, items=ITEMS))
    compared = sorted(pick.sample(catalogue["slugs"], COMPARED))
    concentrate_s, _ = timed(lambda: _concentrate(compared))
    tokens = bearer_tokens(catalogue["users"])
    cookies = web.session_cookies(catalogue["users"])
    figures: dict[str, float] = {
        "load_s": load_s + concentrate_s,
        "items": float(ITEMS),
        "clients": web.CLIENTS,
    }
    with web.gunicorn("bench.insights:wsgi_application()") as (port, arbiter):
        for target in _targets(compared):
            # The API and the baseline take tokens; the pages a session.
            sign_in = cookies if target.name in {"web_compare", "landscape"} else tokens
            headers = sign_in(0) if target.signed_in else None
            request_body = target.body(0) if target.body is not None else None
            status, answer = web.get(port, target.paths(0), headers, body=request_body)
            assert status == 200, f"{target.name}: HTTP {status} {answer[:300]!r}"
            if target.name in {"api_compare", "baseline_compare"}:
                # An empty comparison would be measured as fast.
                totals = sum(each["total"] for each in json.loads(answer)["companies"])
                assert totals >= ITEMS // SHARE, f"{target.name}: {totals} items compared"
                figures[f"{target.name}_items"] = float(totals)
            measured = web.measure(port, arbiter, target, sign_in, duration=DURATION)
            for name, value in measured.items():
                figures[f"{target.name}_{name}"] = value
    figures["compare_speedup"] = figures["baseline_compare_p95_ms"] / figures["api_compare_p95_ms"]
    figures["compare_within_target"] = float(
        max(figures["api_compare_p95_ms"], figures["web_compare_p95_ms"]) <= TARGET_P95_MS
    )
    return figures
