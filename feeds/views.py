"""The public Atom feed, the OPML download and the feed URL's settings page.

The settings views act on ``request.user`` only; no URL or field names an account.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import conditional_page, require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from accounts.selectors import request_account
from feeds import selectors, services
from feeds.syndication import TRACKED_NEWS_FEED

# Feed readers poll every few minutes; a URL asked for more often than this is a script.
DEFAULT_FEED_RATE = "60/m"
# Readers may reuse a copy this long; the feed changes when sources are fetched.
FEED_MAX_AGE_SECONDS = 5 * 60
# Each new URL revokes the last; nobody needs many an hour.
CREATE_RATE = "20/h"
OPML_CONTENT_TYPE = "text/x-opml; charset=utf-8"


def feed_rate(group: str, request: HttpRequest) -> str:
    return str(getattr(settings, "FEED_RATE", DEFAULT_FEED_RATE))


# ---------------------------------------------------------------- public feed


@require_safe
@ratelimit(key="ip", rate=feed_rate, block=True, group="feeds.atom")
@conditional_page
@cache_control(private=True, max_age=FEED_MAX_AGE_SECONDS)
def atom(request: HttpRequest, secret: str) -> HttpResponse:
    """The Atom feed a secret URL opens, without a session; 404 for any other secret.

    The secret is the credential, so answers are private to the reader that asked,
    and 304 Not Modified when the reader's copy (ETag or Last-Modified) is current.
    """
    token = services.feed_token_use(secret=secret)
    if token is None:
        raise Http404
    with translation.override(token.user.language or settings.LANGUAGE_CODE):
        response = TRACKED_NEWS_FEED(request, token=token)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# ---------------------------------------------------------------- OPML


def opml_response(document: bytes) -> HttpResponse:
    response = HttpResponse(document, content_type=OPML_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="sources.opml"'
    return response


@login_required
@require_safe
def sources_opml(request: HttpRequest) -> HttpResponse:
    """Every source as OPML 2.0, to load into a feed reader."""
    return opml_response(selectors.sources_opml(now=timezone.now()))


# ---------------------------------------------------------------- settings


def _page(request: HttpRequest, *, status: int = 200, **context: Any) -> HttpResponse:
    user = request_account(request)
    return render(
        request,
        "feeds/settings.html",
        {"token": selectors.feed_token_get(user=user), **context},
        status=status,
    )


@login_required
@require_safe
def feed_settings(request: HttpRequest) -> HttpResponse:
    return _page(request)


@never_cache  # the page shows the secret
@login_required
@require_POST
@ratelimit(key="user", rate=CREATE_RATE, method="POST", block=False, group="feeds.create")
def feed_create(request: HttpRequest) -> HttpResponse:
    """A new secret URL, replacing the old one.

    The secret is shown once and stored only hashed, so this POST answers with the
    page that shows it rather than redirecting to a page that could not.
    """
    if getattr(request, "limited", False):
        response = _page(
            request,
            status=429,
            error=gettext("You created many feed URLs recently. Please try again in an hour."),
        )
        response["Retry-After"] = "3600"
        return response
    issued = services.feed_token_issue(user=request_account(request))
    return _page(request, new_url=selectors.feed_url(secret=issued.secret))


@login_required
@require_POST
def feed_revoke(request: HttpRequest) -> HttpResponse:
    if services.feed_token_revoke(user=request_account(request)):
        messages.success(request, gettext("Your feed URL is revoked; feed readers using it stop."))
    else:
        messages.info(request, gettext("You had no feed URL."))
    return redirect("settings:feed")
