"""Add a competitor by URL from the Company admin: form -> preview -> confirm.

The preview page carries the discovered preview to the confirm step as signed JSON
(django.core.signing, salted and time-limited), so what is created is exactly what was
shown, without a second round of fetching, and a tampered form is refused.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from competitors.discovery import (
    DiscoveryError,
    DiscoveryPreview,
    competitor_create_from_preview,
    competitor_discover,
)
from competitors.models import Company
from news.classification import category_of

PREVIEW_SALT = "competitors.admin_discovery.preview"
PREVIEW_MAX_AGE_SECONDS = 60 * 60


class DiscoverCompanyForm(forms.Form):
    url = forms.URLField(
        label=_("Website"),
        max_length=500,
        assume_scheme="https",
        help_text=_("The company's homepage, e.g. https://acme.com"),
    )


class DiscoveryAdminMixin(admin.ModelAdmin[Company]):
    """Adds the "Add by URL" views to a Company ModelAdmin; needs competitors.add_company."""

    change_list_template = "admin/competitors/company/change_list_with_discovery.html"
    discover_form_template = "admin/competitors/company/discover_form.html"
    discover_preview_template = "admin/competitors/company/discover_preview.html"

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        own = [
            path(
                "discover/",
                self.admin_site.admin_view(self.discover_view),
                name=f"{prefix}_discover",
            ),
            path(
                "discover/confirm/",
                self.admin_site.admin_view(self.discover_confirm_view),
                name=f"{prefix}_discover_confirm",
            ),
        ]
        # Before the inherited patterns: their "<path:object_id>/" would swallow ours.
        return own + super().get_urls()

    def discover_view(self, request: HttpRequest) -> HttpResponse:
        """GET: the URL form. POST: discover the site and show the preview."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DiscoverCompanyForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                preview = competitor_discover(url=form.cleaned_data["url"], categorize=category_of)
            except DiscoveryError as error:
                form.add_error("url", str(error))
            else:
                return self._render(
                    request,
                    self.discover_preview_template,
                    title=gettext("Preview: %(name)s") % {"name": preview.name},
                    preview=preview,
                    signed_preview=signing.dumps(
                        preview.to_dict(), salt=PREVIEW_SALT, compress=True
                    ),
                )
        return self._render(
            request, self.discover_form_template, title=gettext("Add competitor by URL"), form=form
        )

    def discover_confirm_view(self, request: HttpRequest) -> HttpResponse:
        """POST only: create (or merge) the previewed company, then open its change page."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_discover",
            current_app=self.admin_site.name,
        )
        try:
            data = signing.loads(
                request.POST.get("preview", ""), salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE_SECONDS
            )
            preview = DiscoveryPreview.from_dict(data)
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            self.message_user(
                request,
                gettext("The preview expired or was altered; please discover the site again."),
                messages.ERROR,
            )
            return HttpResponseRedirect(form_url)
        company, created = competitor_create_from_preview(preview=preview)
        summary = gettext("Added by URL from %(website)s with %(count)d new source(s).") % {
            "website": preview.website,
            "count": len(created),
        }
        if preview.existing_company_id == company.pk:
            self.log_change(request, company, summary)
        else:
            self.log_addition(request, company, summary)
        self.message_user(request, f"{company.name}: {summary}", messages.SUCCESS)
        if not self.has_view_or_change_permission(request, company):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.admin_site.name))
        return HttpResponseRedirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[company.pk],
                current_app=self.admin_site.name,
            )
        )

    def _render(self, request: HttpRequest, template: str, **context: Any) -> TemplateResponse:
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "has_view_permission": self.has_view_permission(request),
                **context,
            },
        )
