"""Refreshing 1,000 feeds from local servers that add 100 ms of latency.

Concurrent refresh (a thread pool, per-host limit of 2 kept in Redis, as in
production) against one-after-another fetching; then a second pass where the
servers answer 304 Not Modified.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.harness import timed

FEEDS = 1_000
HOSTS = 50
LATENCY = 0.1
ENTRIES_PER_FEED = 20
WORKERS = 64
# Analysis worker processes beside the fetching process: the machine's spare core.
ANALYSIS_PROCESSES = 1
BODY_SENTENCES = 14


def _sample_texts() -> list[tuple[str, str]]:
    """Realistic titles and summaries: the labelled classification set."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "news/tests/data/classification_eval.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(row["title"], row["summary"]) for row in rows]


TEXTS = _sample_texts()
VOCABULARY = sorted({word for _, summary in TEXTS for word in summary.split()})


def _body(position: int) -> str:
    """A full post body (as most blogs publish, so no article page is fetched), different
    for every post: identical bodies would make every post of a lab read as one story."""
    import random

    pick = random.Random(position).choice
    return " ".join(
        " ".join(pick(VOCABULARY) for _ in range(11)).capitalize() + "."
        for _ in range(BODY_SENTENCES)
    )


def _feed_body(host: str, port: int, number: int) -> bytes:
    from datetime import UTC, datetime, timedelta
    from xml.sax.saxutils import escape

    base = f"http://{host}:{port}/feed/{number}"
    start = datetime(2026, 11, 1, tzinfo=UTC)
    items = []
    for n in range(ENTRIES_PER_FEED):
        position = number * ENTRIES_PER_FEED + n
        title, summary = TEXTS[position % len(TEXTS)]
        # 20,000 items four minutes apart: about 55 days, as a busy deployment sees.
        published = start - timedelta(minutes=4 * position)
        items.append(
            f"<item><title>{escape(title)}</title><link>{base}/posts/{n}</link>"
            f"<pubDate>{format_datetime(published)}</pubDate>"
            f"<description><![CDATA[<p>{escape(summary)}</p><p>{escape(_body(position))}</p>]]>"
            "</description>"
            "</item>"
        )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {number}</title>'
        f"<link>{base}</link>{''.join(items)}</channel></rss>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment; otherwise Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every response and swamp the figures.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def do_GET(self) -> None:
        time.sleep(LATENCY)  # every answer, 304s included, pays the latency
        etag = f'"{self.path}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        host, port = _host_and_port(self.server)
        number = int(self.path.rsplit("/", 1)[1].split(".")[0])
        body = _feed_body(str(host), int(port), number)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _host_and_port(server: Any) -> tuple[str, int]:
    address = server.server_address
    return str(address[0]), int(address[1])


@contextmanager
def _analysis_switched_off() -> Iterator[None]:
    """Ingestion without the intelligence pipeline, to measure what it costs."""
    from news import services

    original = services.items_queue_analysis
    services.items_queue_analysis = lambda item_ids: None
    try:
        yield
    finally:
        services.items_queue_analysis = original


@contextmanager
def _analysis_worker() -> Iterator[None]:
    """A real Celery worker on the ``analysis`` queue, as in production: one process,
    on the same benchmark database and Redis broker; tasks are published, not run inline."""
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    from config.celery_app import app

    database = connection.settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "TEST_REDIS_URL": settings.TEST_REDIS_URL,
    }
    app.control.purge()
    worker = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "worker",
            "-Q",
            "analysis",
            "--pool",
            "prefork",
            "--concurrency",
            str(ANALYSIS_PROCESSES),
            "-n",
            "bench-analysis@%h",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
    )
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the analysis worker did not start")
        yield
    finally:
        app.conf.task_always_eager = True
        worker.terminate()
        worker.wait(30)


def _until_analysed(expected: int) -> None:
    from news.models import NewsItem

    deadline = time.monotonic() + 900
    while NewsItem.objects.filter(analysed_at__isnull=False).count() < expected:
        if time.monotonic() > deadline:
            raise RuntimeError("analysis did not finish")
        time.sleep(0.1)


def _start_servers() -> list[ThreadingHTTPServer]:
    servers = []
    for index in range(HOSTS):
        server = ThreadingHTTPServer((f"127.0.0.{index + 2}", 0), _Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def run() -> dict[str, float]:
    import redis
    from django.conf import settings

    from competitors.models import Company, Source
    from news.fetching import SafeFetcher
    from news.host_limits import RedisHostLimiter
    from news.models import NewsItem
    from news.services import sources_refresh_many

    servers = _start_servers()
    try:
        addresses = [_host_and_port(server) for server in servers]
        # One company per host, as each lab runs its own site.
        companies = [
            Company.objects.create(name=f"Bench Lab {n}", slug=f"bench-lab-{n}")
            for n in range(HOSTS)
        ]
        Source.objects.bulk_create(
            Source(
                company=companies[n % HOSTS],
                url=f"http://{addresses[n % HOSTS][0]}:{addresses[n % HOSTS][1]}/feed/{n}.xml",
            )
            for n in range(FEEDS)
        )
        ids = list(
            Source.objects.filter(company__in=companies).order_by("id").values_list("id", flat=True)
        )
        client = redis.Redis.from_url(settings.TEST_REDIS_URL)
        fetcher = SafeFetcher(
            user_agent="AICompetitorInsightHub-bench/1.0",
            allow_private_hosts=[f"{host}:{port}" for host, port in addresses],
            max_bytes=10 * 1024 * 1024,
            connect_timeout=5,
            read_timeout=15,
            total_timeout=60,
            max_redirects=5,
            host_limiter=RedisHostLimiter(client, limit=2, lease_seconds=60, key_prefix="bench"),
        )

        def reset() -> None:
            NewsItem.objects.all().delete()
            Source.objects.update(etag="", last_modified="", consecutive_failures=0, last_error="")

        def refresh(workers: int) -> float:
            seconds, outcomes = timed(
                lambda: sources_refresh_many(source_ids=ids, workers=workers, fetcher=fetcher)
            )
            assert not [o.error for o in outcomes if o.error][:1]
            assert NewsItem.objects.count() == FEEDS * ENTRIES_PER_FEED
            return seconds

        # Fetch, parse and store only (the ingestion engine), one after another
        # and then concurrently; then the same with the intelligence pipeline.
        with _analysis_switched_off():
            sequential = refresh(1)
            reset()
            concurrent_without_analysis = refresh(WORKERS)
        reset()

        fetched_after: list[float] = []

        def refresh_and_analyse() -> list[Any]:
            started = time.perf_counter()
            outcomes = sources_refresh_many(source_ids=ids, workers=WORKERS, fetcher=fetcher)
            fetched_after.append(time.perf_counter() - started)
            _until_analysed(FEEDS * ENTRIES_PER_FEED)
            return outcomes

        # Fetching and storing as before; analysis on its own worker process, and the
        # clock stops only when every item is analysed.
        with _analysis_worker():
            concurrent, outcomes = timed(refresh_and_analyse)
        assert not [o.error for o in outcomes if o.error][:1]
        stored = NewsItem.objects.count()
        assert stored == FEEDS * ENTRIES_PER_FEED
        categorised = NewsItem.objects.exclude(category="").count()
        stories = NewsItem.objects.filter(story__isnull=False).count()
        newest_fetch = NewsItem.objects.latest("fetched_at").fetched_at

        second_pass, outcomes = timed(
            lambda: sources_refresh_many(source_ids=ids, workers=WORKERS, fetcher=fetcher)
        )
        assert all(o.not_modified for o in outcomes)
        assert NewsItem.objects.count() == stored
        assert not NewsItem.objects.filter(fetched_at__gt=newest_fetch).exists()
        fetcher.close()
        client.close()
        return {
            "feeds": FEEDS,
            "sequential_s": sequential,
            "concurrent_s": concurrent_without_analysis,
            "speedup": sequential / concurrent_without_analysis,
            "concurrent_with_analysis_s": concurrent,
            "analysis_overhead": concurrent / concurrent_without_analysis - 1,
            # Fetching and storing alone, while the analysis worker runs beside it.
            "fetching_with_analysis_worker_s": fetched_after[0],
            "fetching_slowdown": fetched_after[0] / concurrent_without_analysis - 1,
            "not_modified_pass_s": second_pass,
            "not_modified_share_of_first_pass": second_pass / concurrent_without_analysis,
            "categorised_share": categorised / stored,
            "in_a_story_share": stories / stored,
        }
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
