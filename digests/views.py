"""The digest history, one digest, "send it now" and the preview of a date range.

Every page is the signed-in user's own: another user's digest is a 404, never
a 403, so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_ratelimit.decorators import ratelimit

from accounts.models import DigestFormat, DigestFrequency, User
from accounts.selectors import preferences_get, request_account
from config.htmx import HtmxHttpRequest, render_htmx, wants_fragment
from digests import selectors, services
from digests.content import DigestContent
from digests.forms import PreviewForm, SendNowForm
from digests.models import Digest
from digests.rendering.common import digest_sections, digest_title, show_summaries
from digests.scheduling import zone_or_utc

HISTORY_PAGE_SIZE = 20
# Each request builds a digest and may send an email and Telegram messages.
SEND_NOW_RATE = "10/h"
PREVIEW_DEFAULT_DAYS = 7


@dataclass(frozen=True)
class HistoryRow:
    digest: Digest
    frequency_label: str


def _frequency_label(value: str) -> str:
    if value in DigestFrequency.values:
        return str(DigestFrequency(value).label)
    return ""


def _history_context(request: HttpRequest, *, user: User, send_form: SendNowForm) -> dict[str, Any]:
    paginator = Paginator(selectors.digests_of_user(user=user), HISTORY_PAGE_SIZE)
    # get_page falls back to the first or last page for a missing, bad or too-high number.
    page = paginator.get_page(request.GET.get("page"))
    return {
        "page": page,
        "rows": [HistoryRow(digest, _frequency_label(digest.frequency)) for digest in page],
        "send_form": send_form,
        "preview_form": PreviewForm(initial=_preview_initial()),
    }


@login_required
@require_GET
def digest_history(request: HtmxHttpRequest) -> HttpResponse:
    context = _history_context(request, user=request_account(request), send_form=SendNowForm())
    return render_htmx(request, "digests/history.html", context, fragment="history")


@login_required
@require_GET
def digest_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    digest = selectors.digest_of_user(user=request_account(request), digest_id=pk)
    if digest is None:
        raise Http404
    content = DigestContent.from_json(digest.content)
    context = {
        "digest": digest,
        "title": digest_title(digest),
        "frequency_label": _frequency_label(digest.frequency),
        "content": content,
        "sections": digest_sections(content=content, site_url="", summaries=show_summaries(digest)),
    }
    return render_htmx(request, "digests/detail.html", context)


@login_required
@require_POST
@ratelimit(key="user", rate=SEND_NOW_RATE, method="POST", block=False, group="digests.send_now")
def digest_send(request: HtmxHttpRequest) -> HttpResponse:
    user = request_account(request)
    form = SendNowForm(request.POST)
    if getattr(request, "limited", False):
        form.add_error(
            None, gettext("You asked for many digests recently. Please try again in an hour.")
        )
        # htmx does not swap error answers, and the message must show.
        response = _send_form_answer(request, user=user, form=form, status=429)
        response["Retry-After"] = "3600"
        return response
    if not form.is_valid():
        return _send_form_answer(request, user=user, form=form, status=400)
    digest = services.digest_send_now(user=user, kind=form.cleaned_data["kind"], now=timezone.now())
    if digest.status == Digest.Status.EMPTY:
        messages.info(request, gettext("Nothing new in this period."))
    else:
        messages.success(request, gettext("Your digest is ready."))
    url = reverse("digests:detail", args=[digest.pk])
    if wants_fragment(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _send_form_answer(
    request: HtmxHttpRequest, *, user: User, form: SendNowForm, status: int
) -> HttpResponse:
    if wants_fragment(request):
        return render_htmx(
            request, "digests/partials/_send_now.html", {"send_form": form}, status=200
        )
    context = _history_context(request, user=user, send_form=form)
    return render_htmx(request, "digests/history.html", context, status=status)


def _preview_initial() -> dict[str, Any]:
    today = timezone.localdate()
    return {"start": today - timedelta(days=PREVIEW_DEFAULT_DAYS - 1), "end": today}


def _preview_summaries(user: User) -> bool:
    preferences = preferences_get(user=user)
    if preferences is None:
        return True
    return preferences.digest_format != DigestFormat.SHORT and preferences.digest_include_summaries


@login_required
@require_GET
def digest_preview_page(request: HtmxHttpRequest) -> HttpResponse:
    user = request_account(request)
    asked = "start" in request.GET or "end" in request.GET
    form = PreviewForm(request.GET if asked else None, initial=_preview_initial())
    context: dict[str, Any] = {"preview_form": form, "sections": None, "content": None}
    if asked and form.is_valid():
        start, end = form.period(zone_or_utc(user.timezone))
        content = selectors.digest_preview(user=user, start=start, end=end)
        context |= {
            "content": content,
            "sections": digest_sections(
                content=content, site_url="", summaries=_preview_summaries(user)
            ),
        }
    return render_htmx(request, "digests/preview.html", context, fragment="preview")
