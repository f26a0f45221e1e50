"""Template filters of the news pages."""

from __future__ import annotations

import html

from django import template
from django.forms import BoundField
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from news import categories, display
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


register.filter("category_slug", categories.category_slug)


@register.filter
def priority(score: float | None) -> PriorityLevel:
    return priority_level(score or 0.0)


register.filter("initials", display.initials)
register.filter("host", display.host)
register.filter("source_label", display.source_label)


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


def _escape(value: object) -> str:
    """conditional_escape without its lazy-object wrapper: safe strings stay as they are."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


@register.simple_tag
def select_options(field: BoundField) -> SafeString:
    """The <option>s of a multiple-choice field, selected ones marked.

    Written here rather than through Django's widget templates or a template loop:
    the company filter has an option per company, and either costs milliseconds a page.
    """
    selected = {str(value) for value in field.value() or ()}
    return mark_safe(  # noqa: S308 - every value and label is escaped
        "".join(
            f'<option value="{_escape(value)}"'
            f"{' selected' if str(value) in selected else ''}>{_escape(label)}</option>"
            for value, label in getattr(field.field, "choices", ())
        )
    )


def _plain_choices(field: BoundField) -> list[tuple[str, str]] | None:
    """The field's choices as escaped (value, label) strings; None when grouped."""
    pairs = []
    for value, label in getattr(field.field, "choices", ()):
        if isinstance(label, list | tuple):
            return None
        pairs.append((_escape(value), _escape(label)))
    return pairs


def _needs_widget(field: BoundField) -> bool:
    # Errors, help text, required or disabled add attributes only Django's widget
    # templates know how to place; the filter form normally has none of them.
    return bool(field.errors or field.help_text or field.field.required or field.field.disabled)


@register.simple_tag
def select_field(field: BoundField) -> SafeString:
    """A <select> (single or multiple) exactly as Django's Select widgets render it.

    The filter form's selects are rendered on every news page; going through the
    widget templates costs a template render per option.
    """
    pairs = _plain_choices(field)
    if pairs is None or _needs_widget(field):
        return mark_safe(str(field))  # noqa: S308
    multiple = bool(getattr(field.field.widget, "allow_multiple_selected", False))
    value = field.value()
    if value is None:
        wanted = set() if multiple else {""}
    elif isinstance(value, list | tuple):
        wanted = {"" if v is None else str(v) for v in value}
    else:
        wanted = {str(value)}
    wanted = {_escape(v) for v in wanted}
    parts = [
        f'<select name="{_escape(field.html_name)}"'
        f' id="{_escape(field.auto_id)}"{" multiple" if multiple else ""}>'
    ]
    has_selected = False
    for value_html, label_html in pairs:
        selected = value_html in wanted and (multiple or not has_selected)
        has_selected = has_selected or selected
        parts.append(
            f'\n  <option value="{value_html}"{" selected" if selected else ""}>'
            f"{label_html}</option>\n"
        )
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308


@register.simple_tag
def checkbox_group(field: BoundField) -> SafeString:
    """Checkboxes exactly as Django's CheckboxSelectMultiple renders them."""
    pairs = _plain_choices(field)
    if pairs is None or _needs_widget(field):
        return mark_safe(str(field))  # noqa: S308
    wanted = {_escape(str(v)) for v in field.value() or ()}
    name = _escape(field.html_name)
    base_id = _escape(field.auto_id)
    parts = [f'<div id="{base_id}">']
    for index, (value_html, label_html) in enumerate(pairs):
        option_id = f"{base_id}_{index}"
        checked = " checked" if value_html in wanted else ""
        parts.append(
            f'<div>\n    <label for="{option_id}"><input type="checkbox" name="{name}"'
            f' value="{value_html}" id="{option_id}"{checked}>\n {label_html}</label>\n\n</div>'
        )
    parts.append("\n</div>")
    return mark_safe("".join(parts))  # noqa: S308


_PRIORITY_LABELS = {
    "high": gettext_lazy("High priority"),
    "medium": gettext_lazy("Medium priority"),
    "low": gettext_lazy("Low priority"),
}


@register.simple_tag
def priority_badge(score: float) -> SafeString:
    """The badge of an item's priority level, on cards and item pages alike."""
    level = priority_level(score)
    return format_html(
        '<span class="badge badge-priority-{}">{}</span>', level, _PRIORITY_LABELS[level]
    )
