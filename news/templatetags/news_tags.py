"""Template filters of the news pages."""

from __future__ import annotations

import html
from typing import Any

from django import template
from django.forms import BoundField
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy
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


@register.simple_tag
def input_field(field: BoundField) -> SafeString:
    """An <input> (text, search, date, checkbox) exactly as Django's widget renders it:
    the same context from the widget, without a template render per field."""
    if _needs_widget(field):
        return mark_safe(str(field))  # noqa: S308
    widget = field.field.widget
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    parts = [f'<input type="{_escape(context["type"])}" name="{_escape(context["name"])}"']
    if context["value"] is not None:
        parts.append(f' value="{_escape(context["value"])}"')
    for name, value in context["attrs"].items():
        if value is True:
            parts.append(f" {name}")
        elif value is not False:
            parts.append(f' {name}="{_escape(value)}"')
    parts.append(">")
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped


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


_CHECK_ICON = mark_safe(
    '<svg class="state-icon" aria-hidden="true" focusable="false" viewBox="0 0 24 24" '
    'width="16" height="16" fill="none" stroke="currentColor" stroke-width="2" '
    'stroke-linecap="round" stroke-linejoin="round"><path d="M20 6 9 17l-5-5"/></svg>'
)
_STAR_ICON = (
    '<svg class="state-icon" aria-hidden="true" focusable="false" viewBox="0 0 24 24" '
    'width="16" height="16" fill="{}" stroke="currentColor" stroke-width="2" '
    'stroke-linejoin="round"><path d="m12 3 2.8 5.7 6.2.9-4.5 4.4 1.1 6.2L12 17.3 6.4 '
    '20.2l1.1-6.2L3 9.6l6.2-.9z"/></svg>'
)
_STATE_FORM = (
    '<form method="post" action="{url}" hx-post="{url}" hx-target="#item-state-{pk}" '
    'hx-swap="outerHTML">\n    {csrf}\n'
    '    <input type="hidden" name="value" value="{value}">\n'
    '    <input type="hidden" name="next" value="{next_url}">\n'
    '    <button type="submit" id="{kind}-{pk}" class="btn btn-sm state-button" '
    'aria-pressed="{pressed}" aria-describedby="item-title-{pk}">\n'
    "      {icon}\n      {label}\n    </button>\n  </form>"
)


@register.simple_tag(takes_context=True)
def state_buttons(
    context: template.Context, item_id: int, read: bool, favourite: bool, next_url: str
) -> SafeString:
    """The read and favourite toggles of one item (news/partials/_state_buttons.html
    says what they do). Written here rather than as a template: every card of a list
    has them, and as an included template they were about 40 % of a card's cost."""
    # As {% csrf_token %} writes it; "NOTPROVIDED" is the value csrf_exempt views get.
    csrf_value: Any = context.get("csrf_token")
    csrf = (
        format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_value)
        if csrf_value and csrf_value != "NOTPROVIDED"
        else ""
    )
    forms = (
        format_html(
            _STATE_FORM,
            url=reverse("news:read", args=[item_id]),
            pk=item_id,
            csrf=csrf,
            value="0" if read else "1",
            next_url=next_url,
            kind="read",
            pressed="true" if read else "false",
            icon=_CHECK_ICON,
            label=gettext("Mark as unread") if read else gettext("Mark as read"),
        ),
        format_html(
            _STATE_FORM,
            url=reverse("news:favourite", args=[item_id]),
            pk=item_id,
            csrf=csrf,
            value="0" if favourite else "1",
            next_url=next_url,
            kind="favourite",
            pressed="true" if favourite else "false",
            icon=format_html(_STAR_ICON, "currentColor" if favourite else "none"),
            label=(
                gettext("Remove from favourites") if favourite else gettext("Add to favourites")
            ),
        ),
    )
    return format_html(
        '<div class="state-buttons" id="item-state-{}">\n  {}\n  {}\n</div>', item_id, *forms
    )
