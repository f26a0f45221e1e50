"""The Telegram section of the settings page, rendered where the page includes it.

A tag rather than an include, so the settings view need not know what the section
shows: the section asks its own selector.
"""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import User
from telegram_bot import selectors

register = template.Library()


@register.inclusion_tag("settings/_telegram.html", takes_context=True)
def telegram_settings_section(context: template.Context) -> dict[str, Any]:
    user = context["request"].user
    if not isinstance(user, User):  # the settings page is for signed-in users only
        raise TypeError("a signed-in user is required")
    return {
        "telegram": selectors.telegram_settings_get(user=user),
        # The section's forms need it, and an inclusion tag starts a fresh context.
        "csrf_token": context.get("csrf_token"),
    }
