from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from config.metrics.access import metrics_allowed
from config.metrics.collectors import render_metrics

# The exposition format's version 0.0.4, what every Prometheus scrapes.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        raise Http404
    response = HttpResponse(render_metrics(), content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response
