from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from feeds.models import FeedToken


@admin.register(FeedToken)
class FeedTokenAdmin(admin.ModelAdmin[FeedToken]):
    """Operators see who has a feed URL and may revoke one (delete); only its owner
    can make one, since the secret is shown once, to them."""

    list_display = ("user", "prefix", "created_at", "last_used_at")
    search_fields = ("user__email", "prefix")
    list_select_related = ("user",)
    readonly_fields = ("user", "prefix", "created_at", "last_used_at")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FeedToken | None = None) -> bool:
        return False
