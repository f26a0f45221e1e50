from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    list_display = (
        "url",
        "owner",
        "is_active",
        "disabled_at",
        "consecutive_failures",
        "created_at",
    )
    list_filter = ("is_active", ("disabled_at", admin.EmptyFieldListFilter))
    search_fields = ("url", "owner__email")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    # The secret signs the owner's deliveries: operators have no need to read it.
    exclude = ("secret",)
    readonly_fields = ("consecutive_failures", "disabled_at", "disabled_reason", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Endpoints get a secret and pass the URL checks only through the owner's forms.
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    """A record of what was sent: read only."""

    list_display = (
        "event_id",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "event")
    search_fields = ("event_id", "endpoint__url", "endpoint__owner__email")
    list_select_related = ("endpoint",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "endpoint",
        "event",
        "event_id",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "duration_ms",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: WebhookDelivery | None = None
    ) -> bool:
        return False
