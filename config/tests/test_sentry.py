"""Sentry as configured by config/sentry.py, with the SDK's transport replaced by one
that keeps every envelope in memory: everything up to the network is real."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
from celery import shared_task
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django_celery_beat.schedulers import DatabaseScheduler
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from config.celery_app import app as celery_app
from config.sentry import configure_sentry

DSN = "https://public@sentry.invalid/1"


class _KeptEnvelopes(Transport):
    envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)


def _items(kind: str) -> list[dict[str, Any]]:
    sentry_sdk.flush()
    return [
        item.payload.json
        for envelope in _KeptEnvelopes.envelopes
        for item in envelope.items
        if item.type == kind and item.payload.json is not None
    ]


@pytest.fixture
def sentry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """configure_sentry as production calls it, sending to memory."""
    real_init = sentry_sdk.init
    monkeypatch.setattr(
        sentry_sdk, "init", lambda **kwargs: real_init(transport=_KeptEnvelopes, **kwargs)
    )
    _KeptEnvelopes.envelopes = []
    assert configure_sentry(
        dsn=DSN, environment="staging", release="3f2c1e9d", traces_sample_rate=1.0
    )
    try:
        yield
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)


# ---------------------------------------------------------------- web


def _broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the view broke")


urlpatterns = [path("broken/", _broken_view)]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_view_exception_is_captured_with_release_and_environment(sentry):
    # Through the real WSGI entry point, which is where Sentry starts the transaction.
    environ: dict[str, Any] = {"PATH_INFO": "/broken/", "HTTP_HOST": "testserver"}
    setup_testing_defaults(environ)
    statuses: list[str] = []
    body = get_wsgi_application()(environ, lambda status, headers: statuses.append(status))
    b"".join(body)
    body.close()
    assert statuses == ["500 Internal Server Error"]

    [event] = _items("event")
    assert event["release"] == "3f2c1e9d"
    assert event["environment"] == "staging"
    assert event["exception"]["values"][-1]["value"] == "the view broke"
    assert event["transaction"] == "/broken/"
    # No personal data: no cookies, no user address.
    assert "cookies" not in event.get("request", {})
    assert "ip_address" not in event.get("user", {})
    # Performance: the request was traced too.
    [transaction] = _items("transaction")
    assert transaction["transaction"] == "/broken/"
    assert transaction["release"] == "3f2c1e9d"


# ---------------------------------------------------------------- celery


@shared_task(name="tests.sentry_failing_task")
def _failing_task() -> None:
    raise ValueError("the task broke")


@pytest.mark.django_db
def test_celery_task_failure_is_captured(sentry, settings):
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    celery_app.conf.task_eager_propagates = False
    try:
        result = _failing_task.delay()
    finally:
        celery_app.conf.task_eager_propagates = True
    assert result.failed()

    events = [event for event in _items("event") if event.get("exception")]
    [event] = events
    assert event["exception"]["values"][-1]["value"] == "the task broke"
    assert event["release"] == "3f2c1e9d"
    assert event["environment"] == "staging"
    assert event["tags"]["celery_task_id"] == result.id
    job = event["extra"]["celery-job"]
    assert job["task_name"] == "tests.sentry_failing_task"
    # Task arguments can hold addresses and message bodies: never sent.
    assert job["args"] == job["kwargs"] == "[Filtered]"


# ---------------------------------------------------------------- cron monitors


@pytest.mark.django_db
def test_periodic_tasks_send_cron_check_ins(sentry, settings, monkeypatch):
    from django.core.management import call_command

    call_command("sync_periodic_tasks")
    # Beat closes stale connections between ticks; inside the test's transaction
    # (CONN_MAX_AGE = 0) that would close the one connection the test has.
    monkeypatch.setattr("django_celery_beat.schedulers.close_old_connections", lambda: None)
    scheduler = DatabaseScheduler(app=celery_app, lazy=True)
    entries = scheduler.schedule
    assert set(settings.PERIODIC_TASKS) <= set(entries)

    # What beat would publish, kept instead: the entry as Sentry's wrapper left it.
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        scheduler,
        "apply_async",
        lambda entry, **kwargs: sent.append((entry.task, dict(entry.options.get("headers", {})))),
    )
    for name in settings.PERIODIC_TASKS:
        scheduler.apply_entry(entries[name], producer=None)

    check_ins = _items("check_in")
    assert {check_in["monitor_slug"] for check_in in check_ins} == set(settings.PERIODIC_TASKS)
    assert {check_in["status"] for check_in in check_ins} == {"in_progress"}
    heartbeat = next(c for c in check_ins if c["monitor_slug"] == "platform: beat heartbeat")
    assert heartbeat["monitor_config"]["schedule"] == {
        "type": "interval",
        "value": 1,
        "unit": "minute",
    }
    assert heartbeat["release"] == "3f2c1e9d"
    assert heartbeat["environment"] == "staging"
    # The worker closes the check-in it finds in the task's headers.
    assert len(sent) == len(settings.PERIODIC_TASKS)
    for _, headers in sent:
        assert headers["sentry-monitor-check-in-id"]
        assert headers["sentry-monitor-slug"] in settings.PERIODIC_TASKS


@pytest.mark.django_db
def test_a_finished_periodic_task_closes_its_check_in(sentry):
    from config.tasks import beat_heartbeat

    beat_heartbeat.apply_async(
        headers={
            "sentry-monitor-slug": "platform: beat heartbeat",
            "sentry-monitor-check-in-id": "a" * 32,
            "sentry-monitor-start-timestamp-s": "0",
        }
    ).get()

    [check_in] = _items("check_in")
    assert check_in["check_in_id"] == "a" * 32
    assert check_in["status"] == "ok"


# ---------------------------------------------------------------- off without a DSN


def test_nothing_is_initialised_without_a_dsn(monkeypatch):
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))
    assert configure_sentry(dsn="", environment="x", release="y", traces_sample_rate=1.0) is False
    assert calls == []
    assert sentry_sdk.get_client().is_active() is False


@pytest.mark.django_db
def test_credentials_in_log_lines_and_errors_are_masked(sentry):
    import logging
    import secrets

    token = "aih_" + secrets.token_urlsafe(16)
    other = secrets.token_urlsafe(16)
    password = secrets.token_urlsafe(12)
    logger = logging.getLogger("some.library")
    logger.warning("calling with Authorization: Bearer %s", token)
    try:
        raise RuntimeError(f"refused token={other}")
    except RuntimeError:
        logger.exception("request failed for password=%s", password)

    events = _items("event")
    assert events
    text = repr(events)
    assert token not in text
    assert other not in text
    assert password not in text
    assert "[redacted]" in text


def test_no_request_bodies_or_local_variables_are_sent(sentry):
    options = sentry_sdk.get_client().options
    assert options["include_local_variables"] is False
    assert options["max_request_body_size"] == "never"
    assert options["send_default_pii"] is False
