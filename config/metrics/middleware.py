"""Serves allowed /metrics scrapes early and counts every other response.

Placed right after the health probes and before SecurityMiddleware and host
validation: Prometheus scrapes a pod or container by address, over plain HTTP,
with a Host header that is not in ALLOWED_HOSTS, and must not be redirected to
HTTPS or refused as a bad host. A request that may not read the metrics is not
answered here: it goes through the whole stack to the URLconf's view, which
answers with the site's ordinary 404.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.metrics import events
from config.metrics.access import metrics_allowed
from config.metrics.views import metrics

METRICS_PATH = "/metrics"


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == METRICS_PATH:
            if request.method in {"GET", "HEAD"} and metrics_allowed(request):
                return metrics(request)
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        events.http_response_recorded(
            status=response.status_code, seconds=time.perf_counter() - started
        )
        return response
