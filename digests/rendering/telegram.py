"""A digest as Telegram messages (HTML parse mode).

Contract for every message returned:

- only the tags Telegram accepts are used (<b>, <i>, <a href>), and every piece
  of text and every attribute is escaped;
- it is at most MESSAGE_LIMIT long, counted in UTF-16 code units of the raw HTML.
  Telegram counts the text after parsing the markup, which is never longer, so
  the check errs on the safe side (emoji count twice, as Telegram counts them);
- it ends between two entries, never inside one, and a message that continues a
  company or category repeats its headers, so each message reads on its own.

An entry too long for a message of its own is shortened, its summary first and
then its title, rather than split.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from digests.content import DigestContent
from digests.models import Digest
from digests.rendering.common import (
    HIGH_PRIORITY_MARK,
    CategoryView,
    CompanyView,
    EntryView,
    digest_language,
    digest_page_url,
    digest_sections,
    digest_title,
    items_note,
    omitted_note,
    period_text,
    show_summaries,
)

MESSAGE_LIMIT = 4096
ELLIPSIS = "…"
# A shortened text ends at a word boundary up to this many characters back.
WORD_SLACK = 20


def telegram_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fits(text: str, limit: int = MESSAGE_LIMIT) -> bool:
    return telegram_length(text) <= limit


def telegram_messages(*, digest: Digest, content: DigestContent, site_url: str) -> list[str]:
    with translation.override(digest_language(digest)):
        # An unsaved digest (the public channel's) has no page; it points at the news.
        page_link = (
            _link(
                digest_page_url(digest=digest, site_url=site_url),
                gettext("Open this digest on the web"),
            )
            if digest.pk
            else _link(site_url.rstrip("/") + reverse("news:list"), gettext("More news on the web"))
        )
        heading = (
            f"<b>📬 {escape(digest_title(digest))}</b>\n"
            f"{escape(period_text(digest))}\n"
            f"{escape(items_note(content.entry_count))}"
        )
        sections = digest_sections(
            content=content, site_url=site_url, summaries=show_summaries(digest)
        )
        if not any(company.categories for company in sections):
            return [f"{heading}\n\n{escape(gettext('Nothing new in this period.'))}\n\n{page_link}"]
        footer = page_link
        if content.omitted:
            footer = f"<i>{escape(omitted_note(content.omitted))}</i>\n{page_link}"
        return _pack(heading=heading, sections=sections, footer=footer)


def _link(url: str, text: str) -> str:
    if not url:
        return escape(text)
    return f'<a href="{escape(url, quote=True)}">{escape(text)}</a>'


def _company_header(company: CompanyView) -> str:
    return f"<b>{escape(company.name)}</b>"


def _category_header(category: CategoryView) -> str:
    return f"{category.emoji} <i>{escape(category.label)}</i>"


def _entry_html(view: EntryView, *, title: str, summary: str, linked: bool = True) -> str:
    line = _link(view.original_url if linked else "", title)
    if view.high_priority:
        line = f"{HIGH_PRIORITY_MARK} {line}"
    details = [escape(note) for note in (view.sources_note, view.source) if note]
    if details:
        line = f"{line} · <i>{' · '.join(details)}</i>"
    return f"{line}\n{escape(summary)}" if summary else line


def _shortened(text: str, length: int) -> str:
    if length >= len(text):
        return text
    cut = text[:length]
    # A longer ``length`` never gives a shorter cut: _longest_prefix relies on it.
    if not text[length].isspace():
        space = cut.rfind(" ")
        if space > 0 and length - space <= WORD_SLACK:
            cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def _longest_prefix(text: str, render: Callable[[str], str], budget: int) -> str | None:
    """The rendering of the longest shortening of ``text`` that fits ``budget``,
    or None when not even one character does. Longer prefixes never render
    shorter, so a binary search finds it."""
    low, high, best = 1, len(text), None
    while low <= high:
        middle = (low + high) // 2
        rendered = render(_shortened(text, middle))
        if _fits(rendered, budget):
            best, low = rendered, middle + 1
        else:
            high = middle - 1
    return best


def _entry_within(view: EntryView, budget: int) -> str:
    full = _entry_html(view, title=view.title, summary=view.summary)
    if _fits(full, budget):
        return full
    if view.summary:
        shortened = _longest_prefix(
            view.summary,
            lambda summary: _entry_html(view, title=view.title, summary=summary),
            budget,
        )
        if shortened is not None:
            return shortened
    shortened = _longest_prefix(
        view.title, lambda title: _entry_html(view, title=title, summary=""), budget
    )
    if shortened is not None:
        return shortened
    # The link or the notes alone fill the message (a pathological URL): keep
    # the title as plain text, which always fits a budget of a few characters.
    shortened = _longest_prefix(view.title, lambda title: escape(title), budget)
    return shortened or ELLIPSIS


def _pack(*, heading: str, sections: list[CompanyView], footer: str) -> list[str]:
    messages: list[str] = []
    current = heading
    # The company and category the last entry of ``current`` belongs to; None
    # at the start of a message, so the next entry brings its headers along.
    open_company: CompanyView | None = None
    open_category: CategoryView | None = None
    has_entries = False

    for company in sections:
        for category in company.categories:
            for view in category.entries:
                separator = "\n\n" if view.summary else "\n"
                if open_company is company and open_category is category:
                    lead = separator
                elif open_company is company:
                    lead = f"\n\n{_category_header(category)}\n"
                else:
                    lead = f"\n\n{_company_header(company)}\n{_category_header(category)}\n"
                block = _entry_html(view, title=view.title, summary=view.summary)
                if _fits(current + lead + block):
                    current += lead + block
                elif not has_entries and _fits(current + lead + ELLIPSIS):
                    # The first message holds only the heading so far: shorten
                    # the entry to go with it rather than leave the heading alone.
                    budget = MESSAGE_LIMIT - telegram_length(current + lead)
                    current += lead + _entry_within(view, budget)
                else:
                    messages.append(current)
                    current = f"{_company_header(company)}\n{_category_header(category)}\n"
                    budget = MESSAGE_LIMIT - telegram_length(current)
                    current += _entry_within(view, budget)
                open_company, open_category, has_entries = company, category, True

    if _fits(f"{current}\n\n{footer}"):
        messages.append(f"{current}\n\n{footer}")
    else:
        messages.extend([current, footer])
    return messages
