"""Settings → Webhooks: the user's endpoints, each with its recent deliveries,
and the forms that add, test, re-enable, rotate and delete them.

Every action takes request.user: another user's endpoint id answers 404
exactly like a missing one. Each POST redirects back to the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import request_account
from webhooks import selectors, services
from webhooks.forms import WebhookEndpointForm
from webhooks.models import WebhookEndpoint


def _page_url() -> str:
    return reverse("settings:webhooks:index")


def _owned(request: HttpRequest, pk: int) -> WebhookEndpoint:
    endpoint = selectors.webhook_endpoint_of_user(user=request_account(request), endpoint_id=pk)
    if endpoint is None:
        raise Http404
    return endpoint


@login_required
@require_http_methods(["GET", "POST"])
def webhook_index(request: HttpRequest) -> HttpResponse:
    user = request_account(request)
    form = WebhookEndpointForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_endpoint_create(
                owner=user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except services.TooManyEndpointsError:
            form.add_error(
                None,
                _("You already have %(count)d webhook endpoints.")
                % {"count": services.MAX_ENDPOINTS_PER_USER},
            )
        else:
            messages.success(request, _("Webhook endpoint added."))
            return HttpResponseRedirect(_page_url())
    endpoints = list(selectors.webhook_endpoints_of_user(user=user))
    recent = selectors.webhook_recent_deliveries(endpoint_ids=[e.pk for e in endpoints])
    context = {
        "form": form,
        "rows": [(endpoint, recent.get(endpoint.pk, [])) for endpoint in endpoints],
        "max_endpoints": services.MAX_ENDPOINTS_PER_USER,
    }
    status = 400 if form.is_bound else 200
    return render(request, "webhooks/index.html", context, status=status)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.webhook_endpoint_delete(owner=request_account(request), endpoint_id=pk):
        raise Http404
    messages.success(request, _("Webhook endpoint deleted."))
    return HttpResponseRedirect(_page_url())


@login_required
@require_POST
def webhook_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    services.webhook_endpoint_rotate_secret(endpoint=_owned(request, pk))
    messages.success(request, _("A new signing secret is in use. Update your receiver."))
    return HttpResponseRedirect(f"{_page_url()}#webhook-{pk}")


@login_required
@require_POST
def webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    services.webhook_endpoint_enable(endpoint=_owned(request, pk))
    messages.success(request, _("Webhook endpoint enabled."))
    return HttpResponseRedirect(f"{_page_url()}#webhook-{pk}")


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    services.webhook_ping_queue(endpoint=_owned(request, pk), now=timezone.now())
    messages.success(
        request, _("A test delivery is on its way. Reload the page to see how it went.")
    )
    return HttpResponseRedirect(f"{_page_url()}#webhook-{pk}")
