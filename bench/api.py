"""The news API under load: GET /api/v1/news/ through gunicorn with bearer tokens.

The data set is the web benchmark's (bench/web.py): 100,000 items of 200
companies, 1,000 users tracking about 10 companies each, stories and reading
states. The app runs under gunicorn with the production configuration, started
by the web benchmark's launcher; each target gets its closed-loop clients, each
request carrying one of 200 users' personal API tokens. The full run is
`python -m bench api`; BENCH_API_ITEMS loads fewer items and BENCH_API_DURATION
shortens the load, for a quick check that it works.

Each API target is measured twice. First under CLIENTS closed-loop clients, which
saturate the server: its capacity, and a p95 that is mostly queueing (with 8
clients on 2 cores a request waits behind about three others). Then open-loop
(bench/open_loop.py), requests sent on a schedule at half that capacity, their
latency counted from when each was due: the p95 a client sees while the server has
headroom, which is what the target (p95 within 100 ms) is checked against;
`saturated_within_target` says whether the saturated p95 meets it too.

Targets: the first page; cursor pages deep in the list (1,000 and 10,000 items
down, and half way); a filtered first page (a company and a minimum priority);
the user's tracked companies. The naive baseline is the same list and the same
depths paged by page number (DRF's page-number pagination: a COUNT of every
matching row, then an OFFSET that walks every skipped one), served by a route
only this benchmark's server has. `deep_speedup` is how many times slower that
baseline's p95 is than the cursor's.
"""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING, Any

from bench import web
from bench.harness import env_number, timed
from bench.open_loop import load_at_rate

if TYPE_CHECKING:  # Django is set up only once the benchmark runs.
    from django.core.handlers.wsgi import WSGIHandler
    from django.db.models import QuerySet
    from django.urls import URLPattern, URLResolver

ITEMS = int(env_number("BENCH_API_ITEMS", web.ITEMS))
# Seconds of load per target after the warm-up.
DURATION = env_number("BENCH_API_DURATION", web.DURATION)
PAGE_SIZE = 50
# The cursor targets' depths (within a smaller data set, at most its last page); the
# same pages by number for the baseline.
DEPTHS = tuple(sorted({min(depth, ITEMS - PAGE_SIZE) for depth in (1_000, 10_000, ITEMS // 2)}))
TARGET_P95_MS = 100.0
# The open-loop run's rate, as a share of what the same target's closed-loop clients
# got through: the server at about half its capacity.
OPEN_LOOP_SHARE = 0.5
LIST_PATH = "/api/v1/news/"
BASELINE_PATH = "/bench/news-by-page-number/"

# The URLconf of the benchmark's server (ROOT_URLCONF = "bench.api"), filled by
# wsgi_application() once Django is set up: the API plus the baseline's route.
urlpatterns: list[URLPattern | URLResolver] = []


def wsgi_application() -> WSGIHandler:
    """gunicorn's entry point (`bench.api:wsgi_application()`): bench.web's app, with
    this module as the URLconf."""
    application = web.wsgi_application()
    from django.conf import settings
    from django.urls import include, path

    from config.api.pagination import PagePagination
    from news.api.serializers import LIST_COLUMNS
    from news.api.views import NewsListView

    class NewsByPageNumber(NewsListView):
        # The model's default ordering (-published_at, -id) applies: only the paging differs.
        pagination_class = PagePagination

        def paginate_queryset(self, queryset: QuerySet[Any]) -> list[Any] | None:
            # The cursor's row columns, read by page number.
            return super().paginate_queryset(queryset.values_list(*LIST_COLUMNS, named=True))

    # include() imports the project's URLconf now, in the arbiter that preloads the
    # app: unlike under config.wsgi, a (recycled) worker does not import every view
    # and aiogram on its first request, seconds of CPU that land in no figure here.
    urlpatterns[:] = [
        path(BASELINE_PATH.strip("/") + "/", NewsByPageNumber.as_view()),
        path("", include(settings.ROOT_URLCONF)),
    ]
    settings.ROOT_URLCONF = __name__
    return application


# ------------------------------------------------------------------ data


def bearer_tokens(users: list[Any]) -> web.SignIn:
    """A personal API token per user; requests rotate over them."""
    from accounts.api_tokens import api_token_create

    tokens = [api_token_create(user=user, name="bench").secret for user in users]
    return lambda number: {"Authorization": f"Bearer {tokens[number % len(tokens)]}"}


def _deep_cursors() -> list[str]:
    """The `cursor` of the page starting DEPTH items down, for each depth."""
    from news.api.pagination import news_cursor_value
    from news.models import NewsItem

    newest_first = NewsItem.objects.order_by("-published_at", "-id")
    return [news_cursor_value(item=newest_first[depth - 1]) for depth in DEPTHS]


def _targets(slugs: list[str], cursors: list[str]) -> list[web.Target]:
    pages = [depth // PAGE_SIZE + 1 for depth in DEPTHS]
    size = f"page_size={PAGE_SIZE}"
    return [
        web.Target("healthz", signed_in=False, paths=lambda n: "/healthz"),
        web.Target("api_first", signed_in=True, paths=lambda n: f"{LIST_PATH}?{size}"),
        web.Target(
            "api_deep",
            signed_in=True,
            paths=lambda n: f"{LIST_PATH}?{size}&cursor={cursors[n % len(cursors)]}",
        ),
        web.Target(
            "api_filtered",
            signed_in=True,
            paths=lambda n: f"{LIST_PATH}?{size}&company={slugs[n % len(slugs)]}&min_priority=0.6",
        ),
        web.Target(
            "api_tracked", signed_in=True, paths=lambda n: f"{LIST_PATH}?{size}&tracked_only=true"
        ),
        web.Target(
            "baseline_deep",
            signed_in=True,
            paths=lambda n: f"{BASELINE_PATH}?{size}&page={pages[n % len(pages)]}",
        ),
    ]


# ------------------------------------------------------------------ run


def run() -> dict[str, float]:
    pick = random.Random(20261120)  # the same data set every run
    load_s, catalogue = timed(lambda: web.load_catalogue(pick, items=ITEMS))
    sign_in = bearer_tokens(catalogue["users"])
    targets = _targets(catalogue["slugs"], _deep_cursors())
    figures: dict[str, float] = {"load_s": load_s, "items": float(ITEMS), "clients": web.CLIENTS}
    with web.gunicorn("bench.api:wsgi_application()") as (port, arbiter):
        for target in targets:
            # An error page, or an empty one, would be measured as fast.
            status, body = web.get(port, target.paths(0), sign_in(0) if target.signed_in else None)
            assert status == 200, f"{target.name}: HTTP {status} {body[:300]!r}"
            if target.signed_in:
                assert json.loads(body)["results"], f"{target.name}: no items"
            measured = web.measure(port, arbiter, target, sign_in, duration=DURATION)
            for name, value in measured.items():
                figures[f"{target.name}_{name}"] = value
            if target.name.startswith("api_"):
                # The same requests at half the rate the saturated server managed.
                paced = load_at_rate(
                    port,
                    target,
                    sign_in,
                    rate=OPEN_LOOP_SHARE * measured["rps"],
                    duration=DURATION,
                )
                for name, value in paced.items():
                    figures[f"{target.name}_open_{name}"] = value
    api_targets = [target.name for target in targets if target.name.startswith("api_")]
    for name in [*api_targets, "baseline_deep"]:
        figures[f"{name}_p95_ratio"] = figures[f"{name}_p95_ms"] / figures["healthz_p95_ms"]
    figures["deep_speedup"] = figures["baseline_deep_p95_ms"] / figures["api_deep_p95_ms"]
    figures["pages_within_target"] = float(
        all(figures[f"{name}_open_p95_ms"] <= TARGET_P95_MS for name in api_targets)
    )
    figures["saturated_within_target"] = float(
        all(figures[f"{name}_p95_ms"] <= TARGET_P95_MS for name in api_targets)
    )
    return figures
