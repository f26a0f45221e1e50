"""The notification centre: the header bell, the list, mark read, mark all read, delete.

Only the owner ever sees or changes a notification: every read and write takes
request.user, so another user's id answers 404 exactly like a missing one.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.models import User
from accounts.selectors import signed_in_account
from config.htmx import HtmxHttpRequest, login_redirect, render_htmx, safe_next_url, wants_fragment
from digests import notifications as services
from digests.notification_selectors import (
    notification_for_user,
    notifications_page,
    notifications_unread_count,
)

# The bell listens for this event to refresh at once after a change.
CHANGED_EVENT = "notifications-changed"
# htmx stops polling an element answered with this status.
STOP_POLLING = 286


def _to_login(request: HttpRequest) -> HttpResponse:
    # A POST-only URL is no place to come back to: after logging in, the list is.
    target = request.get_full_path() if request.method == "GET" else reverse("notifications:list")
    return login_redirect(request, next_url=target)


def _next_url(request: HttpRequest) -> str:
    return safe_next_url(
        request, candidate=request.POST.get("next", ""), fallback=reverse("notifications:list")
    )


def _changed(response: HttpResponse) -> HttpResponse:
    return trigger_client_event(response, CHANGED_EVENT)


@never_cache
@require_GET
def notification_bell(request: HtmxHttpRequest) -> HttpResponse:
    """The bell alone, for htmx polling; the count comes from the cache or one COUNT."""
    if signed_in_account(request) is None:
        if wants_fragment(request):
            return HttpResponse(status=STOP_POLLING)
        return _to_login(request)
    return render(request, "partials/_notification_bell.html")


def _list_context(
    *, user: User, show: str, page_number: str | None, next_url: str
) -> dict[str, Any]:
    unread_only = show == "unread"
    return {
        "page": notifications_page(user=user, unread_only=unread_only, page_number=page_number),
        "show": "unread" if unread_only else "all",
        "unread_count": notifications_unread_count(user_id=user.pk),
        "next_url": next_url,
    }


@require_GET
def notification_list(request: HtmxHttpRequest) -> HttpResponse:
    user = signed_in_account(request)
    if user is None:
        return _to_login(request)
    context = _list_context(
        user=user,
        show=request.GET.get("show", ""),
        page_number=request.GET.get("page"),
        next_url=request.get_full_path(),
    )
    return render_htmx(request, "notifications/list.html", context, fragment="list")


@require_POST
def notification_read(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = signed_in_account(request)
    if user is None:
        return _to_login(request)
    if not services.notification_mark_read(user=user, notification_id=pk, now=timezone.now()):
        raise Http404
    next_url = _next_url(request)
    if not wants_fragment(request):
        return HttpResponseRedirect(next_url)
    notification = notification_for_user(user=user, notification_id=pk)
    if notification is None:  # deleted in another tab since
        return _changed(HttpResponse())
    context = {"notification": notification, "next_url": next_url}
    return _changed(render_htmx(request, "notifications/partials/_row.html", context))


@require_POST
def notifications_read_all(request: HtmxHttpRequest) -> HttpResponse:
    user = signed_in_account(request)
    if user is None:
        return _to_login(request)
    services.notifications_mark_all_read(user=user, now=timezone.now())
    next_url = _next_url(request)
    if not wants_fragment(request):
        return HttpResponseRedirect(next_url)
    context = _list_context(
        user=user,
        show=request.POST.get("show", ""),
        page_number=request.POST.get("page"),
        next_url=next_url,
    )
    return _changed(render_htmx(request, "notifications/list.html", context, fragment="list"))


@require_POST
def notification_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = signed_in_account(request)
    if user is None:
        return _to_login(request)
    if not services.notification_delete(user=user, notification_id=pk):
        raise Http404
    if not wants_fragment(request):
        return HttpResponseRedirect(_next_url(request))
    # An empty answer swapped over the row removes it.
    return _changed(HttpResponse())
