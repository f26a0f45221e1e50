"""Liveness and readiness probes.

/healthz answers while the process can serve at all and touches nothing else, so
an orchestrator never restarts a healthy web process because a dependency blinked.
/readyz checks each dependency and names the ones that fail.

Both are answered by a middleware placed before host validation and the HTTPS
redirect: probes come from inside the cluster with arbitrary Host headers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import get_random_string
from kombu import Connection

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 3


def check_database() -> None:
    # A fresh connection, so a pooled connection cannot hide an outage.
    settings_dict = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
    options = dict(settings_dict.get("OPTIONS") or {})
    if settings_dict["ENGINE"].endswith("postgresql"):
        options["connect_timeout"] = PROBE_TIMEOUT_SECONDS
    settings_dict["OPTIONS"] = options
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
        settings_dict, alias="__readiness__"
    )
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        wrapper.close()


def check_cache() -> None:
    cache = caches["default"]
    key = f"readiness:{get_random_string(12)}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def check_broker() -> None:
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options=dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS),
        connect_timeout=PROBE_TIMEOUT_SECONDS,
    ) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0)


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def readiness() -> tuple[bool, dict[str, str]]:
    results: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure means not ready; the kind is logged
            logger.warning("readiness check %s failed: %s", name, type(error).__name__)
            results[name] = "fail"
        else:
            results[name] = "ok"
    return all(value == "ok" for value in results.values()), results


def healthz() -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz() -> JsonResponse:
    ready, results = readiness()
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": results,
        "failing": [name for name, value in results.items() if value != "ok"],
    }
    return JsonResponse(body, status=200 if ready else 503)


class HealthProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in {"GET", "HEAD"}:
            if request.path == "/healthz":
                return self._no_store(healthz())
            if request.path == "/readyz":
                return self._no_store(readyz())
        return self.get_response(request)

    @staticmethod
    def _no_store(response: HttpResponse) -> HttpResponse:
        response["Cache-Control"] = "no-store"
        return response
