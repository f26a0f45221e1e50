"""Competitor insights under load: comparing 5 companies over 90 days at 100,000 items.

The data set is the web benchmark's (bench/web.py: 100,000 items of 200 companies
over about a year, so about 125 items a company in 90 days). Two sets of five
companies are compared:

- *typical*: five companies of that data set as they are, about 600 items in all;
- *busy*: five others that are given a quarter of all items (every fourth, moved into
  the last 90 days), so their comparison covers about 25,000 items, 5,000 a company,
  40 times the typical load.

The app runs under gunicorn, started by the web benchmark's launcher, with closed-loop
clients per target. Targets:

- `api_compare_typical`, `api_compare_busy`: POST /api/v1/competitors/compare/ for a
  set and the last 90 days (UTC), with a bearer token;
- `web_compare_typical`, `web_compare_busy`: the /compare/ page for a set, signed in;
- `web_themes_busy`: the request that page makes for its themes (/compare/themes/),
  which the cache answers after the first time while the items do not change;
- `themes_uncached_busy`: the same themes computed afresh every time, as on a cache
  miss (a route only this benchmark's server has);
- `api_activity_busy`: one busy company's activity over 90 days;
- `landscape`: the matrix of all 200 companies by category over 90 days.

The naive baseline (`baseline_compare_busy`) answers the busy comparison from the item
rows: it loads each company's items of the period as model instances and counts in
Python, as a straightforward implementation would. `compare_speedup` is how many times
slower its p95 is than `api_compare_busy`'s.

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
UNCACHED_THEMES_PATH = "/bench/themes-uncached/"

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


def _themes_uncached(request: HttpRequest) -> JsonResponse:
    """The comparison's themes computed afresh, as on a cache miss."""
    from django.http import JsonResponse

    from competitors.activity import period_last_days
    from competitors.models import Company
    from competitors.themes import themes_for

    companies = list(Company.objects.filter(slug__in=request.GET.getlist("companies")))
    themes = themes_for(companies=companies, period=period_last_days(days=DAYS))
    return JsonResponse({"shared": [theme.key for theme in themes.shared]})


def wsgi_application() -> WSGIHandler:
    """gunicorn's entry point (`bench.insights:wsgi_application()`): bench.web's app
    with this module as the URLconf (the project's plus the baseline's route)."""
    application = web.wsgi_application()
    from django.conf import settings
    from django.urls import include, path
    from django.views.decorators.http import require_GET

    urlpatterns[:] = [
        path(BASELINE_PATH.strip("/") + "/", require_GET(_naive_compare)),
        path(UNCACHED_THEMES_PATH.strip("/") + "/", require_GET(_themes_uncached)),
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


def _compare_body(companies: list[str]) -> bytes:
    from django.utils import timezone

    # The API compares UTC days; the pages those of the signed-in user (UTC here too).
    today = timezone.now().date()
    return json.dumps(
        {
            "companies": companies,
            "date_from": (today - timedelta(days=DAYS - 1)).isoformat(),
            "date_to": today.isoformat(),
        }
    ).encode()


def _query(companies: list[str]) -> str:
    return "&".join(f"companies={slug}" for slug in companies) + f"&days={DAYS}"


def _targets(typical: list[str], busy: list[str]) -> list[web.Target]:
    typical_body, busy_body = _compare_body(typical), _compare_body(busy)
    return [
        web.Target("healthz", signed_in=False, paths=lambda n: "/healthz"),
        web.Target(
            "api_compare_typical",
            signed_in=True,
            paths=lambda n: COMPARE_PATH,
            body=lambda n: typical_body,
        ),
        web.Target(
            "api_compare_busy",
            signed_in=True,
            paths=lambda n: COMPARE_PATH,
            body=lambda n: busy_body,
        ),
        web.Target(
            "web_compare_typical", signed_in=True, paths=lambda n: f"/compare/?{_query(typical)}"
        ),
        web.Target("web_compare_busy", signed_in=True, paths=lambda n: f"/compare/?{_query(busy)}"),
        web.Target(
            "web_themes_busy", signed_in=True, paths=lambda n: f"/compare/themes/?{_query(busy)}"
        ),
        web.Target(
            "themes_uncached_busy",
            signed_in=False,
            paths=lambda n: f"{UNCACHED_THEMES_PATH}?{_query(busy)}",
        ),
        web.Target(
            "api_activity_busy",
            signed_in=True,
            paths=lambda n: f"/api/v1/companies/{busy[n % len(busy)]}/activity/?days={DAYS}",
        ),
        web.Target(
            "landscape", signed_in=True, paths=lambda n: f"/landscape/?days={DAYS}&scope=all"
        ),
        web.Target(
            "baseline_compare_busy",
            signed_in=True,
            paths=lambda n: f"{BASELINE_PATH}?{_query(busy)}",
        ),
    ]


# ------------------------------------------------------------------ run

# Targets signed in with a session; the others send a bearer token.
PAGES = ("web_", "landscape")


def run() -> dict[str, float]:
    pick = random.Random(20261126)  # the same data set every run
    load_s, catalogue = timed(lambda: web.load_catalogue(pick, items=ITEMS))
    chosen = pick.sample(catalogue["slugs"], 2 * COMPARED)
    typical, busy = sorted(chosen[:COMPARED]), sorted(chosen[COMPARED:])
    concentrate_s, _ = timed(lambda: _concentrate(busy))
    tokens = bearer_tokens(catalogue["users"])
    cookies = web.session_cookies(catalogue["users"])
    figures: dict[str, float] = {
        "load_s": load_s + concentrate_s,
        "items": float(ITEMS),
        "clients": web.CLIENTS,
    }
    with web.gunicorn("bench.insights:wsgi_application()") as (port, arbiter):
        for target in _targets(typical, busy):
            sign_in = cookies if target.name.startswith(PAGES) else tokens
            headers = sign_in(0) if target.signed_in else None
            request_body = target.body(0) if target.body is not None else None
            status, answer = web.get(port, target.paths(0), headers, body=request_body)
            assert status == 200, f"{target.name}: HTTP {status} {answer[:300]!r}"
            if target.name.startswith(("api_compare", "baseline")):
                # An empty comparison would be measured as fast.
                totals = sum(each["total"] for each in json.loads(answer)["companies"])
                assert totals > 0, f"{target.name}: no items compared"
                figures[f"{target.name}_items"] = float(totals)
            measured = web.measure(port, arbiter, target, sign_in, duration=DURATION)
            for name, value in measured.items():
                figures[f"{target.name}_{name}"] = value
    figures["compare_speedup"] = (
        figures["baseline_compare_busy_p95_ms"] / figures["api_compare_busy_p95_ms"]
    )
    figures["compare_within_target"] = float(
        max(figures["api_compare_typical_p95_ms"], figures["api_compare_busy_p95_ms"])
        <= TARGET_P95_MS
    )
    return figures
