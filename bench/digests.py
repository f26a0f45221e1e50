"""Digests for 10,000 users: build each one, keep it for the web, email it to a local SMTP sink.

The data: 200 companies, 20,000 items first seen in the last 24 hours (a third of
them in stories of three), and 10,000 users who are all due at the same minute,
half in "all" mode and half tracking ten companies, a few categories and a
keyword. `digests_run_due` then does what the beat task and its workers do, in
one process: claim, build, store, send. The SMTP sink (aiosmtpd) runs in its own
process so it does not share this one's interpreter.

The naive baseline builds and sends digests for a sample of the same users the
obvious way: every item of the period loaded, then company, source, story and
mentions read item by item (lazy foreign keys), filtered and ranked in Python.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import timed

USERS = int(os.environ.get("BENCH_DIGEST_USERS", "10000"))
COMPANIES = 200
ITEMS = 20_000
# Older items around the period, as in a deployment that has run for a while.
OLDER_ITEMS = 40_000
OLDER_DAYS = 60
ITEMS_PER_STORY = 3
STORY_SHARE = 3  # one item in STORY_SHARE belongs to a story
TRACKED_PER_USER = 10
KEYWORDS = ("gpu", "pricing", "agents", "safety", "funding")
KEYWORD_EVERY = 20
# Half of them in "all" mode, whose naive build reads every item of the day.
NAIVE_SAMPLE = int(os.environ.get("BENCH_DIGEST_NAIVE_SAMPLE", "4"))
# One user in NARROW_EVERY follows one company in one category: their digests are
# a handful of entries, so query counts can be compared across digest sizes.
NARROW_EVERY = 100
DUE_AT = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _smtp_sink() -> Iterator[int]:
    """aiosmtpd's own server with its discarding handler, in a separate process."""
    port = _free_port()
    sink = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or sink.poll() is not None:
                    raise RuntimeError("the SMTP sink did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        sink.terminate()
        sink.wait(10)


def _load(pick: random.Random) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from accounts.models import Preferences, User
    from competitors.models import Company, Source
    from news.categories import Category
    from news.models import NewsItem, Story

    companies = Company.objects.bulk_create(
        Company(
            name=f"Digest Lab {n}", slug=f"digest-lab-{n}", website=f"https://dl{n}.example.com"
        )
        for n in range(COMPANIES)
    )
    sources = Source.objects.bulk_create(
        Source(company=company, name=f"{company.name} blog", url=f"https://dl{n}.example.com/feed")
        for n, company in enumerate(companies)
    )
    stories = Story.objects.bulk_create(
        Story(title=f"Story {n}", item_count=ITEMS_PER_STORY)
        for n in range(ITEMS // STORY_SHARE // ITEMS_PER_STORY)
    )
    vocabulary = [f"term{n}" for n in range(3000)]
    start = DUE_AT - timedelta(days=1)
    items = []
    for n in range(ITEMS):
        source = sources[pick.randrange(COMPANIES)]
        seen = start + timedelta(seconds=pick.uniform(0, 86_399))
        in_story = n < len(stories) * ITEMS_PER_STORY
        items.append(
            NewsItem(
                # One item in KEYWORD_EVERY names a keyword users follow.
                title=f"Digest Lab {source.company_id} news {n}"
                + (f" on {pick.choice(KEYWORDS)}" if n % KEYWORD_EVERY == 0 else ""),
                url=f"https://dl{source.company_id}.example.com/post/{n}",
                source=source,
                company_id=source.company_id,
                source_type=source.source_type,
                published_at=seen,
                fetched_at=seen,
                summary=" ".join(pick.choice(vocabulary) for _ in range(40)),
                category=pick.choice(Category.values),
                priority_score=round(pick.random(), 3),
                story=stories[n // ITEMS_PER_STORY] if in_story else None,
                analysed_at=seen,
            )
        )
    for n in range(OLDER_ITEMS):
        source = sources[pick.randrange(COMPANIES)]
        seen = start - timedelta(seconds=pick.uniform(0, OLDER_DAYS * 86_400))
        items.append(
            NewsItem(
                title=f"Digest Lab {source.company_id} archive {n}",
                url=f"https://dl{source.company_id}.example.com/archive/{n}",
                source=source,
                company_id=source.company_id,
                source_type=source.source_type,
                published_at=seen,
                fetched_at=seen,
                summary=" ".join(pick.choice(vocabulary) for _ in range(40)),
                category=pick.choice(Category.values),
                priority_score=round(pick.random(), 3),
                analysed_at=seen,
            )
        )
    NewsItem.objects.bulk_create(items, batch_size=2000)
    password = make_password("bench-password")
    users = User.objects.bulk_create(
        (
            User(email=f"reader{n}@example.com", password=password, is_verified=True)
            for n in range(USERS)
        ),
        batch_size=2000,
    )
    preferences = Preferences.objects.bulk_create(
        (
            Preferences(
                user=user,
                digest_mode="all" if n % 2 else "tracked",
                categories=pick.sample(Category.values, 1 if n % NARROW_EVERY == 0 else 3),
                keywords=[] if n % NARROW_EVERY == 0 else [pick.choice(KEYWORDS)],
                digest_channels=["email"],
                next_digest_at=DUE_AT,
            )
            for n, user in enumerate(users)
        ),
        batch_size=2000,
    )
    through = Preferences.tracked_companies.through
    through.objects.bulk_create(
        (
            through(preferences_id=row.pk, company_id=company.pk)
            for n, row in enumerate(preferences)
            for company in pick.sample(companies, 1 if n % NARROW_EVERY == 0 else TRACKED_PER_USER)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would after a load this size


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _naive_digest(user_id: int) -> int:
    """One user's digest built and sent the obvious way; returns the entries sent.

    The same selection as the real build, then every matching item loaded and its
    company, source, story and mentions read one by one (lazy relations), ranked in
    Python, and the same email renderer and SMTP send.
    """
    from accounts.models import Preferences, User
    from digests.building import (
        MAX_ENTRIES,
        interests_of,
        keyword_hits,
        selected_items,
    )
    from digests.content import CategoryGroup, CompanyGroup, DigestContent, DigestEntry
    from digests.models import Digest
    from digests.rendering.email import digest_email

    user = User.objects.get(pk=user_id)
    interests = interests_of(preferences=Preferences.objects.get(user=user))
    start, end = DUE_AT - timedelta(days=1), DUE_AT
    scored = []
    for item in selected_items(interests=interests, start=start, end=end):
        mentioned = {company.pk for company in item.mentioned_companies.all()}
        tracked = item.company_id in interests.company_ids or bool(
            mentioned & interests.company_ids
        )
        hits = keyword_hits(text=f"{item.title}\n{item.summary}", keywords=interests.keywords)
        score = 0.4 * item.priority_score + 0.2 * tracked + 0.15 * min(hits, 2) / 2
        scored.append((score, item, item.company, item.source, item.story))
    scored.sort(key=lambda each: -each[0])
    entries = [
        (
            company,
            DigestEntry(
                item_id=item.pk,
                title=item.title,
                url=item.url,
                summary=item.summary[:280],
                source=source.name if source else "",
                published_at=item.published_at.isoformat(),
                priority="medium",
                score=score,
                extra_sources=(story.item_count - 1) if story else 0,
            ),
        )
        for score, item, company, source, story in scored[:MAX_ENTRIES]
    ]
    content = DigestContent(
        groups=[
            CompanyGroup(
                company_id=company.pk if company else None,
                company_name=company.name if company else "",
                company_slug=company.slug if company else "",
                categories=[CategoryGroup(category="", entries=[entry])],
            )
            for company, entry in entries
        ]
    )
    digest = Digest.objects.filter(user=user).first()
    assert digest is not None
    digest_email(digest=digest, content=content, site_url="http://bench", to=user.email).send()
    return len(entries)


def _queries_for_build(digest_id: int) -> int:
    from django.db import connection

    from digests import services
    from digests.models import Delivery, Digest

    Delivery.objects.filter(digest_id=digest_id).delete()
    Digest.objects.filter(pk=digest_id).update(status=Digest.Status.PENDING)
    counter = _QueryCounter()
    with connection.execute_wrapper(counter):
        services.digest_build(digest_id=digest_id, now=DUE_AT)
    return counter.count


def run() -> dict[str, float]:
    from django.conf import settings
    from django.db import connection

    from digests import services
    from digests.models import Delivery, Digest

    pick = random.Random(6)
    load_s, _ = timed(lambda: _load(pick))
    with _smtp_sink() as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        counter = _QueryCounter()
        with connection.execute_wrapper(counter):
            seconds, report = timed(
                lambda: services.digests_run_due(now=DUE_AT + timedelta(minutes=1))
            )
        sample = list(
            Digest.objects.order_by("pk").values_list("user_id", flat=True)[:NAIVE_SAMPLE]
        )
        naive_s, _ = timed(lambda: [_naive_digest(user_id) for user_id in sample])
    sent = Delivery.objects.filter(status=Delivery.Status.SENT).count()
    if report.due != USERS or sent != USERS:
        raise RuntimeError(f"expected {USERS} digests sent, got due={report.due} sent={sent}")
    smallest = Digest.objects.order_by("item_count", "pk").first()
    largest = Digest.objects.order_by("-item_count", "pk").first()
    assert smallest is not None
    assert largest is not None
    per_user_ms = seconds / USERS * 1000
    naive_per_user_ms = naive_s / len(sample) * 1000
    return {
        "users": USERS,
        "items_in_period": ITEMS,
        "load_s": load_s,
        "run_due_s": seconds,
        "per_user_ms": per_user_ms,
        "queries_per_user": counter.count / USERS,
        "digests_built": report.built,
        "emails_sent": sent,
        "build_queries_smallest_digest": _queries_for_build(smallest.pk),
        "smallest_digest_entries": smallest.item_count,
        "build_queries_largest_digest": _queries_for_build(largest.pk),
        "largest_digest_entries": largest.item_count,
        "naive_sample_users": len(sample),
        "naive_per_user_ms": naive_per_user_ms,
        "speedup_vs_naive": naive_per_user_ms / per_user_ms,
    }
