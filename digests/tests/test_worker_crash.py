"""A real Celery worker killed in the middle of sending a digest.

The worker runs as its own process on Redis and the test database; the email
goes to a local SMTP sink that stalls the first message, and the test kills
the worker with SIGKILL while the message is half-delivered. A second worker
then runs the beat task. The user must end up with one digest and one email.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import Preferences
from accounts.tests.factories import UserFactory
from config.celery_app import app
from digests import services
from digests.models import Delivery, Digest
from digests.tasks import digest_build_task, dispatch_due
from digests.tests.smtp_sink import SmtpSink
from news.models import NewsItem
from news.tests.factories import NewsItemFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 2


@contextmanager
def celery_worker(*, queue: str, sink: SmtpSink) -> Iterator[subprocess.Popen[bytes]]:
    """A worker process on its own queue (so parallel test runs never share it)."""
    database = connection.settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "TEST_REDIS_URL": settings.TEST_REDIS_URL,
        "TEST_EMAIL_URL": sink.url,
        "DIGEST_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "-n",
            f"{queue}@%h",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the worker did not start")
        yield worker
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(30)


def wait_for(condition, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


@pytest.fixture
def publishing() -> Iterator[None]:
    """Tasks from this test go to the broker instead of running inline."""
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True


def test_killed_worker_mid_send_gives_one_digest_and_one_email(sink, publishing):
    queue = f"digests-crash-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    user = UserFactory()
    preferences, _ = Preferences.objects.get_or_create(user=user)
    preferences.digest_time = clock(0, 0)
    preferences.save()
    Preferences.objects.filter(pk=preferences.pk).update(next_digest_at=now - timedelta(minutes=1))
    claim = services.digests_claim_due(now=now)
    (digest_id,) = claim.digest_ids
    item = NewsItemFactory(title="Acme ships a model")
    period_start = Digest.objects.get(pk=digest_id).period_start
    NewsItem.objects.filter(pk=item.pk).update(fetched_at=period_start + timedelta(hours=1))
    sink.hang_next_message()

    with celery_worker(queue=queue, sink=sink) as worker:
        digest_build_task.apply_async((digest_id,), queue=queue)
        assert sink.stalled.wait(60), "the worker never reached the mail server"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)

    delivery = Delivery.objects.get(digest_id=digest_id)
    assert delivery.status == Delivery.Status.SENDING
    assert sink.messages == []

    time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's lease runs out
    with celery_worker(queue=queue, sink=sink):
        # The beat task as scheduled, twice: a duplicate beat must change nothing.
        dispatch_due.apply_async(queue=queue)
        dispatch_due.apply_async(queue=queue)
        wait_for(lambda: Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.SENT)
        time.sleep(1)

    assert Digest.objects.filter(user=user).count() == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert [message["To"] for message in sink.messages] == [user.email]
