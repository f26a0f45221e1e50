import json
import logging

import pytest

from config.log_format import JsonFormatter
from config.request_id import RequestIdLogFilter, current_request_id
from config.sentry import configure_sentry


def test_request_id_is_generated_and_echoed(client):
    response = client.get("/healthz")
    generated = response["X-Request-ID"]
    assert len(generated) == 32

    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"


def test_unsafe_request_ids_are_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


def test_json_log_lines_have_the_agreed_keys():
    record = logging.LogRecord(
        "news.fetching", logging.WARNING, __file__, 1, "hello %s", ("x",), None
    )
    token = current_request_id.set("req-42")
    try:
        RequestIdLogFilter().filter(record)
    finally:
        current_request_id.reset(token)
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["message"] == "hello x"
    assert data["level"] == "WARNING"
    assert data["logger"] == "news.fetching"
    assert data["request_id"] == "req-42"
    assert data["timestamp"].endswith("+00:00")
    assert "\n" not in line


def test_request_id_travels_into_celery_task_headers():
    from config.request_id import _attach_request_id

    headers = {}
    token = current_request_id.set("req-7")
    try:
        _attach_request_id(headers=headers)
    finally:
        current_request_id.reset(token)
    assert headers["request_id"] == "req-7"


# Sentry cannot run here, so its client is replaced: the test checks what we ask of it.
def test_sentry_is_not_initialised_without_a_dsn(monkeypatch):
    calls = []
    monkeypatch.setattr("sentry_sdk.init", lambda **kwargs: calls.append(kwargs))
    assert configure_sentry(dsn="", environment="x", release="", traces_sample_rate=0) is False
    assert calls == []


def test_sentry_is_initialised_without_personal_data(monkeypatch):
    calls = []
    monkeypatch.setattr("sentry_sdk.init", lambda **kwargs: calls.append(kwargs))
    configured = configure_sentry(
        dsn="https://key@sentry.invalid/1",
        environment="production",
        release="abc123",
        traces_sample_rate=0.2,
    )
    assert configured is True
    (kwargs,) = calls
    assert kwargs["send_default_pii"] is False
    assert kwargs["release"] == "abc123"
    assert kwargs["environment"] == "production"
    integrations = {type(item).__name__ for item in kwargs["integrations"]}
    assert {"DjangoIntegration", "CeleryIntegration"} <= integrations


@pytest.mark.django_db
def test_heartbeat_task_records_the_time():
    from django.core.cache import cache

    from config.tasks import BEAT_HEARTBEAT_KEY, beat_heartbeat

    stamp = beat_heartbeat.delay().get()
    assert cache.get(BEAT_HEARTBEAT_KEY) == stamp
