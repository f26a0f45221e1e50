"""Web pages under load: 8 concurrent clients against gunicorn on a realistic catalogue.

100,000 news items of 200 companies (one source each), 1,000 users who each
track about 10 companies and a few categories, stories and reading states. The
app runs under gunicorn with the production configuration (deploy/gunicorn.conf.py)
and persistent database connections as in production; each URL then gets
CLIENTS closed-loop clients (keep-alive, one request after another) for
DURATION seconds after a warm-up. /healthz is the baseline: it touches neither
the database nor the templates, so the ratio of a page's p95 to it is the cost
of the page itself on this machine. The full run is `python -m bench web`;
BENCH_WEB_ITEMS loads fewer items and BENCH_WEB_DURATION shortens the load, for
a quick check that it works.

The data set, the gunicorn launcher and the load driver are shared with the
API benchmark (bench/api.py), which passes its own app, credentials and sizes.
"""

from __future__ import annotations

import http.client
import os
import random
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.harness import env_number, timed

if TYPE_CHECKING:  # Django is set up only once the benchmark runs.
    from django.core.handlers.wsgi import WSGIHandler
    from django.db.models import Model

ITEMS = 100_000
COMPANIES = 200
USERS = 1_000
TRACKED_PER_USER = 10
CATEGORIES_PER_USER = 3
STORIES = 12_000
ITEMS_PER_STORY = 3
STATES_PER_USER = 40
MENTIONS_SHARE = 0.2
# Signed-in clients rotate over this many users, so no page is served from one
# user's warm rows only.
SESSIONS = 200

CLIENTS = 8
WARMUP = 3.0
DURATION = 15.0
TARGET_P95_MS = 150.0
# Production's default (config/settings/base.py); the test settings close the
# connection after every request, which would add a connect to every page.
PRODUCTION_CONN_MAX_AGE = 60

BASE_DIR = Path(__file__).resolve().parent.parent
SENTENCES = 4_000
SENTENCE_WORDS = 12
SENTENCES_PER_BODY = 8


@dataclass(frozen=True)
class Target:
    name: str
    signed_in: bool
    paths: Callable[[int], str]  # request number → path
    # Request number → a JSON body to POST; None for a GET.
    body: Callable[[int], bytes] | None = None


# Request number → the headers that sign a request in (a session cookie, a token).
SignIn = Callable[[int], dict[str, str]]


@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


def wsgi_application() -> WSGIHandler:
    """gunicorn's entry point (`bench.web:wsgi_application()`): the app on the test
    settings, pointed at the bench database by the environment, with persistent
    connections as in production."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = PRODUCTION_CONN_MAX_AGE
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


# ------------------------------------------------------------------ data


def _sample_texts() -> list[tuple[str, str]]:
    import json

    path = BASE_DIR / "news/tests/data/classification_eval.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(row["title"], row["summary"]) for row in rows]


def _copy(model: type[Model], rows: Iterable[dict[str, Any]]) -> None:
    """COPY rows into the model's table; unnamed fields get their model default.

    Values go to PostgreSQL as they are (JSON as text), which keeps the Python side
    of the load small. Database triggers still run: the search vector is filled by one.
    """
    import json

    from django.db import connection
    from django.db.models import JSONField

    fields = [
        model_field
        for model_field in model._meta.concrete_fields
        if not model_field.primary_key and model_field.column != "search_vector"
    ]
    names = [each.attname for each in fields]
    json_names = {each.attname for each in fields if isinstance(each, JSONField)}
    defaults = {each.attname: each.get_default() for each in fields}
    columns = ", ".join(connection.ops.quote_name(each.column) for each in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as wrapper,
        wrapper.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            values = {**defaults, **row}
            copy.write_row(
                [json.dumps(values[name]) if name in json_names else values[name] for name in names]
            )


def load_catalogue(pick: random.Random, *, items: int = ITEMS) -> dict[str, Any]:
    """The data set of `items` news items; returns what the clients need (company
    slugs, the users whose sessions or tokens sign requests in)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Preferences, User
    from competitors.models import Company, Source
    from news.categories import Category
    from news.models import ItemState, NewsItem, Story

    now = timezone.now()
    texts = _sample_texts()
    vocabulary = sorted({word for _, summary in texts for word in summary.split()})
    sentences = [
        " ".join(pick.choice(vocabulary) for _ in range(SENTENCE_WORDS)).capitalize() + "."
        for _ in range(SENTENCES)
    ]
    companies = Company.objects.bulk_create(
        Company(
            name=f"Bench Lab {n}",
            slug=f"bench-lab-{n}",
            website=f"https://lab{n}.example.com",
            description=f"Bench Lab {n} builds models and tools.",
            segment=pick.choice(Company.Segment.values),
        )
        for n in range(COMPANIES)
    )
    sources = Source.objects.bulk_create(
        Source(
            company=company,
            name=f"{company.name} blog",
            url=f"https://lab{n}.example.com/feed.xml",
            source_type=pick.choice(Source.SourceType.values),
            last_success_at=now,
        )
        for n, company in enumerate(companies)
    )
    # A smaller data set gets only the stories its items fill.
    story_count = min(STORIES, items // ITEMS_PER_STORY)
    stories = Story.objects.bulk_create(
        Story(
            title=texts[n % len(texts)][0],
            # The story of items 3n to 3n + 2, which are published five minutes apart.
            first_seen_at=now - timedelta(minutes=5 * ITEMS_PER_STORY * (n + 1)),
            last_seen_at=now - timedelta(minutes=5 * ITEMS_PER_STORY * n),
            item_count=ITEMS_PER_STORY,
        )
        for n in range(story_count)
    )
    categories = [*Category.values, "", ""]  # about one in eight uncategorised

    def item_rows() -> Iterator[dict[str, Any]]:
        for n in range(items):
            title, summary = texts[n % len(texts)]
            source = sources[pick.randrange(COMPANIES)]
            body = " ".join(pick.choice(sentences) for _ in range(SENTENCES_PER_BODY))
            story = stories[n // ITEMS_PER_STORY] if n < story_count * ITEMS_PER_STORY else None
            # 100,000 items five minutes apart: about a year of a busy deployment.
            published_at = now - timedelta(minutes=5 * n)
            yield {
                "title": f"{title} ({n})",
                "url": f"https://lab{source.company_id}.example.com/posts/{n}",
                "source_id": source.pk,
                "company_id": source.company_id,
                "source_type": source.source_type,
                "published_at": published_at,
                "fetched_at": published_at,
                "summary": summary,
                "content_html": f"<p>{summary}</p><p>{body}</p>",
                "content_text": f"{summary}\n\n{body}",
                "language": "en",
                "category": pick.choice(categories),
                "priority_score": round(pick.betavariate(2, 3), 3),
                "keywords": pick.sample(vocabulary, 5),
                "story_id": story.pk if story else None,
                "analysed_at": published_at,
            }

    _copy(NewsItem, item_rows())
    item_ids = list(NewsItem.objects.order_by("id").values_list("id", flat=True))
    through = NewsItem.mentioned_companies.through
    _copy(
        through,
        (
            {"newsitem_id": item_id, "company_id": company.pk}
            for item_id in item_ids
            if pick.random() < MENTIONS_SHARE
            for company in pick.sample(companies, 2)
        ),
    )

    password = make_password("bench password")
    users = User.objects.bulk_create(
        User(email=f"reader{n}@example.com", full_name=f"Reader {n}", password=password)
        for n in range(USERS)
    )
    preferences = Preferences.objects.bulk_create(
        Preferences(
            user=user,
            categories=pick.sample(Category.values, CATEGORIES_PER_USER),
            keywords=pick.sample(vocabulary, 2),
        )
        for user in users
    )
    tracked = Preferences.tracked_companies.through
    _copy(
        tracked,
        (
            {"preferences_id": each.pk, "company_id": company.pk}
            for each in preferences
            for company in pick.sample(companies, TRACKED_PER_USER)
        ),
    )
    recent = item_ids[-20_000:]  # readers act mostly on recent news
    _copy(
        ItemState,
        (
            {
                "user_id": user.pk,
                "item_id": item_id,
                "read_at": now - timedelta(hours=pick.randrange(2000)),
                "favourited_at": now if pick.random() < 0.2 else None,
            }
            for user in users
            for item_id in pick.sample(recent, STATES_PER_USER)
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "slugs": [company.slug for company in companies],
        "users": users[:SESSIONS],
    }


def session_cookies(users: list[Any]) -> SignIn:
    """Signed-in sessions written straight to the session store, as a login would;
    requests rotate over them."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils.crypto import get_random_string

    store = SessionStore()
    sessions = [
        Session(
            session_key=get_random_string(32),
            session_data=store.encode(
                {
                    SESSION_KEY: str(user.pk),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                }
            ),
            expire_date=datetime.now(tz=UTC) + timedelta(days=1),
        )
        for user in users
    ]
    Session.objects.bulk_create(sessions)
    cookies = [f"{settings.SESSION_COOKIE_NAME}={each.session_key}" for each in sessions]
    return lambda number: {"Cookie": cookies[number % len(cookies)]}


# ------------------------------------------------------------------ server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(app: str = "bench.web:wsgi_application()") -> Iterator[tuple[int, int]]:
    """`app` (gunicorn's module:callable) under gunicorn, on the bench database;
    yields its port and the arbiter's process id."""
    from django.conf import settings
    from django.db import connection

    database = connection.settings_dict
    port = _free_port()
    control_dir = tempfile.TemporaryDirectory(
        prefix=app.partition(":")[0].replace(".", "-") + "-", ignore_cleanup_errors=True
    )
    control = Path(control_dir.name) / "gunicorn.ctl"
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
    server = subprocess.Popen(  # noqa: S603 - this interpreter, the caller's app path
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "deploy/gunicorn.conf.py",
            app,
        ],
        cwd=BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,  # the access log
    )
    try:
        deadline = time.monotonic() + 60
        while get(port, "/healthz")[0] != 200:
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
        control_dir.cleanup()


def _process_cpu_s(pid: int, *, reaped_children: bool = False) -> float:
    """CPU time of a live process (Linux), with that of its exited children if asked."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu_s(arbiter: int) -> float:
    """CPU used so far by gunicorn (arbiter, live and recycled workers) and by the
    PostgreSQL backends of the bench database.

    The machine may be shared (other test runs, other benchmarks): this is what the
    pages themselves cost, whatever else competes for the cores. A backend that
    closed during the run is missed, which only a recycled worker's would be.
    """
    from django.db import connection

    try:
        workers = Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()
    except OSError:
        workers = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        backends = [row[0] for row in cursor.fetchall()]
    return (
        _process_cpu_s(arbiter, reaped_children=True)
        + sum(_process_cpu_s(int(worker)) for worker in workers)
        + sum(_process_cpu_s(backend) for backend in backends)
    )


def get(
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    *,
    timeout: float = 30,
    body: bytes | None = None,
) -> tuple[int, bytes]:
    """One request (a GET, or a JSON POST of `body`) on its own connection: the
    status (0 if it failed) and the body.

    A worker's first request imports the URLconf, and with it every view and
    aiogram: more than 10 s of CPU on a busy machine.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if body is None:
            connection.request("GET", path, headers=headers or {})
        else:
            json_headers = {**(headers or {}), "Content-Type": "application/json"}
            connection.request("POST", path, body=body, headers=json_headers)
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        connection.close()


# ------------------------------------------------------------------ load


class _Connection:
    """One closed-loop client: a keep-alive connection with at most one request in
    flight, sending the next as soon as the last response has been read."""

    def __init__(self, port: int, target: Target, sign_in: SignIn, offset: int) -> None:
        self.port = port
        self.target = target
        self.sign_in = sign_in
        self.number = offset
        self.sock: socket.socket | None = None
        self.buffer = bytearray()
        self.started = 0.0
        # Where the body starts and how long the whole response is, once its head is in.
        self.body_start = 0
        self.length: int | None = None
        self.chunked = False
        self.closing = False
        self.status = 0

    def open(self) -> socket.socket:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def send(self) -> None:
        headers = self.sign_in(self.number) if self.target.signed_in else {}
        path = self.target.paths(self.number)
        body = self.target.body(self.number) if self.target.body is not None else b""
        self.number += CLIENTS
        method = "GET" if self.target.body is None else "POST"
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        if self.target.body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.buffer.clear()
        self.length = None
        self.chunked = False
        self.started = time.perf_counter()
        assert self.sock is not None
        # A request is far smaller than the socket buffer: sendall does not block.
        self.sock.sendall((head + "\r\n").encode() + body)

    def receive(self) -> bool | None:
        """Reads what arrived: None while the response is incomplete, else whether it
        was a 200. Raises OSError when the server closed the connection meanwhile."""
        assert self.sock is not None
        data = self.sock.recv(262_144)
        if not data:
            raise ConnectionResetError("closed by the server")
        self.buffer += data
        if self.length is None and not self.chunked:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return None
            self.body_start = end + 4
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines[1:])
            }
            self.status = int(lines[0].split()[1])
            self.closing = headers.get("connection", "").lower() == "close"
            self.chunked = headers.get("transfer-encoding", "").lower() == "chunked"
            if not self.chunked:
                self.length = self.body_start + int(headers.get("content-length", "0"))
        if self.chunked:
            # The last chunk, "0" and an empty trailer, after the head (whose own end
            # may look the same: "…X-Request-ID: …0\r\n\r\n").
            body = len(self.buffer) - self.body_start
            if not (
                body >= 5
                and self.buffer.endswith(b"0\r\n\r\n")
                and (body == 5 or self.buffer[-7:-5] == b"\r\n")
            ):
                return None
            self.chunked = False
        elif self.length is None or len(self.buffer) < self.length:
            return None
        return self.status == 200


def load(
    port: int, target: Target, sign_in: SignIn, *, duration: float = DURATION
) -> dict[str, float]:
    """CLIENTS closed-loop keep-alive clients driven from one thread, measured for
    `duration` seconds after the warm-up; signed-in targets' requests carry
    `sign_in`'s headers.

    One thread and a selector rather than a thread per client: the load generator
    shares the server's cores, and eight threads contending for the GIL cost CPU
    and delayed the moment a finished response was timed.
    """
    warm_until = time.perf_counter() + WARMUP
    stop_at = warm_until + duration
    samples = Samples()
    selector = selectors.DefaultSelector()
    connections = [_Connection(port, target, sign_in, n) for n in range(CLIENTS)]

    def start(connection: _Connection) -> bool:
        """Sends the connection's next request, on a new connection if the kept-alive
        one was closed meanwhile (which counts as an error, as a failed request)."""
        for _attempt in range(2):
            try:
                if connection.sock is None:
                    selector.register(connection.open(), selectors.EVENT_READ, connection)
                connection.send()
                return True
            except OSError:
                drop(connection)
                if connection.started >= warm_until:
                    samples.errors += 1
        return False

    def drop(connection: _Connection) -> None:
        if connection.sock is not None:
            selector.unregister(connection.sock)
            connection.close()

    active = sum(start(connection) for connection in connections)
    completed = 0  # warm-up included
    while active:
        events = selector.select(timeout=1.0)
        now = time.perf_counter()
        finished: list[tuple[_Connection, bool]] = []
        for key, _ in events:
            connection = key.data
            try:
                ok = connection.receive()
            except OSError:
                # A worker recycled by max_requests closes its idle keep-alive connections.
                ok = False
                drop(connection)
            if ok is not None:
                finished.append((connection, ok))
        for connection in connections:
            if connection.sock is not None and now - connection.started > 30:
                drop(connection)
                finished.append((connection, False))
        for connection, ok in finished:
            completed += 1
            if connection.started >= warm_until:
                if ok:
                    samples.latencies.append(now - connection.started)
                else:
                    samples.errors += 1
            if connection.closing:
                drop(connection)
                connection.closing = False
            if time.perf_counter() < stop_at and start(connection):
                continue
            drop(connection)
            active -= 1
    selector.close()
    return {
        **latency_figures(samples.latencies, duration=duration),
        "errors": float(samples.errors),
        "requests": float(completed),
    }


def latency_figures(latencies: list[float], *, duration: float) -> dict[str, float]:
    """p50/p95/p99 in milliseconds of `latencies` (seconds), and answers per second."""
    cuts = statistics.quantiles(sorted(latencies), n=100, method="inclusive")
    return {
        "p50_ms": cuts[49] * 1000,
        "p95_ms": cuts[94] * 1000,
        "p99_ms": cuts[98] * 1000,
        "rps": len(latencies) / duration,
    }


def measure(
    port: int, arbiter: int, target: Target, sign_in: SignIn, *, duration: float = DURATION
) -> dict[str, float]:
    """`load`'s figures for one target, with the CPU its requests cost."""
    server_before, client_before = server_cpu_s(arbiter), time.thread_time()
    figures = load(port, target, sign_in, duration=duration)
    server_s = server_cpu_s(arbiter) - server_before
    client_s = time.thread_time() - client_before
    # Per request, warm-up included: app, database and load generator. With
    # CLIENTS closed-loop clients on C cores, a page whose requests cost t
    # of CPU cannot average under CLIENTS * t / C, however idle the machine.
    requests = max(figures["requests"], 1)
    figures["cpu_ms"] = 1000 * (server_s + client_s) / requests
    figures["client_cpu_ms"] = 1000 * client_s / requests
    return figures


def _targets(slugs: list[str]) -> list[Target]:
    return [
        Target("healthz", signed_in=False, paths=lambda n: "/healthz"),
        Target("dashboard", signed_in=True, paths=lambda n: "/"),
        Target("news_list", signed_in=True, paths=lambda n: "/news/"),
        Target(
            "news_filtered",
            signed_in=True,
            paths=lambda n: (
                f"/news/?company={slugs[n % len(slugs)]}&category=model_release&priority=high"
            ),
        ),
        Target("news_search", signed_in=True, paths=lambda n: "/news/?q=model"),
    ]


def run() -> dict[str, float]:
    items = int(env_number("BENCH_WEB_ITEMS", ITEMS))
    duration = env_number("BENCH_WEB_DURATION", DURATION)
    pick = random.Random(20261120)  # the same data set every run
    load_s, catalogue = timed(lambda: load_catalogue(pick, items=items))
    sign_in = session_cookies(catalogue["users"])
    targets = _targets(catalogue["slugs"])
    figures: dict[str, float] = {"load_s": load_s, "items": float(items), "clients": CLIENTS}
    with gunicorn() as (port, arbiter):
        for target in targets:
            # A page that is not there, or not signed in, would be measured as fast.
            status, body = get(port, target.paths(0), sign_in(0) if target.signed_in else None)
            assert status == 200, f"{target.name}: HTTP {status}"
            assert not target.signed_in or b"Log out" in body, f"{target.name}: not signed in"
            for name, value in measure(port, arbiter, target, sign_in, duration=duration).items():
                figures[f"{target.name}_{name}"] = value
    baseline = figures["healthz_p95_ms"]
    for target in targets[1:]:
        figures[f"{target.name}_p95_ratio"] = figures[f"{target.name}_p95_ms"] / baseline
    figures["pages_within_target"] = float(
        all(figures[f"{target.name}_p95_ms"] <= TARGET_P95_MS for target in targets[1:])
    )
    return figures
