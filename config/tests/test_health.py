"""Liveness and readiness against real services and real unreachable ports."""

import pytest
from django.db import connections


def test_healthz_answers_without_touching_dependencies(client, settings, closed_port):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        }
    }
    response = client.get("/healthz", HTTP_HOST="internal-probe.invalid")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_is_ok_when_everything_is_up(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
        "failing": [],
    }


@pytest.mark.django_db
def test_readyz_names_the_database_when_it_cannot_be_reached(client, monkeypatch, closed_port):
    settings_dict = connections["default"].settings_dict
    monkeypatch.setitem(settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(settings_dict, "PORT", str(closed_port))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["cache"] == "ok"


@pytest.mark.django_db
def test_readyz_names_cache_and_broker_when_redis_cannot_be_reached(client, settings, closed_port):
    unreachable = f"redis://127.0.0.1:{closed_port}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": unreachable,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    settings.CELERY_BROKER_URL = unreachable
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["cache", "broker"]
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_names_only_the_broker_when_only_the_broker_is_down(client, settings, closed_port):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
