from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from news.models import ClassificationRule, NewsItem, PriorityWeights, Story


@admin.register(NewsItem)
class NewsItemAdmin(admin.ModelAdmin[NewsItem]):
    list_display = (
        "title",
        "company",
        "source_type",
        "category",
        "priority_score",
        "published_at",
        "published_at_estimated",
    )
    list_filter = ("company", "source_type", "category", "published_at_estimated", "published_at")
    search_fields = ("title", "summary", "url")
    date_hierarchy = "published_at"
    list_select_related = ("company", "source")
    raw_id_fields = ("source", "story")
    autocomplete_fields = ("company",)
    filter_horizontal = ("mentioned_companies",)
    readonly_fields = ("fetched_at",)
    actions = ("reclassify_selected",)

    @admin.action(description=_("Reclassify selected items now"))
    def reclassify_selected(self, request: HttpRequest, queryset: QuerySet[NewsItem]) -> None:
        from news.reclassification import news_items_reclassify

        changed = news_items_reclassify(item_ids=list(queryset.values_list("id", flat=True)))
        self.message_user(
            request,
            ngettext("%d item changed.", "%d items changed.", changed) % changed,
            messages.SUCCESS,
        )


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin[Story]):
    list_display = ("title", "item_count", "first_seen_at", "last_seen_at")
    search_fields = ("title",)
    date_hierarchy = "first_seen_at"


@admin.register(ClassificationRule)
class ClassificationRuleAdmin(admin.ModelAdmin[ClassificationRule]):
    list_display = (
        "pattern",
        "category",
        "kind",
        "field",
        "source_type",
        "weight",
        "active",
        "updated_at",
    )
    # list_editable saves each changed row through the model, so post_save
    # invalidates the compiled rules just as the change form does.
    list_editable = ("weight", "active")
    list_filter = ("category", "kind", "field", "source_type", "active")
    search_fields = ("pattern", "note")
    list_per_page = 200
    readonly_fields = ("created_at", "updated_at")
    actions = ("apply_to_existing_items",)

    @admin.action(description=_("Apply the current rules to all stored items (in the background)"))
    def apply_to_existing_items(
        self, request: HttpRequest, queryset: QuerySet[ClassificationRule]
    ) -> None:
        from news.tasks import reclassify_items

        reclassify_items.delay_on_commit()  # type: ignore[attr-defined]
        self.message_user(
            request,
            _("Reclassification queued: stored items are being updated in batches."),
            messages.SUCCESS,
        )

    fieldsets = (
        (None, {"fields": ("category", "pattern", "kind", "field", "weight", "active")}),
        (_("Scope"), {"fields": ("source_type",)}),
        (_("Notes"), {"fields": ("note", "created_at", "updated_at")}),
    )


@admin.register(PriorityWeights)
class PriorityWeightsAdmin(admin.ModelAdmin[PriorityWeights]):
    """The single row: added only while missing, never deleted (load() would fall back
    to the defaults silently)."""

    list_display = ("__str__", "classification_threshold", "recency_half_life_hours", "updated_at")
    readonly_fields = ("updated_at",)
    fieldsets = (
        (
            _("Priority components"),
            {
                "fields": (
                    "category_component",
                    "source_component",
                    "coverage_component",
                    "recency_component",
                )
            },
        ),
        (
            _("Component inputs"),
            {
                "fields": (
                    "category_weights",
                    "source_type_weights",
                    "recency_half_life_hours",
                    "coverage_saturation",
                )
            },
        ),
        (_("Classification"), {"fields": ("classification_threshold", "updated_at")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not PriorityWeights.objects.exists()

    def has_delete_permission(
        self, request: HttpRequest, obj: PriorityWeights | None = None
    ) -> bool:
        return False
