"""What every channel shows of a digest, in one shape: headings, the period, and
the company → category → entry sections with their links resolved.

Call these inside ``translation.override`` for the reader's language: labels
are turned into plain strings here, so the caller's active language is the one
they come out in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext, ngettext

from accounts.models import DigestFormat, DigestFrequency
from digests.content import DigestContent, DigestEntry
from digests.models import Digest
from digests.scheduling import zone_or_utc
from news.categories import category_emoji, category_label

HIGH_PRIORITY_MARK = "❗"
DASH = "\N{EN DASH}"
# Source names come from feeds; a runaway one must not crowd out the title.
SOURCE_CHARS = 80


@dataclass(frozen=True)
class EntryView:
    entry: DigestEntry
    title: str
    summary: str
    source: str
    # Empty when the original is not an http(s) address: such a link is never shown.
    original_url: str
    page_url: str
    high_priority: bool
    sources_note: str  # "+2 sources", or ""


@dataclass(frozen=True)
class CategoryView:
    value: str
    emoji: str
    label: str
    entries: list[EntryView]


@dataclass(frozen=True)
class CompanyView:
    name: str
    slug: str
    categories: list[CategoryView]


def digest_language(digest: Digest) -> str:
    return digest.language or settings.LANGUAGE_CODE


def show_summaries(digest: Digest) -> bool:
    return digest.format != DigestFormat.SHORT and digest.include_summaries


def safe_link(url: str) -> str:
    """``url`` when it is an absolute http(s) address, else "": a feed could hand
    us ``javascript:`` or a relative path, and neither may become a link."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in {"http", "https"} and parts.netloc else ""


def digest_page_url(*, digest: Digest, site_url: str) -> str:
    return site_url.rstrip("/") + reverse("digests:detail", args=[digest.pk])


def digest_settings_url(*, site_url: str) -> str:
    return site_url.rstrip("/") + reverse("settings:index") + "#digests"


def sources_note(extra_sources: int) -> str:
    if extra_sources <= 0:
        return ""
    return ngettext("+%(count)d source", "+%(count)d sources", extra_sources) % {
        "count": extra_sources
    }


def items_note(count: int) -> str:
    return ngettext("%(count)d item", "%(count)d items", count) % {"count": count}


def omitted_note(count: int) -> str:
    return ngettext(
        "%(count)d more matching item was left out to keep the digest short.",
        "%(count)d more matching items were left out to keep the digest short.",
        count,
    ) % {"count": count}


def company_heading(name: str) -> str:
    return name or gettext("Other news")


def digest_title(digest: Digest) -> str:
    if digest.frequency == DigestFrequency.DAILY:
        return gettext("Your daily digest")
    if digest.frequency == DigestFrequency.WEEKLY:
        return gettext("Your weekly digest")
    return gettext("Your digest")


def _local(value: datetime, digest: Digest) -> datetime:
    return value.astimezone(zone_or_utc(digest.timezone))


def _moment(value: datetime) -> str:
    return f"{date_format(value, 'DATE_FORMAT')}, {time_format(value, 'TIME_FORMAT')}"


def period_text(digest: Digest) -> str:
    """The period in the digest's time zone, with the zone's name; the end date
    is left out when the period starts and ends on the same day."""
    start, end = _local(digest.period_start, digest), _local(digest.period_end, digest)
    if start.date() == end.date():
        span = f"{_moment(start)} {DASH} {time_format(end, 'TIME_FORMAT')}"
    else:
        span = f"{_moment(start)} {DASH} {_moment(end)}"
    return f"{span} ({digest.timezone})"


def subject_date(digest: Digest) -> str:
    return date_format(_local(digest.period_end, digest), "DATE_FORMAT")


def _entry_view(entry: DigestEntry, *, site_url: str, summaries: bool) -> EntryView:
    source = entry.source.strip()
    if len(source) > SOURCE_CHARS:
        source = source[: SOURCE_CHARS - 1].rstrip() + "…"
    return EntryView(
        entry=entry,
        title=entry.title.strip() or gettext("(untitled)"),
        summary=entry.summary.strip() if summaries else "",
        source=source,
        original_url=safe_link(entry.url),
        page_url=site_url.rstrip("/") + reverse("news:detail", args=[entry.item_id]),
        high_priority=entry.priority == "high",
        sources_note=sources_note(entry.extra_sources),
    )


def digest_sections(*, content: DigestContent, site_url: str, summaries: bool) -> list[CompanyView]:
    """The content with labels in the active language and links made absolute
    against ``site_url`` (pass "" for links relative to this site)."""
    return [
        CompanyView(
            name=company_heading(group.company_name),
            slug=group.company_slug,
            categories=[
                CategoryView(
                    value=category.category,
                    emoji=category_emoji(category.category),
                    label=str(category_label(category.category)),
                    entries=[
                        _entry_view(entry, site_url=site_url, summaries=summaries)
                        for entry in category.entries
                    ],
                )
                for category in group.categories
                if category.entries
            ],
        )
        for group in content.groups
        if group.entry_count
    ]
