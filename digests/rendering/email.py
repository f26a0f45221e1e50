"""A digest as an email: a plain-text body with an HTML alternative."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from digests.content import DigestContent
from digests.models import Digest
from digests.rendering.common import (
    HIGH_PRIORITY_MARK,
    digest_language,
    digest_page_url,
    digest_sections,
    digest_settings_url,
    digest_title,
    items_note,
    omitted_note,
    period_text,
    show_summaries,
    subject_date,
)


def digest_email(
    *, digest: Digest, content: DigestContent, site_url: str, to: str
) -> EmailMultiAlternatives:
    with translation.override(digest_language(digest)):
        title = digest_title(digest)
        settings_url = digest_settings_url(site_url=site_url)
        context: dict[str, Any] = {
            "language": digest_language(digest),
            "title": title,
            "period": period_text(digest),
            "items_note": items_note(content.entry_count),
            "omitted_note": omitted_note(content.omitted) if content.omitted else "",
            "sections": digest_sections(
                content=content, site_url=site_url, summaries=show_summaries(digest)
            ),
            "high_mark": HIGH_PRIORITY_MARK,
            "page_url": digest_page_url(digest=digest, site_url=site_url),
            "settings_url": settings_url,
        }
        subject = f"{title} · {subject_date(digest)}"
        text = render_to_string("digests/email/digest.txt", context)
        html = render_to_string("digests/email/digest.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[to],
        # Mail clients offer this as their "unsubscribe" button; it leads to the
        # digest settings, where the digest or this channel is switched off.
        headers={"List-Unsubscribe": f"<{settings_url}>"},
    )
    message.attach_alternative(html, "text/html")
    return message
