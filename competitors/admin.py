from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from competitors import services
from competitors.activity import MAX_COMPARE, MIN_COMPARE
from competitors.admin_discovery import DiscoveryAdminMixin
from competitors.models import Company, SavedComparison, Source
from competitors.selectors import sources_with_health
from feeds.admin_opml import OpmlImportAdminMixin


class SourceInline(admin.TabularInline[Source, Company]):
    model = Source
    extra = 0
    fields = ("url", "name", "kind", "source_type", "status", "last_success_at", "last_error")
    readonly_fields = ("last_success_at", "last_error")
    show_change_link = True


@admin.register(Company)
class CompanyAdmin(DiscoveryAdminMixin, admin.ModelAdmin[Company]):
    list_display = ("name", "segment", "website", "active", "updated_at")
    list_filter = ("segment", "active")
    search_fields = ("name", "slug", "website", "aliases")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (SourceInline,)


@admin.register(Source)
class SourceAdmin(OpmlImportAdminMixin, admin.ModelAdmin[Source]):
    list_display = (
        "__str__",
        "company",
        "kind",
        "source_type",
        "status",
        "last_success_at",
        "consecutive_failures",
        "items_last_7_days",
        "short_error",
        "next_fetch_at",
    )
    list_filter = ("status", "kind", "source_type", "company")
    search_fields = ("url", "name", "company__name", "last_error")
    list_select_related = ("company",)
    readonly_fields = (
        "etag",
        "last_modified",
        "last_fetched_at",
        "last_success_at",
        "consecutive_failures",
        "last_error",
        "created_at",
        "updated_at",
    )
    actions = ("fetch_now", "pause", "reactivate")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return sources_with_health()

    @admin.display(description=_("items (7 days)"), ordering="items_last_7_days")
    def items_last_7_days(self, source: Source) -> int:
        return int(getattr(source, "items_last_7_days", 0))

    @admin.display(description=_("last error"))
    def short_error(self, source: Source) -> str:
        return source.last_error[:80]

    @admin.action(description=_("Fetch now"))
    def fetch_now(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        from news.tasks import source_fetch

        count = 0
        for source in queryset.exclude(status=Source.Status.PAUSED):
            source_fetch.delay_on_commit(source.pk)  # type: ignore[attr-defined]
            count += 1
        self.message_user(
            request,
            ngettext("Queued %d source for fetching.", "Queued %d sources for fetching.", count)
            % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Pause"))
    def pause(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        for source in queryset:
            services.source_pause(source=source)
        self.message_user(request, _("Paused."), messages.SUCCESS)

    @admin.action(description=_("Re-activate (reset failures, fetch soon)"))
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        for source in queryset:
            services.source_reactivate(source=source)
        self.message_user(request, _("Re-activated."), messages.SUCCESS)


class SavedComparisonAdminForm(forms.ModelForm[SavedComparison]):
    class Meta:
        model = SavedComparison
        fields = ("user", "name", "companies", "days", "date_from", "date_to")

    def clean_companies(self) -> QuerySet[Company]:
        companies: QuerySet[Company] = self.cleaned_data["companies"]
        if not MIN_COMPARE <= len(companies) <= MAX_COMPARE:
            raise forms.ValidationError(
                _("Choose from %(min)d to %(max)d companies.")
                % {"min": MIN_COMPARE, "max": MAX_COMPARE}
            )
        return companies


@admin.register(SavedComparison)
class SavedComparisonAdmin(admin.ModelAdmin[SavedComparison]):
    form = SavedComparisonAdminForm
    list_display = ("name", "user", "days", "date_from", "date_to", "updated_at")
    search_fields = ("name", "user__email")
    raw_id_fields = ("user",)
    filter_horizontal = ("companies",)
    list_select_related = ("user",)
