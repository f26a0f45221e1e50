"""Error pages rendered from templates so they carry the site's layout and language."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        from config.api.errors import api_server_error

        return api_server_error(request)
    # No request context: the failure may lie in a context processor or middleware.
    return HttpResponse(render_to_string("500.html"), status=500)
