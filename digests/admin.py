from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from digests.models import ChannelDigest, Delivery, Digest, Notification


class DeliveryInline(admin.TabularInline[Delivery, Digest]):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Digest | None = None) -> bool:
        return False


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin[Digest]):
    list_display = (
        "user",
        "kind",
        "period_start",
        "period_end",
        "status",
        "item_count",
        "built_at",
    )
    list_filter = ("status", "kind", "frequency", "mode", "period_end")
    search_fields = ("user__email",)
    date_hierarchy = "period_end"
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    # A digest is a record of what was sent: operators read it, the schedule writes it.
    readonly_fields = (
        "user",
        "kind",
        "period_start",
        "period_end",
        "frequency",
        "mode",
        "format",
        "include_summaries",
        "language",
        "timezone",
        "status",
        "item_count",
        "content",
        "created_at",
        "built_at",
    )
    inlines = (DeliveryInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = ("digest", "channel", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "channel")
    search_fields = ("digest__user__email", "last_error")
    list_select_related = ("digest", "digest__user")
    raw_id_fields = ("digest",)
    readonly_fields = (
        "digest",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "messages_sent",
        "last_error",
        "sent_at",
        "created_at",
    )
    actions = ("retry_now",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Retry the selected failed deliveries on the next run"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        # Sent deliveries are never retried: that would send a digest twice.
        changed = queryset.filter(status=Delivery.Status.FAILED).update(
            status=Delivery.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
        )
        self.message_user(
            request,
            ngettext("%d delivery will be retried.", "%d deliveries will be retried.", changed)
            % changed,
            messages.SUCCESS,
        )


@admin.register(ChannelDigest)
class ChannelDigestAdmin(admin.ModelAdmin[ChannelDigest]):
    list_display = ("day", "channel_id", "status", "messages_sent", "attempts", "sent_at")
    list_filter = ("status",)
    readonly_fields = (
        "day",
        "channel_id",
        "status",
        "content",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "messages_sent",
        "last_error",
        "sent_at",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("title", "user", "type", "priority", "created_at", "read_at", "pushed_at")
    list_filter = ("type", "priority", "created_at")
    search_fields = ("title", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    raw_id_fields = ("user", "item", "company")
    readonly_fields = ("dedupe_key", "created_at", "pushed_at")
