"""OPML import from the Source admin: an "Import OPML" page beside the change list."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext, ngettext

from competitors.models import Source
from feeds import services
from feeds.forms import OpmlImportForm
from feeds.opml import OpmlError


class OpmlImportAdminMixin(admin.ModelAdmin[Source]):
    """Adds the import page to a Source ModelAdmin; needs competitors.add_source."""

    change_list_template = "feeds/admin/source_change_list.html"
    opml_import_template = "feeds/admin/opml_import.html"

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        own = [
            path(
                "import-opml/",
                self.admin_site.admin_view(self.opml_import_view),
                name=f"{prefix}_import_opml",
            ),
        ]
        # Before the inherited patterns: their "<path:object_id>/" would swallow ours.
        return own + super().get_urls()

    def opml_import_view(self, request: HttpRequest) -> TemplateResponse:
        """GET: the upload form. POST: import, then show the report under the form."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = OpmlImportForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
        )
        report = None
        if form.is_valid():
            try:
                report = services.opml_import(data=form.cleaned_data["file"].read())
            except OpmlError as error:
                form.add_error("file", str(error))
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(created)d source created, %(skipped)d already known.",
                        "%(created)d sources created, %(skipped)d already known.",
                        report.created,
                    )
                    % {"created": report.created, "skipped": report.skipped},
                    messages.WARNING if report.errors else messages.SUCCESS,
                )
        return TemplateResponse(
            request,
            self.opml_import_template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "has_view_permission": self.has_view_permission(request),
                "title": gettext("Import sources from OPML"),
                "form": form,
                "report": report,
            },
        )
