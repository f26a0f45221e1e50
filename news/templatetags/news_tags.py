"""Template filters of the news pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template
from django.forms import BoundField
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django_stubs_ext import StrOrPromise

from news import categories
from news.models import NewsItem
from news.priority import PriorityLevel, priority_level
from news.sanitizing import sanitize_html
from news.selectors import highlighted_snippet

register = template.Library()


@register.filter
def category_label(value: str | None) -> StrOrPromise:
    return categories.category_label(value)


@register.filter
def category_emoji(value: str | None) -> str:
    return categories.category_emoji(value)


@register.filter
def category_slug(value: str | None) -> str:
    """The category page's URL value: "other" for uncategorised items."""
    return value if value and value in categories.Category.values else "other"


@register.filter
def priority(score: float | None) -> PriorityLevel:
    return priority_level(score or 0.0)


@register.filter
def initials(name: str | None) -> str:
    """Up to two letters standing for a company without a logo."""
    words = [word for word in (name or "").replace("-", " ").split() if word[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[1][0]).upper()


@register.filter
def host(url: str | None) -> str:
    try:
        hostname = urlsplit(url or "").hostname or ""
    except ValueError:
        return ""
    return hostname.removeprefix("www.")


@register.filter
def source_label(item: NewsItem) -> str:
    """The name of the item's source, else the host it was published on."""
    if item.source is not None and item.source.name:
        return item.source.name
    return host(item.url) or (host(item.source.url) if item.source is not None else "")


@register.filter
def snippet_html(snippet: str | None) -> SafeString:
    # highlighted_snippet escapes the text before adding <mark>; nothing else is trusted.
    return mark_safe(highlighted_snippet(snippet or ""))  # noqa: S308


@register.filter
def sanitized_html(html: str | None, base_url: str | None = None) -> SafeString:
    """Stored content HTML, sanitised again at render time.

    Ingestion already sanitises it; repeating the (idempotent, fast) allowlist here
    means a row written by any other path (admin, imports, old data) is still safe.
    """
    return mark_safe(sanitize_html(html or "", base_url=base_url or None))  # noqa: S308


@register.simple_tag
def select_options(field: BoundField) -> SafeString:
    """The <option>s of a multiple-choice field, selected ones marked.

    Written here rather than through Django's widget templates or a template loop:
    the company filter has an option per company, and either costs milliseconds a page.
    """
    selected = {str(value) for value in field.value() or ()}
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if str(value) in selected else "", label)
            for value, label in getattr(field.field, "choices", ())
        ),
    )
