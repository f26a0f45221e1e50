"""The news API under load: GET /api/v1/news/ through gunicorn with bearer tokens.

The data set is the web benchmark's (bench/web.py): 100,000 items of 200
companies, 1,000 users tracking about 10 companies each, stories and reading
states. The app runs under gunicorn with the production configuration; each
target gets the web benchmark's closed-loop clients, each request carrying one
of 200 users' personal API tokens. The full run is `python -m bench api`;
BENCH_API_ITEMS loads fewer items and BENCH_API_DURATION shortens the load, for
a quick check that it works.

Targets: the first page; cursor pages deep in the list (1,000 and 10,000 items
down, and half way); a filtered first page (a company and a minimum priority);
the user's tracked companies. The naive baseline is the same list and the same
depths paged by page number (DRF's page-number pagination: a COUNT of every
matching row, then an OFFSET that walks every skipped one), served by a route
only this benchmark's server has. `deep_speedup` is how many times slower that
baseline's p95 is than the cursor's.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

from bench import web
from bench.harness import timed

if TYPE_CHECKING:  # Django is set up only once the benchmark runs.
    from django.core.handlers.wsgi import WSGIHandler
    from django.urls import URLPattern, URLResolver

ITEMS = int(os.environ.get("BENCH_API_ITEMS", str(web.ITEMS)))
# Seconds of load per target after the warm-up; shorten it only for a quick check.
DURATION = float(os.environ.get("BENCH_API_DURATION", str(web.DURATION)))
PAGE_SIZE = 50
# The cursor targets' depths (within a smaller data set, at most its last page); the
# same pages by number for the baseline.
DEPTHS = tuple(sorted({min(depth, ITEMS - PAGE_SIZE) for depth in (1_000, 10_000, ITEMS // 2)}))
TARGET_P95_MS = 100.0
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
    from news.api.views import NewsListView

    class NewsByPageNumber(NewsListView):
        # The model's default ordering (-published_at, -id) applies: only the paging differs.
        pagination_class = PagePagination

    urlpatterns[:] = [
        path(BASELINE_PATH.strip("/") + "/", NewsByPageNumber.as_view()),
        path("", include(settings.ROOT_URLCONF)),
    ]
    settings.ROOT_URLCONF = __name__
    return application


# ------------------------------------------------------------------ data


def _load_catalogue(pick: random.Random) -> dict[str, Any]:
    # bench.web sizes its data set by its module constant.
    with mock.patch.object(web, "ITEMS", ITEMS):
        return web._load_catalogue(pick)


def _tokens(users: list[Any]) -> list[str]:
    from accounts.api_tokens import api_token_create

    return [api_token_create(user=user, name="bench").secret for user in users]


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


# ------------------------------------------------------------------ server and clients


class _BearerConnection(web._Connection):
    """bench.web's closed-loop client, sending a bearer token instead of a cookie."""

    def send(self) -> None:
        token = self.cookies[self.number % len(self.cookies)] if self.target.signed_in else None
        path = self.target.paths(self.number)
        self.number += web.CLIENTS
        head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        self.buffer.clear()
        self.length = None
        self.chunked = False
        self.started = time.perf_counter()
        assert self.sock is not None
        self.sock.sendall((head + "\r\n").encode())


def _load(port: int, target: web.Target, tokens: list[str]) -> dict[str, float]:
    # bench.web's load loop builds its clients from its module's _Connection and
    # reads its duration from the module.
    with mock.patch.multiple(web, _Connection=_BearerConnection, DURATION=DURATION):
        return web._load(port, target, tokens)


def _get(port: int, path: str, token: str | None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        connection.close()


@contextmanager
def _gunicorn() -> Iterator[tuple[int, int]]:
    """This module's app under gunicorn, as bench.web starts its own."""
    from django.conf import settings
    from django.db import connection

    database = connection.settings_dict
    port = web._free_port()
    control = Path(tempfile.mkdtemp(prefix="bench-api-")) / "gunicorn.ctl"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "TEST_REDIS_URL": settings.TEST_REDIS_URL,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_CONTROL_SOCKET": str(control),
        "GUNICORN_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "deploy/gunicorn.conf.py",
            "bench.api:wsgi_application()",
        ],
        cwd=web.BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,  # the access log
    )
    try:
        deadline = time.monotonic() + 60
        while _get(port, "/healthz", None)[0] != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield port, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# ------------------------------------------------------------------ run


def run() -> dict[str, float]:
    pick = random.Random(20261120)  # the same data set every run
    load_s, catalogue = timed(lambda: _load_catalogue(pick))
    tokens = _tokens(catalogue["users"])
    targets = _targets(catalogue["slugs"], _deep_cursors())
    figures: dict[str, float] = {"load_s": load_s, "items": float(ITEMS), "clients": web.CLIENTS}
    with _gunicorn() as (port, arbiter):
        for target in targets:
            # An error page, or an empty one, would be measured as fast.
            status, body = _get(port, target.paths(0), tokens[0] if target.signed_in else None)
            assert status == 200, f"{target.name}: HTTP {status} {body[:300]!r}"
            if target.signed_in:
                assert json.loads(body)["results"], f"{target.name}: no items"
            server_before, client_before = web._server_cpu_s(arbiter), time.thread_time()
            for name, value in _load(port, target, tokens).items():
                figures[f"{target.name}_{name}"] = value
            server_s = web._server_cpu_s(arbiter) - server_before
            client_s = time.thread_time() - client_before
            requests = max(figures[f"{target.name}_requests"], 1)
            figures[f"{target.name}_cpu_ms"] = 1000 * (server_s + client_s) / requests
    api_targets = [target.name for target in targets if target.name.startswith("api_")]
    for name in [*api_targets, "baseline_deep"]:
        figures[f"{name}_p95_ratio"] = figures[f"{name}_p95_ms"] / figures["healthz_p95_ms"]
    figures["deep_speedup"] = figures["baseline_deep_p95_ms"] / figures["api_deep_p95_ms"]
    figures["pages_within_target"] = float(
        all(figures[f"{name}_p95_ms"] <= TARGET_P95_MS for name in api_targets)
    )
    return figures
