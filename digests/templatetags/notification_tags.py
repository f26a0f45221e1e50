"""The header bell's unread count, for every page a signed-in user sees."""

from __future__ import annotations

from typing import Any

from django import template

from digests.notification_selectors import notifications_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notification_count(context: dict[str, Any]) -> int:
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    return notifications_unread_count(user_id=user.pk)
