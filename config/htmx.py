"""Rendering for pages that htmx may ask for a fragment of, and the one check on
where a form may send the browser back to."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (a boosted one wants it whole)."""
    htmx: HtmxDetails | None = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.boosted


def render_htmx(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page, or its ``fragment`` partial for htmx; caches keep the two apart."""
    name = f"{template}#{fragment}" if fragment and wants_fragment(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def login_redirect(request: HttpRequest, *, next_url: str) -> HttpResponse:
    """To the log-in page, then back to ``next_url``; htmx is told to load it whole
    rather than swap it into a fragment."""
    login = redirect_to_login(next_url)
    return HttpResponseClientRedirect(login.url) if wants_fragment(request) else login


def safe_next_url(request: HttpRequest, *, candidate: str, fallback: str) -> str:
    """``candidate`` when it stays on this site (and on HTTPS when the request is),
    else ``fallback``: a ``next`` parameter must not turn into an open redirect."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback
